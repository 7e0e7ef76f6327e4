from __future__ import annotations

import pytest

import capz_wi
from tests.conftest import IDENTITY
from tests.rules.common import PID, check, run

AMT = """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureMachineTemplate
metadata:
  name: m
spec:
  template:
    spec:
{body}"""
OTHER = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/apps/providers/Microsoft.ManagedIdentity/userAssignedIdentities/other"


def test_adds_identity_in_sorted_position() -> None:
    check(
        AMT.format(body="      osDisk:\n        osType: Linux\n      vmSize: B2s\n"),
        AMT.format(
            body=f"      identity: UserAssigned\n      osDisk:\n        osType: Linux\n"
            f"      userAssignedIdentities:\n      - providerID: {PID}\n      vmSize: B2s\n"
        ),
    )


def test_existing_entry_kept_after_ours_and_target_moved_first() -> None:
    body = f"      identity: UserAssigned\n      userAssignedIdentities:\n      - providerID: {OTHER}\n      - providerID: {IDENTITY.upper()}\n"
    result = check(
        AMT.format(body=body),
        AMT.format(body=f"      identity: UserAssigned\n      userAssignedIdentities:\n      - providerID: {PID}\n      - providerID: {OTHER}\n"),
    )
    assert [c.op for c in result.changes] == ["insert", "remove"]


def test_replace_identities_drops_the_others() -> None:
    body = f"      identity: UserAssigned\n      userAssignedIdentities:\n      - providerID: {OTHER}\n"
    check(
        AMT.format(body=body),
        AMT.format(body=f"      identity: UserAssigned\n      userAssignedIdentities:\n      - providerID: {PID}\n"),
        capz_wi.Options(identity_id=IDENTITY, replace_identities=True),
    )


def test_duplicates_are_removed() -> None:
    body = f"      identity: UserAssigned\n      userAssignedIdentities:\n      - providerID: {PID}\n      - providerID: {OTHER}\n      - providerID: azure://{OTHER}\n"
    check(AMT.format(body=body), AMT.format(body=f"      identity: UserAssigned\n      userAssignedIdentities:\n      - providerID: {PID}\n      - providerID: {OTHER}\n"))


def test_system_assigned_is_refused_by_default() -> None:
    result = run(AMT.format(body="      identity: SystemAssigned\n"))
    assert not result.ok and result.changes == []
    assert "--replace-system-assigned" in result.errors[0].message


def test_system_assigned_replaced_on_request() -> None:
    body = "      identity: SystemAssigned\n      systemAssignedIdentityRole:\n        scope: /subscriptions/x\n      vmSize: B2s\n"
    check(
        AMT.format(body=body),
        AMT.format(body=f"      identity: UserAssigned\n      userAssignedIdentities:\n      - providerID: {PID}\n      vmSize: B2s\n"),
        capz_wi.Options(identity_id=IDENTITY, replace_system_assigned=True),
    )


def test_flow_style_spec_gets_flow_edits() -> None:
    src = "apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\nkind: AzureMachine\nmetadata: {name: m}\nspec: {vmSize: B2s}\n"
    result = check(src, f"apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\nkind: AzureMachine\nmetadata: {{name: m}}\nspec: {{vmSize: B2s, identity: UserAssigned, userAssignedIdentities: [{{providerID: \"{PID}\"}}]}}\n")
    assert len(result.changes) == 2


def test_only_restricts_to_named_objects() -> None:
    src = AMT.format(body="      vmSize: B2s\n")
    result = run(src, capz_wi.Options(identity_id=IDENTITY, only=("someone-else",)))
    assert result.text == src and result.changes == []


def test_bare_provider_id_form() -> None:
    result = run(AMT.format(body="      vmSize: B2s\n"), capz_wi.Options(identity_id="azure://" + IDENTITY, provider_id_form="bare"))
    assert f"- providerID: {IDENTITY}\n" in result.text


@pytest.mark.parametrize(
    "bad",
    [
        "azure://subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id",
        "/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id",
        "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
    ],
)
def test_bad_identity_ids_are_option_errors(bad: str) -> None:
    with pytest.raises(capz_wi.OptionsError) as exc:
        capz_wi.Options(identity_id=bad)
    assert exc.value.field == "identityID"


def test_no_identity_needed_when_nothing_would_change() -> None:
    body = f"      identity: UserAssigned\n      userAssignedIdentities:\n      - providerID: {OTHER}\n"
    result = run(AMT.format(body=body), capz_wi.Options())
    assert result.changes == [] and result.ok


def test_missing_identity_is_an_option_error_when_an_edit_is_needed() -> None:
    with pytest.raises(capz_wi.OptionsError) as exc:
        run(AMT.format(body="      vmSize: B2s\n"), capz_wi.Options())
    assert exc.value.field == "identityID"
