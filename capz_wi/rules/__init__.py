"""The edit rules, in the order they run. ``get(rule_id)`` raises KeyError on an unknown id."""

from __future__ import annotations

from types import ModuleType

from capz_wi.rules import (
    allowed_namespaces,
    aso_credential,
    identity_client,
    identity_type,
    machine_identity,
    no_client_secret,
)

RULES: tuple[ModuleType, ...] = (
    identity_type,
    no_client_secret,
    identity_client,
    allowed_namespaces,
    machine_identity,
    aso_credential,
)


def get(rule_id: str) -> ModuleType:
    for rule in RULES:
        if rule.ID == rule_id:
            return rule
    raise KeyError(f"unknown rule {rule_id!r}")
