"""An ``identityRef`` names an AzureClusterIdentity that is not in the input.

Kinds: AzureCluster, AzureManagedControlPlane (``spec.identityRef``), AzureClusterTemplate,
AzureManagedControlPlaneTemplate (``spec.template.spec.identityRef``). The identity is looked up as
``identityRef.name`` in ``identityRef.namespace``, else in the referrer's own namespace (as CAPZ does).

Triggers::

    kind: AzureCluster
    metadata: {name: my-cluster, namespace: default}
    spec:
      identityRef: {kind: AzureClusterIdentity, name: no-such-identity}

All inputs of one ``capz-wi check`` run are searched, so an identity may live in another file.
"""

from __future__ import annotations

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi.checks._base import IDENTITY_REFERRERS, CheckContext, Findings, Match, finding, has_placeholder

ID = "identity-ref"
CODE = "CWI004"
SEVERITY = "error"
HINT = "add the AzureClusterIdentity to the input, or fix identityRef name/namespace"
MATCH = Match(INFRA_GROUP, tuple(IDENTITY_REFERRERS))


def check(res: Resource, ctx: CheckContext) -> Findings:
    spec = IDENTITY_REFERRERS[res.kind]
    name = res.value(*spec, "identityRef", "name")
    ns = res.value(*spec, "identityRef", "namespace") or res.effective_namespace
    if not name or has_placeholder(name) or has_placeholder(ns):
        return
    if ctx.find("AzureClusterIdentity", name, ns, group=INFRA_GROUP) is None:
        yield finding(res, (*spec, "identityRef", "name"), f"identityRef names AzureClusterIdentity {ns}/{name}, which is not in the input")
