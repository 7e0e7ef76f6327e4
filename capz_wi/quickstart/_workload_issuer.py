"""Workload identity for the workload cluster itself: its issuer, its service-account key and its JWKS.

CAPZ v1.25+ templates only set ``service-account-issuer`` on the KubeadmControlPlane; Cluster API then generates a
random signing key (unless the ``<cluster>-sa`` Secret already exists), so the tokens' ``kid`` is in no published
JWKS and every exchange fails. :func:`workload_issuer` closes the gap in one pass:

- it plans ``SetField``/``InsertItem`` edits that set ``clusterConfiguration.apiServer.extraArgs`` ->
  ``service-account-issuer`` on every KubeadmControlPlane (``spec.kubeadmConfigSpec...``) and
  KubeadmControlPlaneTemplate (``spec.template.spec.kubeadmConfigSpec...``), as a map entry in Cluster API
  ``v1beta1`` and a ``{name, value}`` item in ``v1beta2``, replacing a ``${SERVICE_ACCOUNT_ISSUER...}``
  placeholder, and applies them with the core's ``apply_edits`` (same fidelity as ``transform``: untouched
  documents stay byte-identical);
- it renders the ``<cluster>-sa`` Secret that KubeadmControlPlane adopts instead of generating a key (``tls.crt``
  the public key PEM, ``tls.key`` the private key PEM, label ``cluster.x-k8s.io/cluster-name``, type
  ``cluster.x-k8s.io/secret`` as Cluster API writes it);
- it builds the discovery documents for that issuer and key.

Pure: text and PEM bytes in, values out. The CLI writes the Secret (mode 0600, never stdout).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field

from capz_wi import _yamlio as y
from capz_wi._document import Resource, resources
from capz_wi._edits import Edit, InsertItem, SetField, apply_edits
from capz_wi._errors import InputError
from capz_wi._report import Change, Finding
from capz_wi.quickstart._discovery import discovery_files, normalize_issuer
from capz_wi.quickstart._errors import RefusedError
from capz_wi.quickstart._keys import check_pair

RULE = "workload-issuer"
ARG = "service-account-issuer"
CP_GROUP = "controlplane.cluster.x-k8s.io"
CLUSTER_GROUP = "cluster.x-k8s.io"
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
_ARGS = ("kubeadmConfigSpec", "clusterConfiguration", "apiServer", "extraArgs")
PATHS = {
    "KubeadmControlPlane": ("spec", *_ARGS),
    "KubeadmControlPlaneTemplate": ("spec", "template", "spec", *_ARGS),
}


@dataclass(frozen=True)
class ManifestSource:
    """One input stream: its display ``name`` and its text or UTF-8 bytes."""

    name: str
    data: str | bytes


@dataclass(frozen=True)
class Cluster:
    """A cluster whose control plane gets the issuer: the ``<name>-sa`` Secret goes to its ``namespace``."""

    name: str
    namespace: str | None


@dataclass
class WorkloadIssuerResult:
    """The edited streams (``texts``, one per source, in order), the changes, the clusters, the Secret
    manifest (``secret``: private key material, write it with mode 0600) and the discovery files."""

    issuer: str
    texts: list[str]
    changes: list[Change]
    clusters: list[Cluster]
    secret: str = field(repr=False)
    discovery: dict[str, str]
    findings: list[Finding] = field(default_factory=list)


def _ns(res: Resource) -> str:
    return res.namespace or ""


def _clusters_for(cp: Resource, objs: list[Resource]) -> list[Cluster]:
    """The Cluster objects that use ``cp`` (directly, or through a ClusterClass for a template)."""
    clusters = [r for r in objs if r.kind == "Cluster" and r.group == CLUSTER_GROUP]
    if cp.kind == "KubeadmControlPlane":
        found = [
            c for c in clusters
            if c.value("spec", "controlPlaneRef", "kind") == cp.kind
            and c.value("spec", "controlPlaneRef", "name") == cp.name
            and _ns(c) == _ns(cp)
        ]
    else:
        classes = {
            r.name for r in objs
            if r.kind == "ClusterClass" and r.group == CLUSTER_GROUP and _ns(r) == _ns(cp)
            and any(
                r.value("spec", "controlPlane", ref, "kind") == cp.kind
                and r.value("spec", "controlPlane", ref, "name") == cp.name
                for ref in ("ref", "templateRef")
            )
        }
        found = [
            c for c in clusters
            if (c.value("spec", "topology", "class") in classes or c.value("spec", "topology", "classRef", "name") in classes)
        ]
    out = [Cluster(c.name, c.namespace) for c in found if c.name]
    label = cp.value("metadata", "labels", CLUSTER_NAME_LABEL)
    if not out and label:
        out = [Cluster(label, cp.namespace)]
    return out


def _plan(cp: Resource, issuer: str) -> list[Edit]:
    """The edits that make ``cp`` pass ``--service-account-issuer=<issuer>`` (none when it already does)."""
    path = PATHS[cp.kind]
    args = cp.get(*path)
    v1beta2 = cp.api_version == f"{CP_GROUP}/v1beta2"
    if args is None or y.is_null(args):
        value: object = [{"name": ARG, "value": issuer}] if v1beta2 else {ARG: issuer}
        return [SetField(cp, path, value, None, RULE)]
    if v1beta2:
        if not isinstance(args, y.SequenceNode):
            raise InputError(
                f"{cp.ref}: {'.'.join(path)} is not a list of {{name, value}}", cp.pos(*path),
                "controlplane.cluster.x-k8s.io/v1beta2 extraArgs are a list of {name, value}",
            )
        for i, item in enumerate(args.value):
            if y.scalar(y.get(item, "name")) == ARG:
                old = y.scalar(y.get(item, "value"))
                return [] if old == issuer else [SetField(cp, (*path, i, "value"), issuer, old, RULE)]
        return [InsertItem(cp, (*path, len(args.value)), {"name": ARG, "value": issuer}, None, RULE)]
    if not isinstance(args, y.MappingNode):
        raise InputError(
            f"{cp.ref}: {'.'.join(path)} is not a mapping", cp.pos(*path),
            "controlplane.cluster.x-k8s.io/v1beta1 extraArgs are a map of flag to value",
        )
    old = cp.value(*path, ARG)
    return [] if old == issuer else [SetField(cp, (*path, ARG), issuer, old, RULE)]


def plan_issuer(cp: Resource, issuer: str) -> list[Edit]:
    """The edits that set ``service-account-issuer`` on one KubeadmControlPlane(Template) (none when it already
    says ``issuer``). ``issuer`` must already be normalised (:func:`normalize_issuer`)."""
    return _plan(cp, issuer)


def secret_manifest(clusters: Sequence[Cluster], private_pem: bytes, public_pem: bytes) -> str:
    """The ``<cluster>-sa`` Secret(s) KubeadmControlPlane adopts, as a YAML stream (holds the private key)."""
    crt = base64.b64encode(public_pem).decode("ascii")
    key = base64.b64encode(private_pem).decode("ascii")
    docs = []
    for c in clusters:
        ns = f"  namespace: {y.render_scalar(c.namespace)}\n" if c.namespace else ""
        docs.append(
            "apiVersion: v1\n"
            "kind: Secret\n"
            "metadata:\n"
            f"  name: {y.render_scalar(c.name + '-sa')}\n"
            f"{ns}"
            "  labels:\n"
            f"    {CLUSTER_NAME_LABEL}: {y.render_scalar(c.name)}\n"
            "type: cluster.x-k8s.io/secret\n"
            "data:\n"
            f"  tls.crt: {crt}\n"
            f"  tls.key: {key}\n"
        )
    return "---\n".join(docs)


def workload_issuer(
    sources: Sequence[ManifestSource],
    issuer: str,
    signing_key_pem: bytes,
    public_key_pem: bytes,
    *,
    cluster_names: Sequence[str] = (),
    signing_key_name: str = "<signing key>",
    public_key_name: str = "<public key>",
    max_bytes: int = y.DEFAULT_MAX_BYTES,
) -> WorkloadIssuerResult:
    """Set the workload clusters' issuer in ``sources`` and build their ``<cluster>-sa`` Secret and discovery files.

    ``cluster_names`` overrides the clusters found through ``Cluster.spec.controlPlaneRef`` / ClusterClass (or
    the KubeadmControlPlane's ``cluster.x-k8s.io/cluster-name`` label). Raises :class:`RefusedError` for a
    non-https issuer, keys that are not a pair, input without a KubeadmControlPlane, or a control plane whose
    cluster cannot be told; :class:`capz_wi.InputError` for input that cannot be parsed or edited.
    """
    from capz_wi._engine import load

    iss = normalize_issuer(issuer)
    public = check_pair(signing_key_pem, public_key_pem, signing_key_name, public_key_name)
    streams = [load(s.data, s.name, max_bytes) for s in sources]
    per_stream = [list(resources(st)) for st in streams]
    everything = [r for objs in per_stream for r in objs]
    cps = [r for r in everything if r.group == CP_GROUP and r.kind in PATHS]
    if not cps:
        raise RefusedError(
            "the input holds no KubeadmControlPlane or KubeadmControlPlaneTemplate", None,
            "pass the workload cluster's manifest (clusterctl generate cluster ...)",
        )
    clusters: list[Cluster] = []
    if cluster_names:
        ns = next((c.namespace for c in cps if c.namespace), None)
        clusters = [Cluster(n, ns) for n in cluster_names]
    else:
        for cp in cps:
            found = _clusters_for(cp, everything)
            if not found:
                raise RefusedError(
                    f"cannot tell which cluster {cp.ref} belongs to (no Cluster references it)", None,
                    "pass --cluster-name NAME so the <NAME>-sa Secret can be written",
                )
            clusters += [c for c in found if c not in clusters]
    texts: list[str] = []
    changes: list[Change] = []
    for st, objs in zip(streams, per_stream):
        edits = [e for cp in objs if cp.group == CP_GROUP and cp.kind in PATHS for e in _plan(cp, iss)]
        text = apply_edits(st, edits) if edits else st.text
        texts.append(("\ufeff" if st.bom else "") + text)
        changes += [
            Change(
                e.resource.ref, ".".join(map(str, e.path)), "insert" if isinstance(e, InsertItem) else "set",
                e.old, e.new, RULE, e.resource.pos(*e.path),
            )
            for e in edits
        ]
    findings = []
    if len(clusters) > 1:
        findings.append(
            Finding(
                "warning",
                f"{len(clusters)} clusters ({', '.join(c.name for c in clusters)}) share one issuer and signing key: "
                "a token of any of them matches the federated credentials of all",
                None, None, RULE, "", "use one issuer and key per cluster when that matters",
            )
        )
    return WorkloadIssuerResult(
        iss, texts, changes, clusters, secret_manifest(clusters, signing_key_pem, public_key_pem),
        discovery_files(iss, [public]), findings,
    )

