"""Migrate a *running* service-principal cluster to workload identity: new objects where CAPZ forbids updates.

The core transform cannot be applied over a live cluster: CAPZ rejects updates of
``AzureClusterIdentity.spec.type`` and of the whole ``AzureMachineTemplate.spec.template.spec``. ``migrate`` takes
the cluster's current manifests (files from Git, or ``kubectl get ... -o yaml``, a ``v1`` ``List``) and returns
the objects to apply, in a safe order:

1. a new ``AzureClusterIdentity`` ``<old><suffix>`` (when the old one's ``type`` must change);
2. copies of immutable templates in use (``AzureClusterTemplate``, ``AzureManagedControlPlaneTemplate``) when
   they reference something renamed;
3. ``AzureCluster`` / ``AzureManagedControlPlane`` with ``identityRef`` repointed (mutable);
4. ``AzureMachineTemplate`` copies ``<old><suffix>`` carrying the user-assigned identity, and
   ``KubeadmConfigTemplate`` copies whose ``<AzureMachineTemplate>-azure-json`` Secret references are renamed with
   their template (changing a template in place rolls no machine);
5. ``AzureMachinePool`` edited in place (its identity fields are mutable: a VMSS model update);
6. ``ClusterClass``, ``KubeadmControlPlane`` and ``MachineDeployment`` with their references repointed, which
   starts CAPI's rolling replacement of the machines.

Which fields change on each object is decided by the same rules as ``transform``, planned over the whole input
(so roles, ``allowedNamespaces`` widening and "first entry, CI default dropped" are the transform's), then
rebound to each object's own text. Old objects are never emitted: they stay for rollback. Only objects *in use*
(referenced by something in the input) are migrated, so running ``migrate`` again over the migrated cluster
finds nothing to do. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from capz_wi import _yamlio as y
from capz_wi._document import ObjectRef, Resource, resources
from capz_wi._edits import Edit, RemoveDocument, RemoveField, SetField, _Text, apply_edits
from capz_wi._engine import load, plan
from capz_wi._errors import InputError, OptionsError
from capz_wi._options import Options
from capz_wi._report import Finding

Action = Literal["create", "repoint", "rename reference", "update", "unchanged"]
Path = tuple[str | int, ...]

DEFAULT_SUFFIX = "-wi"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
AZURE_JSON = "-azure-json"

#: Server-set fields stripped from every emitted object (``kubectl get -o yaml`` prints them).
SERVER_FIELDS: tuple[Path, ...] = (
    ("status",),
    ("metadata", "resourceVersion"),
    ("metadata", "uid"),
    ("metadata", "generation"),
    ("metadata", "creationTimestamp"),
    ("metadata", "managedFields"),
    ("metadata", "selfLink"),
)

#: Kinds that are copied under a new name instead of edited: CAPZ/CAPI reject updates of their spec, or (for
#: KubeadmConfigTemplate) an in-place change would roll no machine.
COPY_KINDS = frozenset(
    {
        "AzureMachineTemplate",
        "KubeadmConfigTemplate",
        "AzureClusterTemplate",
        "AzureManagedControlPlaneTemplate",
    }
)
#: Kinds whose rule edits are applied in place (their identity fields are mutable).
IN_PLACE_KINDS = frozenset({"AzureMachinePool", "AzureClusterIdentity"})

#: Maximum name length per renamed kind. All are DNS-1123 subdomains (253); an AzureMachineTemplate name also
#: becomes the Secret ``<name>-azure-json``, so it keeps room for that suffix. None of the renamed kinds has its
#: name used as a label value, so the 63-character label limit does not apply to them.
MAX_NAME: dict[str, int] = {"AzureMachineTemplate": 253 - len(AZURE_JSON)}
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
SUFFIX = re.compile(r"^[-.a-z0-9]*[a-z0-9]$")

#: Apply order by kind: what an object references comes before it.
ORDER = {
    "AzureClusterIdentity": 0,
    "AzureClusterTemplate": 1,
    "AzureManagedControlPlaneTemplate": 1,
    "AzureCluster": 2,
    "AzureManagedControlPlane": 2,
    "AzureMachineTemplate": 3,
    "KubeadmConfigTemplate": 3,
    "AzureMachinePool": 4,
    "ClusterClass": 5,
    "KubeadmControlPlane": 6,
    "MachineDeployment": 7,
}

ROLLOUT = {
    "KubeadmControlPlane": "rolling replacement of the control-plane machines (one at a time)",
    "MachineDeployment": "rolling replacement of the worker machines (per the MachineDeployment strategy)",
    "AzureMachinePool": "VMSS model update; instances are updated per the AzureMachinePool strategy",
    "ClusterClass": "the topology controller rebases every Cluster of this class, rolling its machines",
    "AzureCluster": "none; CAPZ authenticates with the new identity from its next reconcile",
    "AzureManagedControlPlane": "none; CAPZ authenticates with the new identity from its next reconcile",
    "AzureClusterIdentity": "none; CAPZ reads the identity again on its next reconcile",
}

IMMUTABLE = {
    "AzureClusterIdentity": "AzureClusterIdentity.spec.type",
    "AzureMachineTemplate": "AzureMachineTemplate.spec.template.spec",
    "AzureClusterTemplate": "AzureClusterTemplate.spec.template.spec",
    "AzureManagedControlPlaneTemplate": "AzureManagedControlPlaneTemplate.spec.template.spec",
}


# ---------------------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class PlanStep:
    """One row of the migration plan: what happens to ``object`` (``source`` is the object it was copied from)."""

    order: int  # apply order, 1-based; 0 for unchanged objects (nothing to apply)
    action: Action
    object: ObjectRef
    source: ObjectRef | None = None
    details: tuple[str, ...] = ()
    rollout: str = ""


@dataclass(frozen=True)
class MigrationResult:
    """What ``migrate`` returns: ``text`` (the objects to apply, in order; empty when nothing is to change),
    ``steps`` (the plan), the ``immutable`` fields worked around, ``cleanup`` commands and rule ``findings``."""

    text: str
    steps: tuple[PlanStep, ...] = ()
    immutable: tuple[str, ...] = ()
    cleanup: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    file: str = "<stdin>"

    @property
    def changed(self) -> bool:
        """True when there is something to apply."""
        return any(s.order for s in self.steps)

    @property
    def ok(self) -> bool:
        """False when a rule refused an edit (an error finding): nothing should be applied."""
        return not any(f.severity == "error" for f in self.findings)

    def render_plan(self) -> str:
        """The plan as text for a terminal: table, immutable fields, rollout, cleanup."""
        return render_plan(self)


# ---------------------------------------------------------------------------------------------------------------
# References between objects


def _ref_paths(res: Resource) -> Iterator[Path]:
    """Paths of the object references ``res`` holds (each a mapping with ``name`` and usually ``kind``)."""
    k = res.kind
    if k in ("AzureCluster", "AzureManagedControlPlane"):
        yield ("spec", "identityRef")
    elif k in ("AzureClusterTemplate", "AzureManagedControlPlaneTemplate"):
        yield ("spec", "template", "spec", "identityRef")
    elif k == "KubeadmControlPlane":
        yield ("spec", "machineTemplate", "infrastructureRef")
    elif k in ("MachineDeployment", "MachinePool", "MachineSet"):
        yield ("spec", "template", "spec", "infrastructureRef")
        yield ("spec", "template", "spec", "bootstrap", "configRef")
    elif k == "Cluster":
        yield ("spec", "infrastructureRef")
        yield ("spec", "controlPlaneRef")
    elif k == "ClusterClass":
        for key in ("ref", "templateRef"):
            yield ("spec", "infrastructure", key)
            yield ("spec", "controlPlane", key)
            yield ("spec", "controlPlane", "machineInfrastructure", key)
        for pool in ("machineDeployments", "machinePools"):
            items = res.get("spec", "workers", pool)
            for i in range(len(items.value) if isinstance(items, y.SequenceNode) else 0):
                for part in ("infrastructure", "bootstrap"):
                    yield ("spec", "workers", pool, i, "template", part, "ref")
                    yield ("spec", "workers", pool, i, part, "templateRef")


Key = tuple[str, str, str]  # (kind, namespace, name)


def references(res: Resource) -> Iterator[tuple[Path, Key]]:
    """Every (path to the ref mapping, (kind, namespace, name) it points at) held by ``res``."""
    for path in _ref_paths(res):
        name = res.value(*path, "name")
        if not name:
            continue
        kind = res.value(*path, "kind") or ("AzureClusterIdentity" if path[-1] == "identityRef" else "")
        ns = res.value(*path, "namespace") or res.effective_namespace
        yield path, (kind, ns, name)


def _files_paths(res: Resource) -> Iterator[Path]:
    """Paths of the ``files[].contentFrom.secret.name`` values of a KubeadmControlPlane or KubeadmConfigTemplate."""
    base = {
        "KubeadmControlPlane": ("spec", "kubeadmConfigSpec", "files"),
        "KubeadmConfigTemplate": ("spec", "template", "spec", "files"),
    }.get(res.kind)
    if base is None:
        return
    files = res.get(*base)
    for i in range(len(files.value) if isinstance(files, y.SequenceNode) else 0):
        if res.value(*base, i, "contentFrom", "secret", "name"):
            yield (*base, i, "contentFrom", "secret", "name")


def key_of(res: Resource) -> Key:
    return (res.kind, res.effective_namespace, res.name)


def _in_use(objects: list[Resource], index: dict[Key, Resource]) -> set[int]:
    """ids of the objects in use: every object of a kind that is never copied (Cluster, AzureCluster,
    KubeadmControlPlane, MachineDeployment, ClusterClass, ...) and whatever they reach through references.
    Templates and identities superseded by an earlier migration are reachable from nothing, so they stay put."""
    todo = [r for r in objects if r.kind not in COPY_KINDS and r.kind != "AzureClusterIdentity"]
    seen = {id(r) for r in todo}
    while todo:
        r = todo.pop()
        for _, target in references(r):
            t = index.get(target)
            if t is not None and id(t) not in seen:
                seen.add(id(t))
                todo.append(t)
    return seen


# ---------------------------------------------------------------------------------------------------------------
# Names


def new_name(old: str, suffix: str, kind: str) -> str:
    """``<old><suffix>``, truncated with a short hash of ``old`` when it would exceed the kind's length limit."""
    limit = MAX_NAME.get(kind, 253)
    name = old + suffix
    if len(name) > limit:
        digest = hashlib.sha256(old.encode()).hexdigest()[:6]
        keep = limit - len(suffix) - len(digest) - 1
        name = f"{old[:keep].rstrip('-.')}-{digest}{suffix}"
    return name


