"""A machine's ``userAssignedIdentities`` points at the CAPZ CI default identity.

CAPZ templates since v1.16 give the control plane ``resourceGroups/capz-ci/.../cloud-provider-user-identity``
unless ``CI_RG`` and ``USER_IDENTITY`` were exported: an identity in CAPZ's own test subscription, not yours.

Triggers::

    kind: AzureMachineTemplate
    spec:
      template:
        spec:
          identity: UserAssigned
          userAssignedIdentities:
          - providerID: /subscriptions/<GUID>/resourceGroups/capz-ci/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cloud-provider-user-identity

Fix: ``capz-wi transform --identity-id <ID>`` replaces it.
"""

from __future__ import annotations

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi.checks._base import MACHINE_SPEC, CheckContext, Findings, Match, finding, provider_ids
from capz_wi.rules.machine_identity import is_ci_default

ID = "ci-default-identity"
CODE = "CWI014"
SEVERITY = "warning"
HINT = "run `capz-wi transform --identity-id <ID>` (it replaces the CI default entry with your identity)"
MATCH = Match(INFRA_GROUP, tuple(MACHINE_SPEC))


def check(res: Resource, ctx: CheckContext) -> Findings:
    for path, pid in provider_ids(res):
        if pid is not None and is_ci_default(pid):
            yield finding(
                res, path,
                "identity is the CAPZ CI default (capz-ci/cloud-provider-user-identity), not yours", "warning",
            )
