"""``check`` over every CAPZ template of ../shared/corpus: the untransformed templates yield the error findings their
content calls for, and ``transform``'s output checks clean, with the bundled schema and with the real CRDs.

Expectations are computed here from the objects themselves (parsed with ruamel's safe loader, not capz-wi's
reader), from the CAPZ facts in ../shared/reference/capz-workload-identity.md, not copied from the tool.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import capz_wi
from capz_wi.cli import main
from tests.conftest import (
    CLIENT_ID,
    CORPUS,
    CRDS,
    IDENTITY,
    TENANT_ID,
    corpus_ids,
    corpus_templates,
    need_shared,
)

RENDERED = corpus_templates("rendered")
RAW = corpus_templates("raw")
OPTIONS = capz_wi.Options(identity_id=IDENTITY, client_id=CLIENT_ID, tenant_id=TENANT_ID)
GUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
INFRA = "infrastructure.cluster.x-k8s.io"
MACHINES = {"AzureMachineTemplate": ("spec", "template", "spec"), "AzureMachinePool": ("spec",), "AzureMachine": ("spec",)}
REFERRERS = {
    "AzureCluster": ("spec",),
    "AzureManagedControlPlane": ("spec",),
    "AzureClusterTemplate": ("spec", "template", "spec"),
    "AzureManagedControlPlaneTemplate": ("spec", "template", "spec"),
}

#: Schema violations the corpus itself carries, unrelated to identity (the transform neither adds nor fixes them):
#: template -> (kind, field path). Anything else from the CRDs is a failure.
KNOWN_CRD_VIOLATIONS = {
    # rendered with no AZURE_EXTENDEDLOCATION_TYPE: the corpus writes value-of-azure-extendedlocation-type, which
    # the CRD's enum (EdgeZone) refuses, as the API server would
    "v1.10.0/rendered/cluster-template-edgezone.yaml": {("AzureCluster", "spec.extendedLocation.type")},
    "v1.17.0/rendered/cluster-template-edgezone.yaml": {("AzureCluster", "spec.extendedLocation.type")},
    # the corpus has no v1.17 CRDs; v1.26's AzureManagedControlPlaneTemplate requires resourceGroupName, which the
    # v1.17 template predates
    "v1.17.0/rendered/cluster-template-aks-clusterclass.yaml": {
        ("AzureManagedControlPlaneTemplate", "spec.template.spec.resourceGroupName")
    },
}

_safe = YAML(typ="safe", pure=True)


def crd_version(template_version: str) -> str:
    """The CRDs of the template's CAPZ version, else the oldest newer release in the corpus."""
    have = sorted((p.name for p in CRDS.iterdir() if p.is_dir()), key=_semver)
    if template_version in have:
        return template_version
    newer = [v for v in have if _semver(v) > _semver(template_version)]
    assert newer, f"no CRDs for {template_version} or later"
    return newer[0]


def _semver(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.lstrip("v").split("."))


def _get(obj: Any, *path: str) -> Any:
    for p in path:
        obj = obj.get(p) if isinstance(obj, dict) else None
    return obj


def expected_errors(text: str) -> set[tuple[str, str, str]]:
    """(code, kind, name) of the error findings the objects call for."""
    objs = [o for o in _safe.load_all(text) if isinstance(o, dict)]
    infra = [o for o in objs if str(o.get("apiVersion", "")).startswith(INFRA + "/")]
    identities = {(o["metadata"].get("namespace", "default"), o["metadata"]["name"]): o for o in infra if o["kind"] == "AzureClusterIdentity"}
    out: set[tuple[str, str, str]] = set()
    for (ns, name), o in identities.items():
        spec = o.get("spec") or {}
        if spec.get("type") != "WorkloadIdentity":
            out.add(("CWI001", o["kind"], name))
        if "clientSecret" in spec:
            out.add(("CWI002", o["kind"], name))
        if not GUID.match(str(spec.get("clientID", ""))):
            out.add(("CWI011", o["kind"], name))
        if not GUID.match(str(spec.get("tenantID", ""))):
            out.add(("CWI012", o["kind"], name))
    for o in infra:
        name, ns = o["metadata"]["name"], o["metadata"].get("namespace", "default")
        if o["kind"] in REFERRERS:
            ref = _get(o, *REFERRERS[o["kind"]], "identityRef") or {}
            if not ref.get("name") and o["kind"] in ("AzureCluster", "AzureManagedControlPlane"):
                out.add(("CWI015", o["kind"], name))  # required by CAPZ's webhook (v1.11+) / CRD
            if ref.get("name"):
                target = identities.get((ref.get("namespace") or ns, ref["name"]))
                if target is None:
                    out.add(("CWI004", o["kind"], name))
                else:
                    allowed = _get(target, "spec", "allowedNamespaces")
                    admits = allowed == {} or (isinstance(allowed, dict) and ns in (allowed.get("list") or []))
                    if not admits and not (isinstance(allowed, dict) and allowed.get("selector")):
                        out.add(("CWI005", "AzureClusterIdentity", target["metadata"]["name"]))
        if o["kind"] in MACHINES:
            spec = _get(o, *MACHINES[o["kind"]]) or {}
            if spec.get("identity") != "UserAssigned":
                out.add(("CWI006", o["kind"], name))
            elif not spec.get("userAssignedIdentities"):
                out.add(("CWI007", o["kind"], name))
    return out


