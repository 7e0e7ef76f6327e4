"""Shared helpers for the KRM function tests: the function as an executable, kpt golden cases, ResourceLists."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import ROOT, need_tool
from tests.golden import clean_env

KRM_DIR = ROOT / "krm-function"
EXAMPLES = KRM_DIR / "examples"
HERE = Path(__file__).resolve().parent

_safe = YAML(typ="safe", pure=True)


def load_yaml(text: str) -> Any:
    return _safe.load(text)


def load_all(text: str) -> list[Any]:
    return [d for d in _safe.load_all(text) if d is not None]


def write_wrapper(bin_dir: Path, name: str = "capz-wi-krm") -> Path:
    """An executable that runs this tree's function with this interpreter (what the console script does)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / name
    path.write_text(
        "#!/usr/bin/env bash\n"
        f'PYTHONPATH="{ROOT}${{PYTHONPATH:+:$PYTHONPATH}}" exec "{sys.executable}" -m capz_wi.krm "$@"\n'
    )
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def krm_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding ``capz-wi-krm``; tests put it first on PATH, as an installed console script would be."""
    d = tmp_path_factory.mktemp("bin")
    write_wrapper(d)
    cat = d / "krm-cat"  # a no-op function: what kpt does to files by itself
    cat.write_text("#!/bin/sh\nexec cat\n")
    cat.chmod(0o755)
    return d


def env_with(bin_dir: Path, **extra: str) -> dict[str, str]:
    env = clean_env()
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def run_fn(data: bytes, bin_dir: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """The function as a process: stdin in, (stdout, stderr, exit code) out."""
    cmd = [str(bin_dir / "capz-wi-krm")] if bin_dir else [sys.executable, "-m", "capz_wi.krm"]
    return subprocess.run(cmd, input=data, capture_output=True, env=clean_env(), cwd=ROOT, timeout=120)


# ---------------------------------------------------------------------------------------------------------------
# kpt golden cases (the krm-functions-catalog layout, run by pytest instead of its Go harness)


@dataclass
class KptCase:
    dir: Path

    @property
    def name(self) -> str:
        return self.dir.relative_to(ROOT).as_posix()

    @property
    def expected(self) -> Path:
        return self.dir / ".expected"

    @property
    def config(self) -> dict[str, Any]:
        return load_yaml((self.expected / "config.yaml").read_text()) or {}


def kpt_cases() -> list[KptCase]:
    """Every directory holding ``.expected/`` under krm-function/examples and tests/krm/cases."""
    roots = [EXAMPLES, HERE / "cases"]
    found = (KptCase(p.parent) for r in roots if r.is_dir() for p in r.glob("**/.expected"))
    return sorted(found, key=lambda c: c.name)


def git(pkg: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(pkg), "-c", "user.name=t", "-c", "user.email=t@t", "-c", "core.autocrlf=false", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def init_repo(pkg: Path) -> None:
    git(pkg, "init", "-q")
    git(pkg, "add", "-A")
    git(pkg, "commit", "-qm", "before")


@dataclass
class KptRun:
    returncode: int
    stdout: str
    stderr: str
    diff: str
    results: str


def run_kpt_case(case: KptCase, tmp: Path, bin_dir: Path) -> KptRun:
    """Copy the package, run kpt like the catalog's e2e runner, return the exit code, git diff and results file."""
    kpt = need_tool("kpt")
    cfg = case.config
    pkg, res = tmp / case.dir.name, tmp / "results"
    shutil.copytree(case.dir, pkg, ignore=shutil.ignore_patterns(".expected"))
    init_repo(pkg)
    if cfg.get("testType", "render") == "eval":
        cmd = [kpt, "fn", "eval", str(pkg), "--results-dir", str(res), "--truncate-output=false"]
        cmd += ["--exec", cfg["execPath"]]
        if cfg.get("fnConfig"):
            cmd += ["--fn-config", str(pkg / cfg["fnConfig"])]
        if cfg.get("args"):
            cmd += ["--"] + [f"{k}={v}" for k, v in cfg["args"].items()]
    else:
        cmd = [kpt, "fn", "render", str(pkg), "--results-dir", str(res), "--truncate-output=false"]
        if cfg.get("allowExec"):
            cmd.append("--allow-exec")
    # cwd = .expected keeps the `exec:` string in results.yaml portable (the catalog runner does the same)
    p = subprocess.run(cmd, cwd=case.expected, capture_output=True, text=True, env=env_with(bin_dir), timeout=300)
    git(pkg, "add", "-A")
    diff = git(pkg, "diff", "--cached", "HEAD").strip()
    got = next(res.glob("*"), None) if res.is_dir() else None
    return KptRun(p.returncode, p.stdout, p.stderr, diff, got.read_text().strip() if got else "")


# ---------------------------------------------------------------------------------------------------------------
# ResourceLists built the way kpt builds them: each document indented under `- ` (comments and quoting kept)


def split_docs(text: str) -> list[str]:
    """The documents of a stream as text (``---`` lines and ``...`` end markers dropped, comment-only docs kept)."""
    docs: list[list[str]] = [[]]
    for line in text.splitlines(keepends=True):
        if line.rstrip("\r\n") in ("---", "...") or line.startswith("--- "):
            docs.append([])
        else:
            docs[-1].append(line)
    def has_content(lines: list[str]) -> bool:
        return any(ln.strip() and not ln.lstrip().startswith("#") for ln in lines)

    return ["".join(d) for d in docs if has_content(d)]


def wrap(docs: list[str], function_config: str = "") -> str:
    """A ResourceList whose items are ``docs``, indented by two spaces (the first line after ``- ``)."""
    out = ["apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"]
    for d in docs:
        lines = d.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        out.append("".join(("- " if i == 0 else "  ") + ln if ln.strip() else ln for i, ln in enumerate(lines)))
    if function_config:
        out.append("functionConfig:\n" + "".join("  " + ln for ln in function_config.splitlines(keepends=True)))
    return "".join(out)


def item_texts(resource_list: str) -> list[str]:
    """The text of each item of a block ResourceList written by ``wrap`` (and edited by the function), dedented."""
    lines = resource_list.splitlines(keepends=True)
    start = lines.index("items:\n") + 1
    items: list[list[str]] = []
    for ln in lines[start:]:
        if ln.startswith("- "):
            items.append(["  " + ln[2:]])
        elif ln.startswith("  ") or not ln.strip():
            items[-1].append(ln)
        else:
            break  # the next top-level key
    return ["".join(ln[2:] if ln.startswith("  ") else ln for ln in item) for item in items]
