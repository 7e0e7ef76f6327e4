"""Golden cases in the krm-functions-catalog layout, run through the real kpt.

Each directory holding ``.expected/`` (under krm-function/examples/ and tests/krm/cases/) is a kpt package plus
``.expected/config.yaml`` (testType eval|render, execPath, args, fnConfig, exitCode, stdErr, allowExec),
``.expected/diff.patch`` (the exact ``git diff`` kpt leaves in the package) and ``.expected/results.yaml`` (kpt's
results file). ``pytest --update-golden`` rewrites diff.patch and results.yaml; review the diff like code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.krm.helpers import KptCase, kpt_cases, krm_bin, load_yaml, run_kpt_case  # noqa: F401 (fixture)

CASES = kpt_cases()


def _want(case: KptCase, name: str) -> str:
    p = case.expected / name
    return p.read_text().strip() if p.exists() else ""


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_kpt_golden(case: KptCase, tmp_path: Path, krm_bin: Path, update_golden: bool) -> None:
    cfg = case.config
    run = run_kpt_case(case, tmp_path, krm_bin)
    assert run.returncode == cfg.get("exitCode", 0), run.stderr
    assert "Traceback" not in run.stderr
    assert "PLANTED-SECRET" not in run.results + run.stderr, "secret values never reach results or stderr"
    if cfg.get("stdErr"):
        assert cfg["stdErr"] in run.stderr
    if update_golden:
        for name, text in (("diff.patch", run.diff), ("results.yaml", run.results)):
            path = case.expected / name
            if text:
                path.write_text(text + "\n")
            elif path.exists():
                path.unlink()
        return
    assert run.results == _want(case, "results.yaml")
    assert run.diff == _want(case, "diff.patch")
    results = load_yaml(run.results)
    assert results["exitCode"] == cfg.get("exitCode", 0)
    if cfg.get("exitCode", 0):
        assert run.diff == "", "a failed function must leave the package untouched"
        assert any(r["severity"] == "error" for item in results["items"] for r in item.get("results", []))


def test_every_example_is_a_case() -> None:
    """Each example documented in krm-function/README.md is a golden case, and each case has its expectations."""
    readme = (Path(__file__).resolve().parent.parent / "krm-function" / "README.md").read_text()
    names = [c.dir.name for c in CASES if "examples" in c.dir.parts]
    assert names, "no examples found"
    for c in CASES:
        assert (c.dir / ".krmignore").read_text().split() == [".expected"], c.name
        assert (c.expected / "results.yaml").exists() or (c.expected / "diff.patch").exists(), c.name
    for name in names:
        assert f"examples/{name}" in readme, f"krm-function/README.md does not mention examples/{name}"


def test_metadata_has_the_catalog_fields() -> None:
    """krm-function/metadata.yaml carries what the catalog's verify-docs requires, and lists every example."""
    root = Path(__file__).resolve().parent.parent / "krm-function"
    meta = load_yaml((root / "metadata.yaml").read_text())
    for key in ("image", "description", "tags", "sourceURL", "examplePackageURLs", "emails", "license"):
        assert meta.get(key), key
    assert "mutator" in meta["tags"]
    listed = sorted(u.rsplit("/", 1)[1] for u in meta["examplePackageURLs"])
    assert listed == sorted(c.dir.name for c in CASES if "examples" in c.dir.parts)
