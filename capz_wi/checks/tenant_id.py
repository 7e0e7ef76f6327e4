"""AzureClusterIdentity ``spec.tenantID`` is missing or not a GUID.

Triggers::

    kind: AzureClusterIdentity
    spec:
      type: WorkloadIdentity
      tenantID: contoso.onmicrosoft.com

Fix: ``capz-wi transform --tenant-id <GUID>``.
"""

from __future__ import annotations

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi.checks._base import CheckContext, Findings, Match
from capz_wi.checks.client_id import guid_field

ID = "tenant-id"
CODE = "CWI012"
SEVERITY = "error"
HINT = "run `capz-wi transform --tenant-id <GUID>` (the Azure AD tenant ID)"
MATCH = Match(INFRA_GROUP, ("AzureClusterIdentity",))


def check(res: Resource, ctx: CheckContext) -> Findings:
    yield from guid_field(res, "tenantID")
