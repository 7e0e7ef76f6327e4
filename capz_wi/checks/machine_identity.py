"""A machine kind does not use ``identity: UserAssigned``.

Kinds: AzureMachineTemplate (``spec.template.spec``), AzureMachinePool and AzureMachine (``spec``). With workload
identity every node needs the user-assigned identity: CAPZ builds the node's ``azure.json`` (cloud provider) from
it. ``None`` (the default) and ``SystemAssigned`` are both reported.

Triggers::

    kind: AzureMachineTemplate
    spec:
      template:
        spec:
          vmSize: Standard_D2s_v3

Fix: ``capz-wi transform --identity-id <ID>`` (and ``--replace-system-assigned`` for SystemAssigned machines).
"""

from __future__ import annotations

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi.checks._base import MACHINE_SPEC, CheckContext, Findings, Match, finding, has_placeholder

ID = "machine-identity"
CODE = "CWI006"
SEVERITY = "error"
HINT = "run `capz-wi transform --identity-id <ID>` (add --replace-system-assigned for a SystemAssigned machine)"
MATCH = Match(INFRA_GROUP, tuple(MACHINE_SPEC))


def check(res: Resource, ctx: CheckContext) -> Findings:
    base = MACHINE_SPEC[res.kind]
    kind = res.value(*base, "identity")
    if kind == "UserAssigned" or has_placeholder(kind):
        return
    yield finding(res, (*base, "identity"), f"machine identity is {kind or 'not set (None)'}, not UserAssigned")
