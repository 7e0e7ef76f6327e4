"""AzureClusterIdentity ``spec.clientID`` is missing or not a GUID.

For workload identity it is the client ID of the user-assigned identity (or app registration) that holds the
federated credentials; CAPZ passes it to Azure unchecked, so a typo surfaces only as a token failure.

Triggers::

    kind: AzureClusterIdentity
    spec:
      type: WorkloadIdentity
      clientID: my-identity

Fix: ``capz-wi transform --client-id <GUID>``.
"""

from __future__ import annotations

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi._options import GUID
from capz_wi.checks._base import CheckContext, Findings, Match, finding, has_placeholder

ID = "client-id"
CODE = "CWI011"
SEVERITY = "error"
HINT = "run `capz-wi transform --client-id <GUID>` (the identity's client ID)"
MATCH = Match(INFRA_GROUP, ("AzureClusterIdentity",))
FIELD = "clientID"


def check(res: Resource, ctx: CheckContext) -> Findings:
    yield from guid_field(res, FIELD)


def guid_field(res: Resource, key: str) -> Findings:
    value = res.value("spec", key)
    if has_placeholder(value):
        return
    if not value:
        yield finding(res, ("spec", key), f"{key} is {'empty' if res.get('spec', key) is not None else 'missing'}")
    elif not GUID.match(value):
        yield finding(res, ("spec", key), f"{key} {value!r} is not a GUID")