def check_suffix(suffix: str) -> None:
    if not suffix or not SUFFIX.match(suffix) or ".." in suffix or "-." in suffix or ".-" in suffix:
        raise OptionsError(
            f"{suffix!r} is not a valid name suffix",
            "suffix",
            "use lower-case letters, digits and '-', ending in a letter or digit (default -wi)",
        )


# ---------------------------------------------------------------------------------------------------------------
# The migration


@dataclass
class _Work:
    """What happens to one input object that is emitted."""

    res: Resource
    action: Action
    name: str  # the emitted object's name
    edits: list[tuple[str, Path, Any]] = field(default_factory=list)  # ("set"|"remove", path, value)
    rule_edits: list[Edit] = field(default_factory=list)
    details: list[str] = field(default_factory=list)


def migrate(
    source: str | bytes, options: Options | None = None, *, suffix: str = DEFAULT_SUFFIX, file: str = "<stdin>"
) -> MigrationResult:
    """Plan the migration of a running cluster whose manifests are ``source`` (YAML text or UTF-8 bytes; a
    ``v1`` ``List`` as ``kubectl get -o yaml`` prints works too).

    Returns a :class:`MigrationResult`: the manifest set to apply (server-set fields stripped), the plan and the
    rule findings. Raises :class:`InputError` for unusable input or a name collision with an existing object,
    :class:`OptionsError` for invalid options or suffix.
    """
    opts = options or Options()
    return migrate_streams([load(source, file, opts.max_bytes)], opts, suffix=suffix)


