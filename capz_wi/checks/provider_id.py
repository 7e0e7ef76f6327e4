"""A ``userAssignedIdentities[].providerID`` is not a valid user-assigned identity resource ID.

Accepted: ``/subscriptions/<GUID>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>``
with or without CAPZ's ``azure://`` prefix (so ``azure:///subscriptions/...``). ``azure://subscriptions/...`` (two
slashes) is refused by CAPZ's parser; an ID of another resource type passes CAPZ's webhook but is no identity.

Triggers::

    kind: AzureMachine
    spec:
      identity: UserAssigned
      userAssignedIdentities:
      - providerID: azure://subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id

Fix: ``capz-wi transform --identity-id <ID>`` writes a valid entry first.
"""

from __future__ import annotations

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi._errors import OptionsError
from capz_wi._options import PROVIDER_PREFIX, parse_identity_id
from capz_wi.checks._base import MACHINE_SPEC, CheckContext, Findings, Match, finding, provider_ids

ID = "provider-id"
CODE = "CWI008"
SEVERITY = "error"
HINT = (
    "write azure:///subscriptions/<GUID>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/"
    "userAssignedIdentities/<name>; `capz-wi transform --identity-id <ID>` writes a valid entry"
)
MATCH = Match(INFRA_GROUP, tuple(MACHINE_SPEC))


def check(res: Resource, ctx: CheckContext) -> Findings:
    for path, pid in provider_ids(res):
        if pid is None or not pid.strip():
            yield finding(res, path, "userAssignedIdentities entry has no providerID")
            continue
        if pid.startswith(PROVIDER_PREFIX) and not pid[len(PROVIDER_PREFIX):].startswith("/"):
            yield finding(res, path, f"providerID {pid} is azure:// followed by no '/'; CAPZ cannot parse it (use azure:///subscriptions/...)")
            continue
        try:
            parse_identity_id(pid, field="providerID", template=True)  # ${VAR} parts: the placeholder check's job
        except OptionsError as exc:
            yield finding(res, path, f"providerID: {exc.message}")
