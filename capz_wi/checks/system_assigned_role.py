"""``systemAssignedIdentityRole`` (or ``roleAssignmentName``) on a machine that is not ``SystemAssigned``.

The CAPZ webhook forbids both fields unless ``identity: SystemAssigned``; next to ``UserAssigned`` they are a
leftover of a system-assigned setup.

Triggers::

    kind: AzureMachineTemplate
    spec:
      template:
        spec:
          identity: UserAssigned
          userAssignedIdentities: [{providerID: azure:///subscriptions/.../userAssignedIdentities/id}]
          systemAssignedIdentityRole: {scope: /subscriptions/..., definitionID: ...}

Fix: remove the field (``capz-wi transform --replace-system-assigned`` removes it while converting a
SystemAssigned machine).
"""

from __future__ import annotations

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi.checks._base import MACHINE_SPEC, CheckContext, Findings, Match, finding

ID = "system-assigned-role"
CODE = "CWI009"
SEVERITY = "error"
HINT = "remove the field: only SystemAssigned machines may have it"
MATCH = Match(INFRA_GROUP, tuple(MACHINE_SPEC))


def check(res: Resource, ctx: CheckContext) -> Findings:
    base = MACHINE_SPEC[res.kind]
    kind = res.value(*base, "identity")
    if kind in ("SystemAssigned", None):
        return  # None: machine-identity reports the missing identity; the role then has no owner yet
    for key in ("systemAssignedIdentityRole", "roleAssignmentName"):
        if res.get(*base, key) is not None:
            yield finding(res, (*base, key), f"{key} is set but identity is {kind}; CAPZ forbids it unless SystemAssigned")
