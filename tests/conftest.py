"""Shared test helpers: the ../shared corpus, the golden-file switch, and runner lookup that fails under CI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "capz"
CRDS = SHARED / "corpus" / "capz-crds"
IN_CI = os.environ.get("CI") == "true"

IDENTITY = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/capz-wi-rg/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/capz-wi-identity"
)
CLIENT_ID = "55555555-6666-7777-8888-999999999999"
TENANT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite expected files from actual output")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures tests record with ``record_property("summary", ...)`` (catalogue size, fuzz count)."""
    lines = [
        str(value)
        for reports in terminalreporter.stats.values()
        for report in reports
        for key, value in getattr(report, "user_properties", ())
        if key == "summary"
    ]
    if lines:
        terminalreporter.section("capz-wi figures")
        for line in dict.fromkeys(lines):
            terminalreporter.write_line(line)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def need_shared() -> Path:
    """The ../shared corpus; skipped only outside CI when it is absent (a fresh clone without shared/)."""
    if not CORPUS.is_dir():
        if IN_CI:
            pytest.fail(f"{CORPUS} is missing under CI=true")
        pytest.skip("../shared corpus absent")
    return CORPUS


def corpus_templates(kind: str = "*") -> list[Path]:
    """Every template of the corpus: kind is raw, rendered or * (both)."""
    return sorted(CORPUS.glob(f"*/{kind}/*.yaml")) if CORPUS.is_dir() else []


def corpus_ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(CORPUS)) for p in paths]


def need_tool(name: str) -> str:
    """Path of an external runner; a missing one fails under CI=true and skips elsewhere."""
    path = shutil.which(name) or (shutil.which(name, path=str(Path.home() / "go" / "bin")))
    if not path:
        if IN_CI:
            pytest.fail(f"{name} is not on PATH under CI=true (.ci/run installs it)")
        pytest.skip(f"{name} not installed")
    return path
