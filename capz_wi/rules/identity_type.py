"""Set AzureClusterIdentity ``spec.type`` to ``WorkloadIdentity``.

Before: ``spec: {type: ServicePrincipal}`` (or a placeholder such as ``${CLUSTER_IDENTITY_TYPE:=ServicePrincipal}``)
After: ``spec: {type: WorkloadIdentity}``.
Identities that already say ``WorkloadIdentity`` are left alone. ``spec.type`` is immutable in CAPZ, so a
warning says to apply the result only to clusters not yet created.
"""

from __future__ import annotations

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi._edits import SetField
from capz_wi._options import Options
from capz_wi._report import Finding
from capz_wi.rules._base import Context, Match, Plan

ID = "identity-type"
MATCH = Match(INFRA_GROUP, ("AzureClusterIdentity",))


def plan(res: Resource, ctx: Context, opts: Options) -> Plan:
    old = res.value("spec", "type")
    if old == "WorkloadIdentity":
        return
    yield SetField(res, ("spec", "type"), "WorkloadIdentity", old)
    yield Finding(
        "warning",
        f"type changed from {old or '(none)'} to WorkloadIdentity; spec.type is immutable, so apply this only to "
        "a cluster not yet created (for a running cluster use `capz-wi migrate`)",
        res.ref,
        res.pos("spec", "type"),
    )