def migrate_streams(streams: Sequence[y.Stream], options: Options, *, suffix: str = DEFAULT_SUFFIX) -> MigrationResult:
    """:func:`migrate` over already-loaded streams (several files that together hold one cluster)."""
    check_suffix(suffix)
    objects = [r for s in streams for r in resources(s)]
    edits, findings = plan(objects, options)
    by_obj: dict[int, list[Edit]] = {}
    for e in edits:
        if not isinstance(e, RemoveDocument):
            by_obj.setdefault(id(e.resource), []).append(e)
    index: dict[Key, Resource] = {}
    for r in objects:
        index.setdefault(key_of(r), r)
    referrers: dict[Key, list[tuple[Resource, Path]]] = {}
    for r in objects:
        for path, target in references(r):
            referrers.setdefault(target, []).append((r, path))

    in_use = _in_use(objects, index)
    work: dict[int, _Work] = {}

    def get_work(r: Resource, action: Action) -> _Work:
        w = work.get(id(r))
        if w is None:
            w = work[id(r)] = _Work(r, action, r.name)
        return w

    def rename(r: Resource) -> _Work:
        """Copy ``r`` under a new name and repoint everything that references it (cascading to copies)."""
        w = get_work(r, "create")
        if w.action == "create" and w.name != r.name:
            return w
        w.action = "create"
        w.name = new_name(r.name, suffix, r.kind)
        if not DNS1123.match(w.name):
            raise InputError(
                f"{r.kind} name {w.name!r} is not a valid Kubernetes name", r.pos("metadata", "name"), "choose another --suffix"
            )
        clash = index.get((r.kind, r.effective_namespace, w.name))
        if clash is not None:
            raise InputError(
                f"{r.kind} {r.effective_namespace}/{w.name} already exists, so {r.name} cannot be copied to it",
                clash.pos("metadata", "name"),
                "choose another --suffix, or delete the leftover object if a previous migration was abandoned",
            )
        w.edits.append(("set", ("metadata", "name"), w.name))
        if r.get("metadata", "finalizers") is not None:  # a new object: its controller adds its own
            w.edits.append(("remove", ("metadata", "finalizers"), None))
        w.details.insert(0, f"copy of {r.name}")
        for referrer, path in referrers.get(key_of(r), []):
            if referrer.kind == "MachineSet" or id(referrer) not in in_use:
                continue  # owned by its MachineDeployment (repointed), or a superseded object kept for rollback
            repoint(referrer, path, w.name)
        if r.kind == "AzureMachineTemplate":
            rename_secret_refs(r.effective_namespace, r.name + AZURE_JSON, w.name + AZURE_JSON)
        return w

    def repoint(r: Resource, path: Path, name: str) -> None:
        w = get_work(r, "repoint")
        if w.action in ("rename reference", "update"):
            w.action = "repoint"
        w.edits.append(("set", (*path, "name"), name))
        w.details.append(f"{'.'.join(map(str, path))} -> {name}")
        if r.kind in COPY_KINDS:
            rename(r)

    def rename_secret_refs(ns: str, old: str, new: str) -> None:
        for r in objects:
            if r.effective_namespace != ns or id(r) not in in_use:
                continue
            for path in _files_paths(r):
                if r.value(*path) != old:
                    continue
                w = get_work(r, "rename reference")
                w.edits.append(("set", path, new))
                w.details.append(f"{'.'.join(map(str, path))}: {old} -> {new}")
                if r.kind in COPY_KINDS:
                    rename(r)

    # Seeds: objects the rules would change. Copy kinds and identities only when in use, so the old objects
    # left behind by an earlier migration (no longer reachable) are not migrated again.
    for r in objects:
        rule_edits = by_obj.get(id(r))
        if not rule_edits or r.kind not in COPY_KINDS | IN_PLACE_KINDS:
            continue
        if r.kind in COPY_KINDS or r.kind == "AzureClusterIdentity":
            if id(r) not in in_use:
                continue
        type_change = any(e.path == ("spec", "type") for e in rule_edits)
        if r.kind in COPY_KINDS or (r.kind == "AzureClusterIdentity" and type_change):
            w = rename(r)
        else:
            w = get_work(r, "update")
        w.rule_edits.extend(rule_edits)
        w.details.extend(_describe(e) for e in rule_edits)

    notes: list[Finding] = []
    for w in work.values():
        if w.res.kind == "AzureClusterIdentity" and w.action == "create" and options.client_id is None:
            notes.append(
                Finding(
                    "warning",
                    f"no --client-id given: {w.name} keeps clientID {w.res.value('spec', 'clientID')} of the service "
                    "principal; pass the client ID of the identity that has the federated credentials",
                    w.res.ref,
                    w.res.pos("spec", "clientID"),
                    "migrate",
                )
            )
    emitted = sorted(work.values(), key=lambda w: (ORDER.get(w.res.kind, 8), objects.index(w.res)))
    texts: list[str] = []
    steps: list[PlanStep] = []
    for n, w in enumerate(emitted, 1):
        texts.append(_emit(w))
        new_ref = ObjectRef(w.res.api_version, w.res.kind, w.name, w.res.namespace)
        steps.append(
            PlanStep(
                n,
                w.action,
                new_ref,
                w.res.ref if w.action == "create" else None,
                tuple(w.details),
                _rollout(w),
            )
        )
    for w in emitted:
        if w.action == "create":
            steps.append(
                PlanStep(0, "unchanged", w.res.ref, None, (f"superseded by {w.name}; kept for rollback",))
            )
    for r in objects:
        if r.kind == "AzureMachine" and by_obj.get(id(r)):
            steps.append(
                PlanStep(0, "unchanged", r.ref, None, ("identity fields immutable; replaced by the rollout",))
            )
    immutable = tuple(
        f"{IMMUTABLE[w.res.kind]}: new {w.res.kind} {w.name} instead of updating {w.res.name}"
        for w in emitted
        if w.action == "create" and w.res.kind in IMMUTABLE
    )
    # Findings about objects left alone (superseded, not in use, or AzureMachines, which the rollout replaces)
    # are noise; the identity-type and no-client-secret warnings describe the in-place transform, which the
    # plan's cleanup replaces here.
    in_use_keys = {key_of(r) for r in objects if id(r) in in_use and r.kind in COPY_KINDS | IN_PLACE_KINDS}
    kept_findings = tuple(
        f
        for f in findings
        if not (f.severity == "warning" and f.rule in ("identity-type", "no-client-secret"))
        and (f.object is None or (f.object.kind, f.object.namespace or "default", f.object.name) in in_use_keys)
    ) + tuple(notes)
    file = ", ".join(s.file for s in streams) or "<stdin>"
    return MigrationResult(
        "".join(("---\n" if i else "") + t for i, t in enumerate(texts)),
        tuple(steps),
        immutable,
        tuple(_cleanup(emitted)),
        kept_findings,
        file,
    )


