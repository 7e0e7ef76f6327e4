"""The two federated identity credentials CAPZ needs on its identity.

Tokens of the management cluster's ``capz-manager`` (CAPZ) and ``azureserviceoperator-default`` (ASO) service
accounts in ``capz-system`` are exchanged for Entra tokens. Entra matches issuer, subject and audience exactly and
case-sensitively, so each credential carries the normalised issuer, ``system:serviceaccount:<ns>:<sa>`` and the
audience ``api://AzureADTokenExchange``.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass

from capz_wi._errors import OptionsError
from capz_wi.quickstart._discovery import normalize_issuer

AUDIENCE = "api://AzureADTokenExchange"
NAMESPACE = "capz-system"
#: (service account, what uses it) in the order the quick start lists them.
SERVICE_ACCOUNTS = (("capz-manager", "CAPZ"), ("azureserviceoperator-default", "ASO"))

_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class FederatedCredential:
    """One federated identity credential: its ``name``, ``issuer``, ``subject`` and ``audiences``."""

    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...] = (AUDIENCE,)

    def body(self) -> dict[str, object]:
        """The credential as ``az ... federated-credential list`` shows it (and ``--parameters`` takes it)."""
        return {"name": self.name, "issuer": self.issuer, "subject": self.subject, "audiences": list(self.audiences)}


def subject(namespace: str, service_account: str) -> str:
    """``system:serviceaccount:<namespace>:<name>``, the ``sub`` of a service-account token."""
    return f"system:serviceaccount:{namespace}:{service_account}"


def check_namespace(namespace: str) -> str:
    """Return ``namespace`` when it is a valid (lowercase) Kubernetes namespace; else :class:`OptionsError`."""
    if not _DNS_LABEL.match(namespace):
        raise OptionsError(
            f"{namespace!r} is not a Kubernetes namespace", "namespace", "use lowercase letters, digits and '-'"
        )
    return namespace


def federated_credentials(issuer: str, namespace: str = NAMESPACE) -> list[FederatedCredential]:
    """The CAPZ and ASO credentials for the management cluster's ``issuer`` (normalised here)."""
    iss = normalize_issuer(issuer)
    ns = check_namespace(namespace)
    return [FederatedCredential(f"{ns}-{sa}", iss, subject(ns, sa)) for sa, _ in SERVICE_ACCOUNTS]


def _check_name(value: str, option: str) -> None:
    if not value or any(c.isspace() for c in value):
        raise OptionsError(f"{value!r} is not a valid name", option, "pass the Azure name without spaces")


def identity_commands(creds: list[FederatedCredential], identity_name: str, resource_group: str) -> list[str]:
    """``az identity federated-credential create`` commands, one per credential (user-assigned identity)."""
    _check_name(identity_name, "identity-name")
    _check_name(resource_group, "resource-group")
    return [
        shlex.join(
            [
                "az", "identity", "federated-credential", "create",
                "--name", c.name,
                "--identity-name", identity_name,
                "--resource-group", resource_group,
                "--issuer", c.issuer,
                "--subject", c.subject,
                "--audiences", *c.audiences,
            ]
        )
        for c in creds
    ]


def app_commands(creds: list[FederatedCredential], app_id: str) -> list[str]:
    """``az ad app federated-credential create`` commands, one per credential (AD application)."""
    _check_name(app_id, "app-id")
    return [
        shlex.join(
            ["az", "ad", "app", "federated-credential", "create", "--id", app_id, "--parameters", json.dumps(c.body())]
        )
        for c in creds
    ]
