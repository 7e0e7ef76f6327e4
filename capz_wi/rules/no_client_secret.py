"""Remove AzureClusterIdentity ``spec.clientSecret``; report (or, with ``pruneSecret``, remove) its Secret.

Before: ``spec: {clientSecret: {name: s, namespace: default}, type: ...}``   After: no ``clientSecret``.
A Secret in the input that only backed the removed reference is named in a warning; ``pruneSecret`` removes it.
Secret values never appear in any message.
"""

from __future__ import annotations

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi._edits import RemoveDocument, RemoveField
from capz_wi._options import Options
from capz_wi._report import Finding
from capz_wi.rules._base import Context, Match, Plan

ID = "no-client-secret"
MATCH = Match(INFRA_GROUP, ("AzureClusterIdentity",))


def plan(res: Resource, ctx: Context, opts: Options) -> Plan:
    ref = res.get("spec", "clientSecret")
    if ref is None:
        return
    old = res.data("spec", "clientSecret")
    # A SecretReference (name/namespace) is no secret; anything else written there may be the secret itself.
    reference = isinstance(old, dict) and set(old) <= {"name", "namespace"}
    yield RemoveField(res, ("spec", "clientSecret"), None, old, redact=not reference)
    name = res.value("spec", "clientSecret", "name")
    ns = res.value("spec", "clientSecret", "namespace") or res.effective_namespace
    secret = ctx.find("Secret", name, ns) if name else None
    if secret is None or secret.api_version != "v1" or _used_elsewhere(secret, res, ctx):
        return
    if opts.prune_secret:
        yield RemoveDocument(secret, (), None, None, redact=True)
    else:
        yield Finding(
            "warning",
            f"only backed the removed clientSecret of {res.ref}; delete it, or pass --prune-secret",
            secret.ref,
            secret.pos(),
        )


def _used_elsewhere(secret: Resource, identity: Resource, ctx: Context) -> bool:
    """True when another object than ``identity`` names the Secret (an ASO credential-from annotation, say)."""
    for r in ctx.cache(ID, lambda: _annotation_index(ctx)).get(secret.name, ()):
        if r is identity or r is secret:
            continue
        if r.kind == "AzureClusterIdentity":
            if r.value("spec", "clientSecret", "name") == secret.name:
                continue  # its clientSecret is removed too
        return True
    return False


def _annotation_index(ctx: Context) -> dict[str, list[Resource]]:
    """Annotation value -> the objects carrying it, in stream order; built once per stream (one scan of all
    objects per identity was quadratic over streams with many clusters)."""
    index: dict[str, list[Resource]] = {}
    for r in ctx.objects:
        annotations = r.data("metadata", "annotations") or {}
        if isinstance(annotations, dict):
            for value in annotations.values():
                if isinstance(value, str):
                    bucket = index.setdefault(value, [])
                    if not bucket or bucket[-1] is not r:
                        bucket.append(r)
    return index
