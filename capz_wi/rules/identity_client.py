"""Set AzureClusterIdentity ``spec.clientID`` / ``spec.tenantID`` when a client or tenant ID is given.

Options: ``clientID``, ``tenantID``. Without them both fields are left as they are.
"""

from __future__ import annotations

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi._edits import SetField
from capz_wi._options import Options
from capz_wi.rules._base import Context, Match, Plan

ID = "identity-client"
MATCH = Match(INFRA_GROUP, ("AzureClusterIdentity",))


def plan(res: Resource, ctx: Context, opts: Options) -> Plan:
    for key, value in (("clientID", opts.client_id), ("tenantID", opts.tenant_id)):
        old = res.value("spec", key)
        if value is not None and old != value:
            yield SetField(res, ("spec", key), value, old)