def _describe(e: Edit) -> str:
    path = ".".join(str(p) for p in e.path)
    if isinstance(e, RemoveField) or e.op == "remove":
        return f"remove {path}" + ("" if e.redact or e.old is None else f" ({_short(e.old)})")
    return f"{path}: {_short(e.old)} -> {_short(e.new)}" if e.op == "set" else f"{path} += {_short(e.new)}"


def _short(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return "(none)" if value is None else str(value)


def _rollout(w: _Work) -> str:
    if w.action == "create":
        return "none until referenced"
    return ROLLOUT.get(w.res.kind, "none")


# ---------------------------------------------------------------------------------------------------------------
# Emitting one object


def _object_text(res: Resource) -> str:
    """The object's own YAML text as a top-level document (a List item is dedented to column 0)."""
    node = res.node
    text = res.stream.text
    start, end = node.start_mark.index, _Text(res.stream).content_end(node)
    body = text[start:end]
    if res.item is not None and not node.flow_style:
        col = node.start_mark.column
        lines = body.split("\n")
        out = [lines[0]]
        for line in lines[1:]:
            if line[:col].strip():
                return _json_text(node)
            out.append(line[col:])
        body = "\n".join(out)
    elif res.item is not None or node.start_mark.column:
        return _json_text(node)
    nl = res.stream.newline
    return body + nl


def _json_text(node: y.Node) -> str:
    """Fallback for unusual layouts: the object as JSON (valid YAML), scalars typed as the engine reads them."""
    from capz_wi._engine import _to_json

    return json.dumps(_to_json(node), indent=2, ensure_ascii=False) + "\n"


def _emit(w: _Work) -> str:
    """The emitted text of one object: its own text with the planned edits spliced in."""
    stream = y.load_stream(_object_text(w.res), w.res.stream.file)
    res = next(resources(stream))
    edits: list[Edit] = []
    for path in SERVER_FIELDS:
        if res.get(*path) is not None:
            edits.append(RemoveField(res, path))
    annotations = res.get("metadata", "annotations")
    if y.lookup(annotations, LAST_APPLIED) is not None:
        only = isinstance(annotations, y.MappingNode) and len(annotations.value) == 1
        edits.append(RemoveField(res, ("metadata", "annotations") if only else ("metadata", "annotations", LAST_APPLIED)))
    for op, path, value in w.edits:
        edits.append(SetField(res, path, value) if op == "set" else RemoveField(res, path))
    for e in w.rule_edits:
        edits.append(type(e)(res, e.path, e.new, e.old, e.rule, e.redact))
    return apply_edits(stream, edits)


# ---------------------------------------------------------------------------------------------------------------
# Cleanup and plan text


def _cleanup(emitted: list[_Work]) -> Iterator[str]:
    """Commands that delete the superseded objects: templates first (the old AzureClusterTemplate still
    references the old identity), then the identity, its finalizer and its client-secret Secret."""
    copies = [w for w in emitted if w.action == "create"]
    templates = [w for w in copies if w.res.kind != "AzureClusterIdentity"]
    if templates:
        yield "# once the rollout is done and you no longer need to roll back (old MachineSets reference them):"
        for w in templates:
            yield f"kubectl delete {w.res.kind.lower()} {w.res.name} -n {w.res.effective_namespace}"
    for w in copies:
        r = w.res
        ns = r.effective_namespace
        if r.kind != "AzureClusterIdentity":
            continue
        yield (
            f"# then, when nothing references {r.name} any more (this prints nothing): kubectl get "
            "azurecluster,azuremanagedcontrolplane,azureclustertemplate,azuremanagedcontrolplanetemplate -A -o "
            "jsonpath='{range .items[*]}{.spec.identityRef.name}{.spec.template.spec.identityRef.name}{\"\\n\"}{end}'"
            f" | grep -x {r.name}"
        )
        yield (
            f"kubectl patch azureclusteridentity {r.name} -n {ns} --type=json "
            "-p '[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]'"
        )
        yield f"kubectl delete azureclusteridentity {r.name} -n {ns}"
        secret = r.value("spec", "clientSecret", "name")
        if secret:
            sns = r.value("spec", "clientSecret", "namespace") or ns
            yield f"kubectl delete secret {secret} -n {sns}  # the old client secret; also delete it in Azure"


def render_plan(result: MigrationResult) -> str:
    """The plan as aligned text: one row per object (order, action, object, details), then the immutable fields
    worked around, the rollouts, and the cleanup commands."""
    lines: list[str] = []
    todo = [s for s in result.steps if s.order]
    if not todo:
        lines.append(f"capz-wi migrate: {result.file}: nothing to change: the objects in use already use workload identity")
        return "\n".join(lines) + "\n"
    lines.append(f"capz-wi migrate: {result.file}: apply {len(todo)} object(s) in this order")
    rows = [("#", "action", "object", "details")]
    for s in result.steps:
        rows.append((str(s.order) if s.order else "-", s.action, _ref_text(s.object), "; ".join(s.details)))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    for r in rows:
        lines.append(f"  {r[0]:>{w0}}  {r[1]:<{w1}}  {r[2]:<{w2}}  {r[3]}".rstrip())
    lines.append("Immutable fields worked around:")
    lines.extend(f"  {i}" for i in result.immutable) if result.immutable else lines.append("  none")
    lines.append("Rollout:")
    for s in todo:
        if s.action != "create":
            lines.append(f"  {_ref_text(s.object)}: {s.rollout}")
    if result.cleanup:
        lines.append("Cleanup (the old objects stay until you delete them; rollback = repoint to them):")
        lines.extend(f"  {c}" for c in result.cleanup)
    return "\n".join(lines) + "\n"


def _ref_text(ref: ObjectRef) -> str:
    return f"{ref.kind} {ref.namespace or 'default'}/{ref.name}"


__all__ = ["MigrationResult", "PlanStep", "migrate", "migrate_streams", "render_plan"]
