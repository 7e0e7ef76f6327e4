"""A machine with ``identity: UserAssigned`` lists no ``userAssignedIdentities``.

The CAPZ webhook rejects it ("must be specified for the 'UserAssigned' identity type").

Triggers::

    kind: AzureMachinePool
    spec:
      identity: UserAssigned
      userAssignedIdentities: []

Fix: ``capz-wi transform --identity-id <ID>`` adds the identity.
"""

from __future__ import annotations

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi.checks._base import MACHINE_SPEC, CheckContext, Findings, Match, finding

ID = "identity-list"
CODE = "CWI007"
SEVERITY = "error"
HINT = "run `capz-wi transform --identity-id <ID>` (it adds the identity to userAssignedIdentities)"
MATCH = Match(INFRA_GROUP, tuple(MACHINE_SPEC))


def check(res: Resource, ctx: CheckContext) -> Findings:
    base = MACHINE_SPEC[res.kind]
    if res.value(*base, "identity") != "UserAssigned":
        return
    entries = res.data(*base, "userAssignedIdentities")
    if isinstance(entries, list) and entries:
        return
    path = (*base, "userAssignedIdentities")
    absent = res.get(*path) is None
    what = "has no userAssignedIdentities" if absent else "lists no userAssignedIdentities"
    yield finding(res, path, f"identity is UserAssigned but {what}", at=(*base, "identity") if absent else None)