def _codes(result: capz_wi.CheckResult, severity: str = "error") -> set[tuple[str, str, str]]:
    return {(f.code, f.object.kind, f.object.name) for f in result.findings if f.severity == severity and f.object}


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _rel(path: Path) -> str:
    return str(path.relative_to(CORPUS))


@pytest.mark.parametrize("path", RENDERED, ids=corpus_ids(RENDERED))
def test_untransformed_template_yields_expected_errors(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    need_shared()
    text = path.read_text()
    result = capz_wi.check(text, file=_rel(path))
    assert _codes(result) == expected_errors(text)
    code, out, err = _cli(["check", str(path), "-o", "json"], capsys)
    assert (code, err) == ((1 if result.errors else 0), "")


def test_expectations_match_the_quick_start_facts() -> None:
    """The era's defaults, stated from the reference sheet: v1.10 ships a ServicePrincipal identity with a
    clientSecret and machines without identity; v1.17 ships WorkloadIdentity, a control plane pointing at the CAPZ
    CI identity, and workers without identity."""
    need_shared()
    v110 = capz_wi.check((CORPUS / "v1.10.0" / "rendered" / "cluster-template.yaml").read_bytes())
    assert {f.code for f in v110.errors} == {"CWI001", "CWI002", "CWI006"}
    assert {f.object.name for f in v110.errors if f.code == "CWI006"} == {
        "azwi-quickstart-control-plane", "azwi-quickstart-md-0"
    }
    v117 = capz_wi.check((CORPUS / "v1.17.0" / "rendered" / "cluster-template.yaml").read_bytes())
    assert [(f.code, f.object.name) for f in v117.errors] == [("CWI006", "azwi-quickstart-md-0")]
    assert [(f.code, f.object.name) for f in v117.warnings] == [("CWI014", "azwi-quickstart-control-plane")]


@pytest.fixture(scope="module")
def transformed(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    out = tmp_path_factory.mktemp("transformed")
    files = {}
    for path in RENDERED:
        target = out / path.parent.parent.name / path.name
        target.parent.mkdir(exist_ok=True)
        target.write_text(capz_wi.transform(path.read_bytes(), OPTIONS, file=path.name).text)
        files[path] = target
    return files


@pytest.mark.parametrize("path", RENDERED, ids=corpus_ids(RENDERED))
def test_transformed_checks_clean_with_bundled_schema(
    path: Path, transformed: dict[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    need_shared()
    result = capz_wi.check(transformed[path].read_bytes(), file=path.name)
    assert result.errors == [] and result.ok
    assert [f for f in result.warnings if f.code != "CWI003"] == []  # no CI identity, no placeholder left
    code, out, err = _cli(["check", str(transformed[path])], capsys)
    assert (code, err) == (0, "") and out.endswith("no findings\n")


def _crd_findings(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, set[tuple[str, str]]]:
    import json

    code, out, err = _cli([*args, "-o", "json"], capsys)
    assert err == ""
    return code, {(f["object"]["kind"], f["path"]) for f in json.loads(out) if f["severity"] == "error"}


@pytest.mark.parametrize("path", RENDERED, ids=corpus_ids(RENDERED))
def test_transformed_checks_clean_with_crds_of_its_version(
    path: Path, transformed: dict[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    need_shared()
    crds = CRDS / crd_version(path.parent.parent.name)
    code, after = _crd_findings(["check", "--crds", str(crds), str(transformed[path])], capsys)
    known = KNOWN_CRD_VIOLATIONS.get(_rel(path), set())
    assert after == known
    assert code == (1 if known else 0)
    # the known ones are the input's own, not the transform's
    _, before = _crd_findings(["check", "--crds", str(crds), str(path)], capsys)
    assert known <= before


def test_edgezone_checks_clean_once_its_variable_is_set(transformed: dict[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """With AZURE_EXTENDEDLOCATION_TYPE=EdgeZone, as a user of that flavor sets it, the output is clean."""
    need_shared()
    for path, out in transformed.items():
        if path.name != "cluster-template-edgezone.yaml" or path.parent.parent.name != "v1.10.0":
            continue
        fixed = out.read_text().replace("value-of-azure-extendedlocation-type", "EdgeZone")
        crds = CRDS / crd_version("v1.10.0")
        result = capz_wi.check(fixed, crds="".join("---\n" + f.read_text() for f in sorted(crds.glob("*.yaml"))))
        assert result.findings == []
        return
    pytest.fail("no v1.10.0 edgezone template in the corpus")


@pytest.mark.parametrize("path", RAW, ids=corpus_ids(RAW))
def test_raw_templates_placeholders(path: Path) -> None:
    """Raw clusterctl templates keep ``${VAR}``: a warning per scalar, silenced by allow_placeholders."""
    need_shared()
    text = path.read_text()
    plain = capz_wi.check(text)
    scalars_with_vars = {f.pos.line for f in plain.findings if f.code == "CWI013"}
    assert scalars_with_vars, "a raw template carries variables"
    lines_with_vars = {i for i, line in enumerate(text.splitlines(), 1) if re.search(r"\$\{[^}]*\}", line)}
    assert scalars_with_vars <= lines_with_vars
    allowed = capz_wi.check(text, allow_placeholders=True)
    assert not [f for f in allowed.findings if f.code == "CWI013"]
