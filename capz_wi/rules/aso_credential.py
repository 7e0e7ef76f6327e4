"""Switch ASO credential Secrets to workload identity.

Secrets named by a ``serviceoperator.azure.com/credential-from`` annotation in the input, or holding
``AZURE_CLIENT_ID`` with ``AZURE_TENANT_ID``/``AZURE_SUBSCRIPTION_ID`` (the aks-aso flavors): ``AZURE_CLIENT_SECRET``
is removed, ``AUTH_MODE`` becomes ``workloadidentity``, and ``AZURE_CLIENT_ID``/``AZURE_TENANT_ID`` are set when
given, in whichever of ``data`` (base64) or ``stringData`` the Secret uses. Values are never shown.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator

from capz_wi import _yamlio as y
from capz_wi._document import Resource
from capz_wi._edits import RemoveField, SetField
from capz_wi._options import Options
from capz_wi.rules._base import Context, Plan

ID = "aso-credential"
ANNOTATION = "serviceoperator.azure.com/credential-from"
SECTIONS = ("stringData", "data")


def MATCH(res: Resource) -> bool:  # noqa: N802 - a callable standing in for Match
    return res.kind == "Secret" and res.api_version == "v1"


def _annotated(ctx: Context) -> set[tuple[str, str]]:
    names: set[tuple[str, str]] = set()
    for r in ctx.objects:
        for node in _annotation_nodes(r.node):
            names.add((r.effective_namespace, node))
    return names


def _annotation_nodes(node: y.Node) -> Iterator[str]:
    """Every credential-from value anywhere in the object (AzureASOManaged* embed ASO resources)."""
    todo = [node]
    seen: set[int] = set()
    while todo:
        n = todo.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, y.MappingNode):
            for k, v in n.value:
                if isinstance(k, y.ScalarNode) and k.value == ANNOTATION and isinstance(v, y.ScalarNode):
                    yield str(v.value)
                elif not isinstance(v, y.ScalarNode):
                    todo.append(v)
        elif isinstance(n, y.SequenceNode):
            todo.extend(c for c in n.value if not isinstance(c, y.ScalarNode))


def _section_of(res: Resource, key: str) -> str | None:
    for s in SECTIONS:
        if isinstance(res.get(s), y.MappingNode) and y.lookup(res.get(s), key) is not None:
            return s
    return None


def _read(res: Resource, section: str, key: str) -> str | None:
    raw = res.value(section, key)
    if raw is None or section == "stringData":
        return raw
    try:
        return base64.b64decode(raw, validate=True).decode()
    except (ValueError, UnicodeDecodeError):  # binascii.Error, and ValueError for non-ASCII text
        return None


def _write(section: str, value: str) -> str:
    return base64.b64encode(value.encode()).decode() if section == "data" else value


def is_credential(res: Resource, ctx: Context) -> bool:
    if (res.effective_namespace, res.name) in ctx.cache(ID, lambda: _annotated(ctx)):
        return True
    return _section_of(res, "AZURE_CLIENT_ID") is not None and (
        _section_of(res, "AZURE_TENANT_ID") is not None or _section_of(res, "AZURE_SUBSCRIPTION_ID") is not None
    )


def plan(res: Resource, ctx: Context, opts: Options) -> Plan:
    if not is_credential(res, ctx):
        return
    home = _section_of(res, "AZURE_CLIENT_ID") or ("stringData" if res.get("stringData") is not None else "data")
    secret = _section_of(res, "AZURE_CLIENT_SECRET")
    if secret:
        yield RemoveField(res, (secret, "AZURE_CLIENT_SECRET"), None, None, redact=True)
    wanted = {"AUTH_MODE": "workloadidentity", "AZURE_CLIENT_ID": opts.client_id, "AZURE_TENANT_ID": opts.tenant_id}
    for key, value in wanted.items():
        if value is None:
            continue
        section = _section_of(res, key) or home
        if _read(res, section, key) != value:
            yield SetField(res, (section, key), _write(section, value), None, redact=True)
