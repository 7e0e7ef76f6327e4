"""The golden-case harness shared by the adapters (API, CLI, KRM): loading a case, building the report."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

import capz_wi
from tests.conftest import FIXTURES, ROOT

_yaml = YAML(typ="safe", pure=True)
_yaml.default_flow_style = False


@dataclass
class Case:
    name: str
    dir: Path

    @property
    def input(self) -> bytes:
        return (self.dir / "input.yaml").read_bytes()

    @property
    def options_data(self) -> dict[str, Any]:
        p = self.dir / "options.yaml"
        return (_yaml.load(p.read_text()) or {}) if p.exists() else {}

    @property
    def options(self) -> capz_wi.Options:
        return capz_wi.Options.from_mapping(self.options_data)

    @property
    def expected(self) -> bytes | None:
        p = self.dir / "expected.yaml"
        return p.read_bytes() if p.exists() else None

    @property
    def report(self) -> dict[str, Any]:
        return _yaml.load((self.dir / "expected-report.yaml").read_text())


def cases() -> list[Case]:
    return [Case(d.name, d) for d in sorted(FIXTURES.iterdir()) if (d / "input.yaml").exists()]


def api_report(case: Case) -> tuple[bytes | None, dict[str, Any]]:
    """Run the library on a case; returns (output bytes or None, report dict)."""
    try:
        result = capz_wi.transform(case.input, case.options, file="input.yaml")
    except capz_wi.CapzWiError as exc:
        pos = exc.pos
        err = {"type": type(exc).__name__, "message": exc.message}
        if pos:
            err.update(line=pos.line, column=pos.column)
        return None, {"exitCode": 2 if isinstance(exc, capz_wi.OptionsError) else 1, "error": err}
    report: dict[str, Any] = {"exitCode": 0 if result.ok else 1}
    report["changes"] = [
        {
            "object": str(c.object),
            "path": c.path,
            "op": c.op,
            "old": c.old,
            "new": c.new,
            "rule": c.rule,
            "line": c.pos.line if c.pos else None,
            "column": c.pos.column if c.pos else None,
        }
        for c in result.changes
    ]
    report["removed"] = [str(r) for r in result.removed]
    report["findings"] = [
        {
            "severity": f.severity,
            "rule": f.rule,
            "object": str(f.object) if f.object else None,
            "line": f.pos.line if f.pos else None,
            "column": f.pos.column if f.pos else None,
            "message": f.message,
        }
        for f in result.findings
    ]
    return (result.text.encode("utf-8") if result.ok else None), report


FLAGS = {
    "identityID": "--identity-id",
    "subscriptionID": "--subscription-id",
    "resourceGroup": "--resource-group",
    "identityName": "--identity-name",
    "clientID": "--client-id",
    "tenantID": "--tenant-id",
    "controlPlaneIdentityID": "--control-plane-identity-id",
    "workerIdentityID": "--worker-identity-id",
    "roles": "--role",
    "only": "--only",
    "replaceIdentities": "--replace-identities",
    "replaceSystemAssigned": "--replace-system-assigned",
    "pruneSecret": "--prune-secret",
    "templateMode": "--template-mode",
    "providerIDForm": "--provider-id-form",
    "maxBytes": "--max-bytes",
}


def cli_args(options: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for key, value in options.items():
        flag = FLAGS[key]
        if isinstance(value, bool):
            if value:
                args.append(flag)
        elif isinstance(value, list):
            for v in value:
                args += [flag, str(v)]
        else:
            args += [flag, str(value)]
    return args


def clean_env() -> dict[str, str]:
    """The environment without the quick start's variables, so that tests see only their own options."""
    drop = {
        "AZURE_SUBSCRIPTION_ID", "AZURE_TENANT_ID", "RESOURCE_GROUP", "USER_ASSIGNED_IDENTITY_NAME",
        "AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY", "AZURE_CLIENT_ID",
    }
    return {k: v for k, v in os.environ.items() if k not in drop}


def run_cli(args: list[str], stdin: bytes = b"", env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "capz_wi", *args],
        input=stdin,
        capture_output=True,
        env=env if env is not None else clean_env(),
        cwd=cwd or ROOT,
        timeout=120,
    )


def dump_report(report: dict[str, Any]) -> str:
    import io

    buf = io.StringIO()
    y = YAML()
    y.default_flow_style = False
    y.width = 4096
    y.dump(report, buf)
    return buf.getvalue()


def file_tree(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` by relative path (empty when ``root`` does not exist)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()} if root.is_dir() else {}


def compare_tree(actual: dict[str, bytes], expected_dir: Path, update: bool) -> None:
    """Golden comparison of a set of output files; ``update`` (``--update-golden``) rewrites ``expected_dir``."""
    import shutil

    if update:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for name, data in actual.items():
            (expected_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / name).write_bytes(data)
    expected = file_tree(expected_dir)
    assert expected, f"no golden files in {expected_dir}; run pytest --update-golden and review them"
    assert sorted(actual) == sorted(expected)
    for name in expected:
        assert actual[name] == expected[name], f"{expected_dir.name}/{name} differs"
