"""The transform over every CAPZ template in ../shared/corpus: semantics, byte-identity of untouched documents,
idempotence, and CRD-schema validity of the edited objects.

Raw templates (``${VAR}`` intact) run in template mode; rendered ones with concrete IDs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import capz_wi
from capz_wi._options import normalize_id
from tests.conftest import CLIENT_ID, CORPUS, CRDS, IDENTITY, TENANT_ID, corpus_ids, corpus_templates, need_shared

TEMPLATES = corpus_templates()
MACHINE_SPEC = {
    "AzureMachineTemplate": ("spec", "template", "spec"),
    "AzureMachinePool": ("spec",),
    "AzureMachine": ("spec",),
}
DOC_SPLIT = re.compile(r"^---[^\n]*\n", re.M)

_safe = YAML(typ="safe", pure=True)


def options_for(path: Path) -> capz_wi.Options:
    if path.parent.name == "raw":
        return capz_wi.Options(template_mode=True)
    return capz_wi.Options(identity_id=IDENTITY, client_id=CLIENT_ID, tenant_id=TENANT_ID)


def expected_provider_id(path: Path) -> str:
    if path.parent.name == "raw":
        return capz_wi.Options(template_mode=True).provider_id(capz_wi.Options(template_mode=True).default_identity() or "")
    return "azure://" + IDENTITY


def split_docs(text: str) -> list[str]:
    return [d for d in DOC_SPLIT.split(text)]


def dig(obj: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(p)
    return obj


def load_all(text: str) -> list[dict[str, Any]]:
    return [d for d in _safe.load_all(text) if d]


@pytest.fixture(scope="module")
def results() -> dict[Path, tuple[str, capz_wi.TransformResult]]:
    need_shared()
    out = {}
    for p in TEMPLATES:
        text = p.read_text()
        out[p] = (text, capz_wi.transform(text, options_for(p), file=p.name))
    return out


def test_corpus_is_complete() -> None:
    need_shared()
    assert len(TEMPLATES) >= 39, [str(p) for p in TEMPLATES]
    assert {p.parent.name for p in TEMPLATES} == {"raw", "rendered"}


@pytest.mark.parametrize("path", TEMPLATES, ids=corpus_ids(TEMPLATES))
def test_semantics(path: Path, results: dict[Path, tuple[str, capz_wi.TransformResult]]) -> None:
    text, result = results[path]
    assert result.ok, [str(f) for f in result.errors]
    objs = load_all(result.text)
    pid = expected_provider_id(path)
    namespaces_by_identity: dict[tuple[str, str], set[str]] = {}
    for o in objs:
        for spec in (("spec",), ("spec", "template", "spec")):
            ref = dig(o, *spec, "identityRef")
            if isinstance(ref, dict) and o["kind"].startswith("Azure"):
                ns = dig(o, "metadata", "namespace") or "default"
                key = (ref.get("namespace") or ns, ref["name"])
                namespaces_by_identity.setdefault(key, set()).add(ns)
    for o in objs:
        kind = o["kind"]
        if kind == "AzureClusterIdentity":
            assert o["spec"]["type"] == "WorkloadIdentity"
            assert "clientSecret" not in o["spec"]
            allowed = o["spec"].get("allowedNamespaces")
            assert allowed is not None, "allowedNamespaces must never be absent or null"
            key = (dig(o, "metadata", "namespace") or "default", o["metadata"]["name"])
            if allowed != {}:
                for ns in namespaces_by_identity.get(key, set()):
                    assert ns in (allowed.get("list") or [])
            if path.parent.name == "rendered":
                assert o["spec"]["clientID"] == CLIENT_ID and o["spec"]["tenantID"] == TENANT_ID
        if kind in MACHINE_SPEC:
            spec = dig(o, *MACHINE_SPEC[kind])
            assert spec["identity"] == "UserAssigned"
            ids = spec["userAssignedIdentities"]
            assert ids[0]["providerID"] == pid
            norm = [normalize_id(e["providerID"]) for e in ids]
            assert len(norm) == len(set(norm)), "an identity is listed twice"
            assert not any("capz-ci" in n or "ci_rg" in n for n in norm), "the CAPZ CI default entry is left"


@pytest.mark.parametrize("path", TEMPLATES, ids=corpus_ids(TEMPLATES))
def test_untouched_documents_are_byte_identical(path: Path, results: dict[Path, tuple[str, capz_wi.TransformResult]]) -> None:
    text, result = results[path]
    before, after = split_docs(text), split_docs(result.text)
    assert len(before) == len(after)
    changed_kinds = {(c.object.kind, c.object.name) for c in result.changes}
    untouched = 0
    for b, a in zip(before, after):
        objs = load_all(b)
        if objs and (objs[0].get("kind"), dig(objs[0], "metadata", "name")) in changed_kinds:
            # an edited document: only lines of edited fields change; every original line not removed survives in order
            removed = [ln for ln in b.splitlines() if ln not in a.splitlines()]
            assert len(removed) <= 6, removed
            continue
        assert a == b
        untouched += 1
    assert untouched >= 1


@pytest.mark.parametrize("path", TEMPLATES, ids=corpus_ids(TEMPLATES))
def test_idempotent(path: Path, results: dict[Path, tuple[str, capz_wi.TransformResult]]) -> None:
    _, result = results[path]
    again = capz_wi.transform(result.text, options_for(path), file=path.name)
    assert again.changes == [] and again.removed == []
    assert again.text == result.text


# -- CRD schema validation of the edited objects (test-only; `capz-wi check --crds` is the product's) ----------

CRD_FOR = {"v1.10.0": "v1.10.0", "v1.17.0": "v1.26.0"}


def crd_schemas(version: str) -> dict[str, dict[str, Any]]:
    schemas = {}
    for f in sorted((CRDS / version).glob("*.yaml")):
        crd = _safe.load(f.read_text())
        kind = crd["spec"]["names"]["kind"]
        for v in crd["spec"]["versions"]:
            if v["name"] == "v1beta1":
                schemas[kind] = v["schema"]["openAPIV3Schema"]
    return schemas


RENDERED = corpus_templates("rendered")


@pytest.mark.parametrize("path", RENDERED, ids=corpus_ids(RENDERED))
def test_edited_objects_validate_against_crds(path: Path, results: dict[Path, tuple[str, capz_wi.TransformResult]]) -> None:
    import jsonschema

    _, result = results[path]
    version = path.parent.parent.name
    schemas = crd_schemas(CRD_FOR[version])
    edited = {(c.object.kind, c.object.name) for c in result.changes}
    checked = 0
    for o in load_all(result.text):
        if (o["kind"], o["metadata"]["name"]) not in edited or o["kind"] not in schemas:
            continue
        schema = dict(schemas[o["kind"]])
        jsonschema.Draft7Validator(schema).validate(o)
        checked += 1
    assert checked == len({k for k in edited if k[0] in schemas})
