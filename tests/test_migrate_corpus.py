"""``migrate`` over every rendered CAPZ template of ../shared/corpus, each treated as a live cluster's manifests.

For each flavor: the emitted set never changes an existing AzureMachineTemplate's spec or an existing
AzureClusterIdentity's type (CAPZ rejects both); after the apply (input + emitted, emitted replacing same-name
objects) every object reference resolves, every ``-azure-json`` Secret reference follows the template actually in
use, everything in use is complete for workload identity, and a second ``migrate`` finds nothing to do.
References are found here by walking every mapping, independently of the code under test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import capz_wi
from capz_wi._document import resources
from capz_wi._edits import RemoveDocument, apply_edits
from capz_wi._engine import load
from capz_wi._migrate import migrate
from tests.conftest import CLIENT_ID, IDENTITY, TENANT_ID, corpus_ids, corpus_templates, need_shared

TEMPLATES = corpus_templates("rendered")
OPTS = capz_wi.Options(identity_id=IDENTITY, client_id=CLIENT_ID, tenant_id=TENANT_ID)
GROUPS = ("cluster.x-k8s.io",)  # every CAPI/CAPZ group ends with it

Key = tuple[str, str, str]


def objects(text: str) -> dict[Key, dict[str, Any]]:
    out: dict[Key, dict[str, Any]] = {}
    for r in resources(load(text, "t")):
        out[(r.kind, r.effective_namespace, r.name)] = {"data": r.data(), "ns": r.effective_namespace}
    return out


def refs(obj: dict[str, Any], ns: str) -> list[tuple[str, Key]]:
    """(key path, target) of every object reference: a mapping with kind and name whose apiVersion is a CAPI
    group, found anywhere in the object (identityRef has no apiVersion requirement: it names its kind)."""
    found: list[tuple[str, Key]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            api = str(node.get("apiVersion") or "")
            if path.split(".")[-1].lower().endswith("ref") and node.get("name") and node.get("kind"):
                if api.split("/")[0].endswith(GROUPS) or path.endswith("identityRef"):
                    found.append((path, (node["kind"], node.get("namespace") or ns, node["name"])))
            for k, v in node.items():
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}.{i}")

    walk(obj.get("spec"), "spec")
    return found


def azure_json_names(obj: dict[str, Any]) -> list[str]:
    spec = obj.get("spec") or {}
    files = (spec.get("kubeadmConfigSpec") or {}).get("files") or (
        ((spec.get("template") or {}).get("spec") or {}).get("files") or []
    )
    names = []
    for f in files:
        name = ((f.get("contentFrom") or {}).get("secret") or {}).get("name") if isinstance(f, dict) else None
        if name and name.endswith("-azure-json"):
            names.append(name)
    return names


ROOTS = ("Cluster", "ClusterClass", "KubeadmControlPlane", "MachineDeployment", "MachinePool")


def in_use(union: dict[Key, dict[str, Any]]) -> set[Key]:
    """Objects reachable through references from the objects that are never copied (the cluster's owners);
    superseded templates kept for rollback are not in use."""
    todo = [k for k in union if k[0] in ROOTS]
    seen: set[Key] = set(todo)
    while todo:
        key = todo.pop()
        obj = union.get(key)
        for _, target in refs(obj["data"], obj["ns"]) if obj else []:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def union_text(source: str, emitted: str) -> str:
    """The cluster after the apply, as one stream: input without the replaced objects, then the emitted set."""
    stream = load(source, "in")
    new = objects(emitted) if emitted else {}
    replaced = [RemoveDocument(r, ()) for r in resources(stream) if (r.kind, r.effective_namespace, r.name) in new]
    kept = apply_edits(stream, replaced) if replaced else source
    if not kept.endswith("\n"):
        kept += "\n"
    return kept + ("---\n" + emitted if emitted else "")


@pytest.mark.parametrize("path", TEMPLATES, ids=corpus_ids(TEMPLATES))
def test_migrate_corpus(path: Path) -> None:
    need_shared()
    source = path.read_text()
    result = migrate(source, OPTS, file=path.name)
    assert result.ok, [str(f) for f in result.findings]
    before = objects(source)
    after_emit = objects(result.text) if result.text else {}
    # Immutable fields: never an update of an existing AzureMachineTemplate spec or AzureClusterIdentity type.
    for key, obj in after_emit.items():
        old = before.get(key)
        if old is None:
            continue
        if key[0] == "AzureMachineTemplate":
            assert obj["data"]["spec"] == old["data"]["spec"], key
        if key[0] == "AzureClusterIdentity":
            assert obj["data"]["spec"].get("type") == old["data"]["spec"].get("type"), key
    # Server-set fields never emitted.
    for obj in after_emit.values():
        assert "status" not in obj["data"]
        assert not {"uid", "resourceVersion", "creationTimestamp", "managedFields"} & set(obj["data"]["metadata"])

    union = objects(union_text(source, result.text))
    assert set(before) <= set(union)  # nothing deleted: rollback means repointing to the old objects
    # Every reference resolves after the apply.
    for key, obj in union.items():
        for where, target in refs(obj["data"], obj["ns"]):
            assert target in union, f"{key} {where} -> {target} does not exist"
    # -azure-json references follow the template in use; none names a template no longer used.
    templates = {k[2] for k in union if k[0] == "AzureMachineTemplate"}
    used: set[str] = set()
    pairs: list[tuple[Key, str, list[str]]] = []  # (owner, its AMT, azure-json names of its bootstrap)
    for key, obj in union.items():
        spec = obj["data"].get("spec") or {}
        if key[0] == "KubeadmControlPlane":
            amt = ((spec.get("machineTemplate") or {}).get("infrastructureRef") or {}).get("name")
            pairs.append((key, amt, azure_json_names(obj["data"])))
        elif key[0] == "MachineDeployment":
            tspec = (spec.get("template") or {}).get("spec") or {}
            amt = (tspec.get("infrastructureRef") or {}).get("name")
            cfg = (tspec.get("bootstrap") or {}).get("configRef") or {}
            kct = union.get((cfg.get("kind", ""), cfg.get("namespace") or obj["ns"], cfg.get("name", "")))
            pairs.append((key, amt, azure_json_names(kct["data"]) if kct else []))
        else:
            continue
        if amt:
            used.add(amt)
    for owner, amt, names in pairs:
        for name in names:
            stem = name[: -len("-azure-json")]
            if stem in templates:
                assert stem == amt, f"{owner}: {name} but it uses AzureMachineTemplate {amt}"
                assert stem in used
    # Everything in use is complete: the transform has nothing left to change on objects something references.
    referenced = in_use(union)
    again = capz_wi.transform(union_text(source, result.text), OPTS, file="union")
    pending = {
        (c.object.kind, c.object.namespace or "default", c.object.name)
        for c in again.changes
        if c.object.kind in ("AzureMachineTemplate", "AzureClusterIdentity", "AzureMachinePool")
    }
    assert not (pending & referenced), sorted(pending & referenced)
    # And a second migrate over the migrated cluster has nothing to do.
    second = migrate(union_text(source, result.text), OPTS, file="union")
    assert not second.changed and second.text == "", second.render_plan()


def test_corpus_migrations_do_something() -> None:
    """Guards against a vacuous pass: most flavors need new machine templates, repointed in their owners."""
    need_shared()
    created = 0
    for path in TEMPLATES:
        result = migrate(path.read_text(), OPTS, file=path.name)
        for step in result.steps:
            if step.action == "create" and step.object.kind == "AzureMachineTemplate":
                created += 1
                owners = [s for s in result.steps if s.action == "repoint" and any(step.object.name in d for d in s.details)]
                assert owners, f"{path.name}: {step.object} created but nothing repointed to it"
    assert created >= len(TEMPLATES)


