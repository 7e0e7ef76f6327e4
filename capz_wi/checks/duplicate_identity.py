"""The same identity is listed twice in ``userAssignedIdentities``.

Entries are compared as CAPZ does (``azure://`` prefix trimmed) and case-insensitively, as ARM IDs are.

Triggers::

    kind: AzureMachine
    spec:
      identity: UserAssigned
      userAssignedIdentities:
      - providerID: azure:///subscriptions/<GUID>/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id
      - providerID: /subscriptions/<GUID>/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id

Fix: remove the second entry; ``capz-wi transform`` drops duplicates.
"""

from __future__ import annotations

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi._options import normalize_id
from capz_wi.checks._base import MACHINE_SPEC, CheckContext, Findings, Match, finding, provider_ids

ID = "duplicate-identity"
CODE = "CWI010"
SEVERITY = "warning"
HINT = "remove the duplicate entry; `capz-wi transform` drops duplicates"
MATCH = Match(INFRA_GROUP, tuple(MACHINE_SPEC))


def check(res: Resource, ctx: CheckContext) -> Findings:
    seen: dict[str, int | str] = {}
    for path, pid in provider_ids(res):
        if pid is None or not pid.strip():
            continue
        norm = normalize_id(pid)
        if norm in seen:
            yield finding(res, path, f"identity {pid} is already listed as entry {seen[norm]}", "warning")
        else:
            seen[norm] = path[-2]
