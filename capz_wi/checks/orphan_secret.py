"""A Secret in the stream only backs an AzureClusterIdentity ``clientSecret``.

Triggers::

    kind: AzureClusterIdentity
    metadata: {name: cluster-identity, namespace: default}
    spec:
      clientSecret: {name: cluster-identity-secret}
    ---
    apiVersion: v1
    kind: Secret
    metadata: {name: cluster-identity-secret, namespace: default}

With workload identity the service-principal secret has no use; shipping it keeps a credential alive.
Fix: delete it, or ``capz-wi transform --prune-secret``. The Secret's values are never shown.
"""

from __future__ import annotations

from capz_wi._document import Resource
from capz_wi.checks._base import CheckContext, Findings, finding

ID = "orphan-secret"
CODE = "CWI003"
SEVERITY = "warning"
HINT = "delete the Secret, or run `capz-wi transform --prune-secret`"


def MATCH(res: Resource) -> bool:  # noqa: N802 - a callable standing in for Match
    return res.kind == "Secret" and res.api_version == "v1"


def check(res: Resource, ctx: CheckContext) -> Findings:
    backed = [
        i for i in ctx.identities()
        if i.value("spec", "clientSecret", "name") == res.name
        and (i.value("spec", "clientSecret", "namespace") or i.effective_namespace) == res.effective_namespace
    ]
    if not backed or _used_elsewhere(res, ctx):
        return
    names = ", ".join(str(i.ref) for i in backed)
    yield finding(res, (), f"Secret only backs the clientSecret of {names}; workload identity does not use it", "warning")


def _used_elsewhere(secret: Resource, ctx: CheckContext) -> bool:
    """Another object names the Secret in an annotation value (an ASO ``credential-from``, say)."""
    for r in ctx.objects:
        if r is secret:
            continue
        annotations = r.data("metadata", "annotations") or {}
        if isinstance(annotations, dict) and secret.name in annotations.values():
            return True
    return False
