"""The checks of ``capz-wi check``, in code order. ``get(code_or_id)`` raises KeyError on an unknown one.

Each module: ``ID``, ``CODE``, ``SEVERITY``, ``HINT``, ``MATCH`` and ``check(res, ctx)`` (see ``_base``). Codes
are stable: a check that goes away leaves its code unused.
"""

from __future__ import annotations

from types import ModuleType

from capz_wi.checks import (
    allowed_namespaces,
    ci_default_identity,
    client_id,
    client_secret,
    duplicate_identity,
    identity_list,
    identity_ref,
    identity_type,
    machine_identity,
    missing_identity_ref,
    orphan_secret,
    placeholders,
    provider_id,
    schema,
    system_assigned_role,
    tenant_id,
)

CHECKS: tuple[ModuleType, ...] = (
    identity_type,
    client_secret,
    orphan_secret,
    identity_ref,
    allowed_namespaces,
    machine_identity,
    identity_list,
    provider_id,
    system_assigned_role,
    duplicate_identity,
    client_id,
    tenant_id,
    placeholders,
    ci_default_identity,
    missing_identity_ref,
    schema,
)


def get(key: str) -> ModuleType:
    for c in CHECKS:
        if key in (c.CODE, c.ID):
            return c
    raise KeyError(f"unknown check {key!r}")


def title(check: ModuleType) -> str:
    """The first line of the check's docstring."""
    return (check.__doc__ or "").strip().splitlines()[0]
