"""Options: one frozen model, the same words everywhere.

``client_id`` in Python, ``clientID`` in a functionConfig, ``--client-id`` on the CLI. The class is a standard
dataclass validated in ``__post_init__`` (no import cost on the CLI's hot path); pydantic reads the same class
(``__pydantic_config__``) to validate functionConfigs and to generate ``krm-function/schema`` (see ``_schema``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from capz_wi._errors import OptionsError
from capz_wi._yamlio import DEFAULT_MAX_BYTES

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
_ARM = re.compile(
    r"^/+subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.ManagedIdentity/userAssignedIdentities/(?P<name>[^/]+)/?$",
    re.IGNORECASE,
)
_RG = re.compile(r"^[-\w._()]{1,90}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")
PROVIDER_PREFIX = "azure://"
ROLES: tuple[Literal["control-plane", "worker"], ...] = ("control-plane", "worker")

#: Template-mode placeholders, the quick start's variable names.
TEMPLATE_IDENTITY = (
    "/subscriptions/${AZURE_SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/${USER_ASSIGNED_IDENTITY_NAME}"
)

#: camelCase names (functionConfig, JSON schema) of the Python field names.
ALIASES = {
    "identity_id": "identityID",
    "subscription_id": "subscriptionID",
    "resource_group": "resourceGroup",
    "identity_name": "identityName",
    "client_id": "clientID",
    "tenant_id": "tenantID",
    "control_plane_identity_id": "controlPlaneIdentityID",
    "worker_identity_id": "workerIdentityID",
    "roles": "roles",
    "only": "only",
    "replace_identities": "replaceIdentities",
    "replace_system_assigned": "replaceSystemAssigned",
    "prune_secret": "pruneSecret",
    "template_mode": "templateMode",
    "provider_id_form": "providerIDForm",
    "mode": "mode",
    "max_bytes": "maxBytes",
    "workload_issuer": "workloadIssuer",
    "signing_key_file": "signingKeyFile",
    "public_key_file": "publicKeyFile",
}


def alias(name: str) -> str:
    return ALIASES.get(name, name)


def _doc(text: str, env: str = "") -> dict[str, str]:
    return {"description": text, "env": env}


@dataclass(frozen=True)
class Options:
    """What to transform and with which identity. Every field has a camelCase alias for functionConfigs."""

    __pydantic_config__ = {"extra": "forbid", "alias_generator": alias, "populate_by_name": True, "title": "Options"}

    identity_id: str | None = field(
        default=None,
        metadata=_doc(
            "Resource ID of the user-assigned identity for the machines, with or without the azure:// prefix."
        ),
    )
    subscription_id: str | None = field(
        default=None, metadata=_doc("Subscription of the identity (with resourceGroup and identityName).", "AZURE_SUBSCRIPTION_ID")
    )
    resource_group: str | None = field(
        default=None, metadata=_doc("Resource group of the user-assigned identity.", "RESOURCE_GROUP")
    )
    identity_name: str | None = field(
        default=None, metadata=_doc("Name of the user-assigned identity.", "USER_ASSIGNED_IDENTITY_NAME")
    )
    client_id: str | None = field(
        default=None,
        metadata=_doc(
            "Client ID written to AzureClusterIdentity.spec.clientID (a GUID).",
            "AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY, then AZURE_CLIENT_ID",
        ),
    )
    tenant_id: str | None = field(
        default=None, metadata=_doc("Tenant ID written to AzureClusterIdentity.spec.tenantID (a GUID).", "AZURE_TENANT_ID")
    )
    control_plane_identity_id: str | None = field(
        default=None, metadata=_doc("A different identity resource ID for control-plane machines.")
    )
    worker_identity_id: str | None = field(
        default=None, metadata=_doc("A different identity resource ID for worker machines.")
    )
    roles: tuple[Literal["control-plane", "worker"], ...] = field(
        default=ROLES, metadata=_doc("Machine roles to edit: control-plane, worker, or both (default).")
    )
    only: tuple[str, ...] = field(
        default=(), metadata=_doc("Edit only the machine objects with these names (default: all).")
    )
    replace_identities: bool = field(
        default=False, metadata=_doc("Replace every existing userAssignedIdentities entry instead of keeping them.")
    )
    replace_system_assigned: bool = field(
        default=False, metadata=_doc("Convert machines whose identity is SystemAssigned (refused by default).")
    )
    prune_secret: bool = field(
        default=False, metadata=_doc("Remove the Secret that only backed the removed clientSecret.")
    )
    template_mode: bool = field(
        default=False,
        metadata=_doc("Write ${VAR} placeholders instead of concrete values, for clusterctl flavor templates."),
    )
    provider_id_form: Literal["azure", "bare"] = field(
        default="azure",
        metadata=_doc("providerID form: azure (azure:///subscriptions/...) or bare (/subscriptions/...)."),
    )
    mode: Literal["transform", "check"] = field(
        default="transform", metadata=_doc("KRM function mode: transform (default) or check (findings, no edits).")
    )
    max_bytes: int = field(default=DEFAULT_MAX_BYTES, metadata=_doc("Input size limit in bytes."))
    workload_issuer: str | None = field(
        default=None,
        metadata=_doc(
            "KRM function: also set the workload clusters' service-account-issuer (https URL) on every "
            "KubeadmControlPlane(Template), as `capz-wi workload-issuer` does."
        ),
    )
    signing_key_file: str | None = field(
        default=None,
        metadata=_doc("KRM function: path of a mounted service-account private key (never the key itself)."),
    )
    public_key_file: str | None = field(
        default=None,
        metadata=_doc("KRM function: path of the mounted public key; with signingKeyFile the pair is verified."),
    )

    def __post_init__(self) -> None:
        for name in ("identity_id", "control_plane_identity_id", "worker_identity_id"):
            value = getattr(self, name)
            if value is not None:
                parse_identity_id(value, field=alias(name), template=self.template_mode)
        for name in ("client_id", "tenant_id", "subscription_id"):
            value = getattr(self, name)
            if value is not None and not GUID.match(value) and not (self.template_mode and PLACEHOLDER.search(value)):
                raise OptionsError(f"{value!r} is not a GUID", alias(name), "give the ID as xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
        if self.resource_group is not None and not (_RG.match(self.resource_group) or PLACEHOLDER.search(self.resource_group)):
            raise OptionsError(f"{self.resource_group!r} is not a valid resource group name", "resourceGroup")
        if self.identity_name is not None and not (_NAME.match(self.identity_name) or PLACEHOLDER.search(self.identity_name)):
            raise OptionsError(f"{self.identity_name!r} is not a valid identity name", "identityName")
        roles = tuple(self.roles)
        for r in roles:
            if r not in ROLES:
                raise OptionsError(f"unknown role {r!r}", "roles", "use control-plane and/or worker")
        if not roles:
            raise OptionsError("no role selected", "roles", "use control-plane and/or worker")
        object.__setattr__(self, "roles", roles)
        object.__setattr__(self, "only", tuple(self.only))
        if self.provider_id_form not in ("azure", "bare"):
            raise OptionsError(f"unknown providerID form {self.provider_id_form!r}", "providerIDForm", "use azure or bare")
        if self.mode not in ("transform", "check"):
            raise OptionsError(f"unknown mode {self.mode!r}", "mode", "use transform or check")
        if self.workload_issuer is not None and not self.workload_issuer.startswith("https://"):
            raise OptionsError(f"{self.workload_issuer!r} is not an https URL", "workloadIssuer", "Entra only reads https issuers")
        if (self.signing_key_file is None) != (self.public_key_file is None):
            raise OptionsError("give both signingKeyFile and publicKeyFile, or neither", "signingKeyFile")
        if not isinstance(self.max_bytes, int) or self.max_bytes <= 0:
            raise OptionsError("must be a positive number of bytes", "maxBytes")

    # -- derived values ----------------------------------------------------------------------------------------
    def default_identity(self) -> str | None:
        """The canonical ``/subscriptions/...`` ID of the machines' identity, or None when none was given."""
        if self.identity_id:
            return parse_identity_id(self.identity_id, field="identityID", template=self.template_mode)
        if self.subscription_id and self.resource_group and self.identity_name:
            return (
                f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}/providers/"
                f"Microsoft.ManagedIdentity/userAssignedIdentities/{self.identity_name}"
            )
        if self.template_mode:
            return TEMPLATE_IDENTITY
        return None

    def identity_for(self, role: str | None) -> str | None:
        explicit = {"control-plane": self.control_plane_identity_id, "worker": self.worker_identity_id}.get(role or "")
        if explicit:
            return parse_identity_id(explicit, field="", template=self.template_mode)
        return self.default_identity()

    def provider_id(self, canonical: str) -> str:
        return PROVIDER_PREFIX + canonical if self.provider_id_form == "azure" else canonical

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Options:
        """Build from camelCase (or snake_case) keys, as in a functionConfig. Raises OptionsError."""
        by_alias = {alias(f.name): f.name for f in fields(cls)}
        names = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            name = by_alias.get(key, key if key in names else None)
            if name is None:
                raise OptionsError("unknown field", str(key), f"known fields: {', '.join(sorted(by_alias))}")
            kwargs[name] = value
        return cls(**kwargs)


