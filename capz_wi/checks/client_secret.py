"""AzureClusterIdentity still has ``spec.clientSecret``.

Triggers::

    kind: AzureClusterIdentity
    spec:
      type: WorkloadIdentity
      clientSecret: {name: cluster-identity-secret, namespace: default}

A workload identity needs no secret; a leftover reference keeps a credential around for no reason.
Fix: ``capz-wi transform`` removes it (rule no-client-secret).
"""

from __future__ import annotations

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi.checks._base import CheckContext, Findings, Match, finding

ID = "client-secret"
CODE = "CWI002"
SEVERITY = "error"
HINT = "remove spec.clientSecret: `capz-wi transform` does (rule no-client-secret)"
MATCH = Match(INFRA_GROUP, ("AzureClusterIdentity",))


def check(res: Resource, ctx: CheckContext) -> Findings:
    if res.get("spec", "clientSecret") is not None:
        name = res.value("spec", "clientSecret", "name") or "(no name)"
        yield finding(res, ("spec", "clientSecret"), f"clientSecret references Secret {name}; workload identity uses no secret")
