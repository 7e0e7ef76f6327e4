"""Golden cases for ``capz-wi check``: tests/fixtures/check/<check-id>-{triggers,clean}/.

Each case holds ``input.yaml``, an optional ``case.yaml`` (``allowPlaceholders: true``, ``crds: <version>`` of
../shared/corpus/capz-crds), ``expected-report.yaml`` (exit code + findings from the library) and ``expected.txt``
(the exact bytes of the CLI's text output). The CLI's ``-o json`` must agree with the library report.
Every check of the registry has a ``-triggers`` case that yields its code and a ``-clean`` case that does not.
``pytest --update-golden`` rewrites the expected files; review the diff like code.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import capz_wi
from capz_wi.checks import CHECKS
from capz_wi.cli import main
from tests.conftest import CRDS, FIXTURES, need_shared

HERE = FIXTURES / "check"
CASES = sorted(d for d in HERE.iterdir() if (d / "input.yaml").exists())
_yaml = YAML(typ="safe", pure=True)
_yaml.default_flow_style = False


def _config(case: Path) -> dict[str, Any]:
    p = case / "case.yaml"
    return (_yaml.load(p.read_text()) or {}) if p.exists() else {}


def _crds_dir(config: dict[str, Any]) -> Path | None:
    if "crds" not in config:
        return None
    need_shared()
    return CRDS / config["crds"]


def _crds_text(directory: Path) -> str:
    return "".join("---\n" + f.read_text() for f in sorted(directory.glob("*.yaml")))


def _report(result: capz_wi.CheckResult) -> dict[str, Any]:
    return {
        "exitCode": 0 if result.ok else 1,
        "findings": [
            {
                "code": f.code,
                "severity": f.severity,
                "object": str(f.object),
                "path": f.pos.path if f.pos else "",
                "line": f.pos.line if f.pos else None,
                "column": f.pos.column if f.pos else None,
                "message": f.message,
            }
            for f in result.findings
        ],
    }


def _dump(data: Any) -> str:
    buf = io.StringIO()
    y = YAML()
    y.width = 4096
    y.dump(data, buf)
    return buf.getvalue()


def _cli(case: Path, *extra: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    config = _config(case)
    args = ["check", "input.yaml", *extra]
    if config.get("allowPlaceholders"):
        args.append("--allow-placeholders")
    crds = _crds_dir(config)
    if crds is not None:
        args += ["--crds", str(crds)]
    monkeypatch.chdir(case)
    capsys.readouterr()
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_api_report(case: Path, update_golden: bool) -> None:
    config = _config(case)
    crds = _crds_dir(config)
    result = capz_wi.check(
        (case / "input.yaml").read_bytes(),
        file="input.yaml",
        crds=_crds_text(crds) if crds else None,
        allow_placeholders=bool(config.get("allowPlaceholders")),
    )
    actual = _dump(_report(result))
    expected = case / "expected-report.yaml"
    if update_golden:
        expected.write_text(actual)
    assert actual == expected.read_text()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli_text_and_json(
    case: Path, update_golden: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(case, monkeypatch=monkeypatch, capsys=capsys)
    expected_txt = case / "expected.txt"
    if update_golden:
        expected_txt.write_text(out)
    assert (out, err) == (expected_txt.read_text(), "")
    report = _yaml.load((case / "expected-report.yaml").read_text())
    assert code == report["exitCode"]
    code, out, _ = _cli(case, "-o", "json", monkeypatch=monkeypatch, capsys=capsys)
    findings = json.loads(out)
    assert code == report["exitCode"]
    assert [(f["code"], f["severity"], f["path"], f["line"], f["column"], f["message"], f["file"]) for f in findings] == [
        (f["code"], f["severity"], f["path"], f["line"], f["column"], f["message"], "input.yaml") for f in report["findings"]
    ]


@pytest.mark.parametrize("check", CHECKS, ids=[c.CODE for c in CHECKS])
def test_every_check_has_a_triggering_and_a_clean_case(check: Any) -> None:
    triggers = _yaml.load((HERE / f"{check.ID}-triggers" / "expected-report.yaml").read_text())
    clean = _yaml.load((HERE / f"{check.ID}-clean" / "expected-report.yaml").read_text())
    assert check.CODE in {f["code"] for f in triggers["findings"]}
    assert check.CODE not in {f["code"] for f in clean["findings"]}
    if check.SEVERITY == "error":
        assert triggers["exitCode"] == 1
    # a clean case is clean as a whole: the near-miss input passes every check
    assert clean == {"exitCode": 0, "findings": []}


def test_schema_with_crds_has_cases_too() -> None:
    """CWI100 from real CRDs (unknown field, wrong type, apiVersion not served) besides the bundled schema."""
    need_shared()
    triggers = _yaml.load((HERE / "schema-crds-triggers" / "expected-report.yaml").read_text())
    messages = [f["message"] for f in triggers["findings"] if f["code"] == "CWI100"]
    assert any("unknown field 'identityType'" in m for m in messages)
    assert any("diskSizeGB: expected integer, got string" in m for m in messages)
    assert any("v1alpha4 is not served" in m for m in messages)
    assert _yaml.load((HERE / "schema-crds-clean" / "expected-report.yaml").read_text())["findings"] == []