def parse_identity_id(value: str, *, field: str = "identityID", template: bool = False) -> str:
    """Validate a user-assigned identity resource ID and return it in canonical ``/subscriptions/...`` form."""
    raw = value.strip()
    if raw.startswith(PROVIDER_PREFIX):
        raw = raw[len(PROVIDER_PREFIX) :]
    m = _ARM.match(raw)
    hint = (
        "expected /subscriptions/<GUID>/resourceGroups/<group>/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/<name>"
    )
    if not m:
        raise OptionsError(f"{value!r} is not a user-assigned identity resource ID", field, hint)
    sub, rg, name = m.group("sub"), m.group("rg"), m.group("name")
    ok_placeholder = template and PLACEHOLDER.search
    if not GUID.match(sub) and not (ok_placeholder and PLACEHOLDER.search(sub)):
        raise OptionsError(f"subscription {sub!r} in the identity ID is not a GUID", field, hint)
    if not _RG.match(rg) and not (ok_placeholder and PLACEHOLDER.search(rg)):
        raise OptionsError(f"resource group {rg!r} in the identity ID is not valid", field, hint)
    if not _NAME.match(name) and not (ok_placeholder and PLACEHOLDER.search(name)):
        raise OptionsError(f"identity name {name!r} in the identity ID is not valid", field, hint)
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"


def normalize_id(value: str) -> str:
    """Comparable form of a providerID: no ``azure://`` prefix, one leading slash, lower case."""
    v = value.strip()
    if v.startswith(PROVIDER_PREFIX):
        v = v[len(PROVIDER_PREFIX) :]
    return "/" + v.lstrip("/").rstrip("/").lower()
