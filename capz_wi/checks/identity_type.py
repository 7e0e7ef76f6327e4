"""AzureClusterIdentity ``spec.type`` is not ``WorkloadIdentity``.

Triggers::

    kind: AzureClusterIdentity
    spec:
      type: ServicePrincipal

Fix: ``capz-wi transform`` sets ``type: WorkloadIdentity`` (rule identity-type). The field is immutable in CAPZ, so
only for a cluster not yet created.
"""

from __future__ import annotations

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi.checks._base import CheckContext, Findings, Match, finding, has_placeholder

ID = "identity-type"
CODE = "CWI001"
SEVERITY = "error"
HINT = "run `capz-wi transform` (it sets type: WorkloadIdentity); the field is immutable, so only before the cluster exists"
MATCH = Match(INFRA_GROUP, ("AzureClusterIdentity",))


def check(res: Resource, ctx: CheckContext) -> Findings:
    value = res.value("spec", "type")
    if value == "WorkloadIdentity" or has_placeholder(value):
        return
    yield finding(res, ("spec", "type"), f"identity type is {value or '(not set)'}, not WorkloadIdentity")
