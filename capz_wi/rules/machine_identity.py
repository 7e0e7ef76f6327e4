"""Give machines the user-assigned identity: ``identity: UserAssigned`` and the identity first in
``userAssignedIdentities``.

Kinds: AzureMachineTemplate (``spec.template.spec``), AzureMachinePool (``spec``), AzureMachine (``spec``).
Before: ``vmSize: Standard_B2s``   After: ``identity: UserAssigned`` and
``userAssignedIdentities: [{providerID: azure:///subscriptions/.../userAssignedIdentities/<name>}]``.
CAPZ builds the node's azure.json from entry 0 only, so the given identity goes first; an entry pointing at the
CAPZ CI defaults (``capz-ci`` / ``cloud-provider-user-identity``) is removed with a warning; other entries are kept
after it (``replaceIdentities`` drops them). A ``SystemAssigned`` machine is an error unless
``replaceSystemAssigned`` is set. Options ``roles``, ``only``, ``controlPlaneIdentityID`` and ``workerIdentityID``
select machines and identities.
"""

from __future__ import annotations

import re

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi._edits import InsertItem, RemoveField, RemoveItem, SetField
from capz_wi._errors import OptionsError
from capz_wi._options import Options, normalize_id
from capz_wi._report import Finding
from capz_wi.rules._base import MACHINE_SPEC, Context, Match, Plan

ID = "machine-identity"
MATCH = Match(INFRA_GROUP, tuple(MACHINE_SPEC))

CI_DEFAULT = re.compile(
    r"/resourcegroups/(capz-ci|\$\{ci_rg:=capz-ci\})/providers/microsoft\.managedidentity/"
    r"userassignedidentities/(cloud-provider-user-identity|\$\{user_identity:=cloud-provider-user-identity\})$"
)


def is_ci_default(provider_id: str) -> bool:
    return bool(CI_DEFAULT.search(normalize_id(provider_id)))


def _already_migrated(res: Resource, base: tuple[str, ...]) -> bool:
    """UserAssigned with a first entry that is not the CAPZ CI default: what a transform would leave."""
    first = res.value(*base, "userAssignedIdentities", 0, "providerID")
    return res.value(*base, "identity") == "UserAssigned" and bool(first) and not is_ci_default(str(first))


def plan(res: Resource, ctx: Context, opts: Options) -> Plan:
    base = MACHINE_SPEC[res.kind]
    if opts.only and res.name not in opts.only:
        return
    role = ctx.role(res)
    if role is None and len(opts.roles) < len(("control-plane", "worker")):
        yield Finding(
            "warning",
            "nothing in the input references this machine object, so its role is unknown; not edited",
            res.ref,
            res.pos(),
        )
        return
    if role is not None and role not in opts.roles:
        return
    ident = opts.identity_for(role)
    if ident is None and _already_migrated(res, base):
        return  # nothing to change, so no identity is needed (e.g. `--check` in a pre-commit hook)
    if ident is None:
        raise OptionsError(
            f"no user-assigned identity given for {res.ref}",
            "identityID",
            "pass --identity-id, or --subscription-id/--resource-group/--identity-name "
            "(or export AZURE_SUBSCRIPTION_ID, RESOURCE_GROUP and USER_ASSIGNED_IDENTITY_NAME)",
        )
    kind = res.value(*base, "identity")
    if kind == "SystemAssigned":
        if not opts.replace_system_assigned:
            yield Finding(
                "error",
                "identity is SystemAssigned; refusing to convert it silently: pass --replace-system-assigned "
                "to replace it with the user-assigned identity",
                res.ref,
                res.pos(*base, "identity"),
            )
            return
        for key in ("systemAssignedIdentityRole", "roleAssignmentName"):
            if res.get(*base, key) is not None:
                yield RemoveField(res, (*base, key), None, res.data(*base, key))
    if kind != "UserAssigned":
        yield SetField(res, (*base, "identity"), "UserAssigned", kind)
    entry = {"providerID": opts.provider_id(ident)}
    entries = res.data(*base, "userAssignedIdentities")
    if not isinstance(entries, list) or not entries:
        yield SetField(res, (*base, "userAssignedIdentities"), [entry], entries)
        return
    target = normalize_id(ident)
    seen: set[str] = set()
    head: str | None = None  # normalized providerID of the first entry that stays
    removals = []
    for i, e in enumerate(entries):
        pid = e.get("providerID") if isinstance(e, dict) else None
        norm = normalize_id(pid) if isinstance(pid, str) else None
        keep = True
        if isinstance(pid, str) and norm != target and is_ci_default(pid):
            keep = False
            yield Finding(
                "warning",
                f"removed userAssignedIdentities entry {pid} (the CAPZ CI default identity)",
                res.ref,
                res.pos(*base, "userAssignedIdentities", i),
            )
        elif norm == target:
            keep = head is None  # already first: keep; further down: moved to the head
        elif opts.replace_identities or (norm is not None and norm in seen):
            keep = False
        if not keep:
            removals.append(RemoveItem(res, (*base, "userAssignedIdentities", i), None, e))
            continue
        if norm is not None:
            seen.add(norm)
        if head is None:
            head = norm or ""
    if head != target:
        yield InsertItem(res, (*base, "userAssignedIdentities", 0), entry, None)
    yield from removals
