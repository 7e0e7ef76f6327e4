"""``--in-place`` crash safety: whatever fails, and whenever the process dies, each file is wholly old or wholly new.

Three ways to fail: a write error while staging (nothing may change), a rename error between write and rename
(injected by wrapping ``os.replace`` while ``capz_wi.cli.main`` runs in-process), and SIGKILL at many moments of a
real process rewriting twelve 1 MB files.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import capz_wi
from capz_wi.cli import main as cli_main
from tests.conftest import IDENTITY, ROOT
from tests.golden import clean_env
from tests.test_reliability import AMT, CM, doc
from tests.test_reliability_adapters import ENV_VARS, call

ARGS = ["--identity-id", IDENTITY]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@functools.lru_cache(maxsize=None)
def contents(count: int, pad: int) -> list[tuple[bytes, bytes]]:
    """``count`` manifests that each need edits: [(old bytes, expected new bytes)]."""
    out = []
    for i in range(count):
        old = doc(CM.replace(b"value", b"v" * pad), AMT.replace(b"md-0", f"md-{i}".encode()))
        new = capz_wi.transform(old, capz_wi.Options(identity_id=IDENTITY)).text.encode()
        assert new != old
        out.append((old, new))
    return out


def make_files(directory: Path, count: int, pad: int = 0) -> dict[Path, tuple[bytes, bytes]]:
    """Write the manifests of ``contents``: {path: (old bytes, expected new bytes)}."""
    files = {}
    for i, (old, new) in enumerate(contents(count, pad)):
        path = directory / f"m{i:02}.yaml"
        path.write_bytes(old)
        files[path] = (old, new)
    return files


def states(files: dict[Path, tuple[bytes, bytes]]) -> list[str]:
    """'old' or 'new' per file; anything else fails."""
    out = []
    for path, (old, new) in files.items():
        data = path.read_bytes()
        assert data in (old, new), f"{path.name} is neither the old nor the new content ({len(data)} bytes)"
        out.append("old" if data == old else "new")
    return out


def test_rename_failure_midway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The third rename fails (as EXDEV/EACCES would): files are old or new, one error line, exit 1, no temp files."""
    files = make_files(tmp_path, 5)
    real_replace = os.replace
    calls: list[str] = []

    def failing_replace(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 3:
            raise PermissionError(13, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    code, out, err = call(cli_main, ["transform", "--in-place", *map(str, files), *ARGS], b"")
    monkeypatch.setattr(os, "replace", real_replace)
    assert len(calls) == 3, "the injected failure was not reached"
    assert states(files) == ["new", "new", "old", "old", "old"]
    assert code == 1 and out == b""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"{list(files)[2]}:1:1: error: "), err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in files), "temporary files left"


def test_write_failure_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fsync of the fourth staged file fails (a full disk): no file changes, no temporary file stays."""
    files = make_files(tmp_path, 5)
    real_fsync = os.fsync
    count = [0]

    def failing_fsync(fd: int) -> None:
        count[0] += 1
        if count[0] == 4:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    code, out, err = call(cli_main, ["transform", "--in-place", *map(str, files), *ARGS], b"")
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert count[0] == 4
    assert states(files) == ["old"] * 5
    assert code == 1 and out == b"" and "Traceback" not in err
    assert err.startswith(f"{list(files)[3]}:1:1: error: cannot write: No space left on device"), err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in files)


def test_broken_file_among_many_changes_nothing(tmp_path: Path) -> None:
    """One unparsable file among good ones: nothing is written at all."""
    files = make_files(tmp_path, 3)
    bad = tmp_path / "zz-bad.yaml"
    bad.write_bytes(b'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "x\n')
    code, out, err = call(cli_main, ["transform", "--in-place", *map(str, files), str(bad), *ARGS], b"")
    assert code == 1 and out == b"" and states(files) == ["old"] * 3
    assert err.startswith(f"{bad}:5:1: error: YAML syntax error"), err


def test_sigkill_while_writing(tmp_path: Path, record_property: Callable[[str, object], None]) -> None:
    """SIGKILL a real run over twelve 1 MB files at 10 moments, most of them after its first temporary file
    appeared (it is writing): every file is always wholly old or wholly new."""
    seen: list[str] = []
    delays: list[float | None] = [None, 0.0, 0.001, 0.002, 0.004, 0.008, 0.016, 0.03, 0.06, 0.12]
    for n, delay in enumerate(delays):
        work = tmp_path / f"run{n}"
        work.mkdir()
        files = make_files(work, 12, pad=1 << 20)
        proc = subprocess.Popen(
            [sys.executable, "-m", "capz_wi", "transform", "--in-place", "--quiet", *map(str, files), *ARGS],
            cwd=ROOT, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        if delay is not None:  # None: kill at once, before any write
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline:
                if any(p.name.endswith(".tmp") for p in work.iterdir()):
                    break
                time.sleep(0.0005)
            time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        seen.append("".join(x[0] for x in states(files)))
        leftovers = [p.name for p in work.iterdir() if p not in files]
        assert all(name.startswith(".") and name.endswith(".tmp") for name in leftovers), leftovers
    record_property("summary", f"in-place SIGKILL: {len(delays)} kills, file states (o=old, n=new): {' '.join(seen)}")
    assert seen[0] == "o" * 12
