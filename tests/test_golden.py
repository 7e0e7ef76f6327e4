"""Golden cases under tests/fixtures/<case>/: the library and the CLI give the exact expected bytes and report.

Run ``pytest --update-golden`` to rewrite expected files from actual output, then review the diff like code.
"""

from __future__ import annotations

import pytest

import capz_wi
from tests.golden import Case, api_report, cases, cli_args, dump_report, run_cli

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_api(case: Case, update_golden: bool) -> None:
    out, report = api_report(case)
    if update_golden:
        (case.dir / "expected-report.yaml").write_text(dump_report(report))
        if out is not None:
            (case.dir / "expected.yaml").write_bytes(out)
        elif (case.dir / "expected.yaml").exists():
            (case.dir / "expected.yaml").unlink()
        return
    assert report == case.report
    assert out == case.expected


OUTPUT_CASES = [c for c in CASES if c.expected is not None]


@pytest.mark.parametrize("case", OUTPUT_CASES, ids=[c.name for c in OUTPUT_CASES])
def test_idempotent(case: Case) -> None:
    assert case.expected is not None
    again = capz_wi.transform(case.expected, case.options, file="expected.yaml")
    assert again.changes == [] and again.removed == []
    assert again.text.encode() == case.expected


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli(case: Case) -> None:
    report = case.report
    proc = run_cli(["transform", "-", *cli_args(case.options_data)], stdin=case.input)
    assert proc.returncode == report["exitCode"], proc.stderr.decode()
    assert b"Traceback" not in proc.stderr
    if case.expected is not None:
        assert proc.stdout == case.expected
    else:
        assert proc.stdout == b""
        lines = proc.stderr.decode().strip().splitlines()
        err = report.get("error")
        if err and "line" in err:
            assert lines[-1].startswith(f"<stdin>:{err['line']}:{err['column']}: error: ")
