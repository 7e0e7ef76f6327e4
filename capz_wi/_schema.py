"""The functionConfig JSON schema, generated from :class:`capz_wi.Options`, and validation against it.

``Options`` is the single source of truth: pydantic reads the dataclass (its ``__pydantic_config__``, aliases and
field descriptions) and emits the JSON schema of the fields; this module wraps it in the
``WorkloadIdentityTransformer`` envelope and adds the GUID and resource-ID ``pattern``s that pydantic cannot see
(``Options.__post_init__`` checks them in Python). The committed output of :func:`generate` lives twice:
``krm-function/schema/functionconfig.schema.json`` (the function's documentation) and
``capz_wi/schema/functionconfig.schema.json`` (package data: what the function validates against at run time,
so that it never imports pydantic, which with the schema generation was two thirds of its start-up). A test fails
when either is stale; regenerate both with ``python -m capz_wi._schema``.

jsonschema is imported inside the functions: the CLI never pays for it.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

API_VERSION = "fn.capz-wi.dev/v1alpha1"
KIND = "WorkloadIdentityTransformer"
SCHEMA_ID = "https://capz-wi.dev/schema/functionconfig.schema.json"

_GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
#: ``${VAR}`` placeholders are accepted by the schema; Options rejects them outside templateMode.
_PLACEHOLDER = r".*\$\{[^}]*\}.*"


def _ci(text: str) -> str:
    """A case-insensitive ECMA-262 pattern for a literal (JSON schema patterns have no ``(?i)`` flag)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c).replace("\\/", "/") for c in text)


_ARM_ID = (
    "(azure://)?/+" + _ci("subscriptions") + "/[^/]+/" + _ci("resourceGroups") + "/[^/]+/" + _ci("providers")
    + "/" + _ci("Microsoft.ManagedIdentity") + "/" + _ci("userAssignedIdentities") + "/[^/]+/?"
)
PATTERNS = {
    "identityID": f"^{_ARM_ID}$",
    "controlPlaneIdentityID": f"^{_ARM_ID}$",
    "workerIdentityID": f"^{_ARM_ID}$",
    "clientID": f"^({_GUID}|{_PLACEHOLDER})$",
    "tenantID": f"^({_GUID}|{_PLACEHOLDER})$",
    "subscriptionID": f"^({_GUID}|{_PLACEHOLDER})$",
}


@lru_cache(maxsize=1)
def options_schema() -> dict[str, Any]:
    """JSON schema of the Options fields (camelCase), straight from pydantic, plus patterns and clean titles.

    Cached: callers must not mutate it (``generate`` copies it).
    """
    import pydantic

    from capz_wi import _options

    adapter = pydantic.TypeAdapter(_options.Options)
    # capz_wi/__init__ re-homes Options to the ``capz_wi`` module; resolve its annotations where they were written.
    adapter.rebuild(_types_namespace=vars(_options))
    schema: dict[str, Any] = adapter.json_schema(by_alias=True)
    schema["title"] = f"{KIND}Spec"
    for name, prop in schema["properties"].items():
        prop["title"] = name
        pattern = PATTERNS.get(name)
        if pattern is None:
            continue
        for branch in prop.get("anyOf", [prop]):
            if branch.get("type") == "string":
                branch["pattern"] = pattern
    return schema


def generate() -> dict[str, Any]:
    """The whole functionConfig schema: the ``WorkloadIdentityTransformer`` object with Options under ``spec``."""
    spec = copy.deepcopy(options_schema())
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": KIND,
        "description": (
            "functionConfig of the capz-wi KRM function. The same fields are accepted as strings under `data` of a "
            "v1 ConfigMap (booleans as true/false, roles and only as comma-separated lists)."
        ),
        "type": "object",
        "required": ["apiVersion", "kind"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"const": KIND},
            "metadata": {"type": "object"},
            "spec": {"$ref": f"#/$defs/{KIND}Spec"},
        },
        "$defs": {f"{KIND}Spec": spec},
    }


def dumps(schema: dict[str, Any]) -> str:
    """The committed file's exact text."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class SchemaError:
    """One validation problem: the dotted ``path`` in the functionConfig (``spec.clientId``) and a ``message``."""

    path: str
    message: str


PACKAGED = Path(__file__).resolve().parent / "schema" / "functionconfig.schema.json"
COMMITTED = ("capz_wi/schema/functionconfig.schema.json", "krm-function/schema/functionconfig.schema.json")


@lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    """The packaged schema (the committed output of :func:`generate`)."""
    data: dict[str, Any] = json.loads(PACKAGED.read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = load()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=None)


def validate(config: dict[str, Any], *, spec_only: str | None = None) -> list[SchemaError]:
    """Problems of a functionConfig, best match first (empty when valid).

    ``config`` is the whole ``WorkloadIdentityTransformer`` object, or, with ``spec_only="data"``, just the
    typed fields of a ConfigMap's ``data`` (the paths then start with ``data.``).
    """
    import jsonschema

    validator = _validator()
    if spec_only is not None:
        validator = validator.evolve(schema=_spec_schema(validator.schema))
    errors = list(validator.iter_errors(config))
    if not errors:
        return []
    best = jsonschema.exceptions.best_match(errors)
    ordered = [best] + [e for e in errors if e is not best]
    prefix = [spec_only] if spec_only else []
    return [SchemaError(_path(prefix, e), _message(e)) for e in ordered]


def _spec_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return {"$defs": schema["$defs"], "$ref": f"#/$defs/{KIND}Spec"}


def _path(prefix: list[str], error: Any) -> str:
    parts = [*prefix, *(str(p) for p in error.absolute_path)]
    if error.validator == "additionalProperties":
        # jsonschema reports unknown keys on the parent; name the key itself ("spec.clientId").
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        if extra:
            parts.append(extra[0])
    return ".".join(parts)


def _message(error: Any) -> str:
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(known))
        near = [k for k in known if extra and k.lower() == str(extra[0]).lower()]
        if near:
            return f"unknown field; did you mean {near[0]}?"
        return f"unknown field; known fields: {', '.join(known)}"
    if error.validator == "pattern":
        what = "GUID" if _GUID in error.validator_value else "user-assigned identity resource ID"
        return f"{error.instance!r} is not a valid {what}"
    return str(error.message)


def field_types() -> dict[str, str]:
    """JSON type of each field (``boolean``, ``array``, ``integer``, ``string``), for ConfigMap strings."""
    spec = load()["$defs"][f"{KIND}Spec"]["properties"]
    return {name: str(prop.get("type", "string")) for name, prop in spec.items()}


if __name__ == "__main__":  # python -m capz_wi._schema: rewrite both committed copies (run from the repository)
    text = dumps(generate())
    root = Path(__file__).resolve().parent.parent
    for rel in COMMITTED:
        (root / rel).write_text(text, encoding="utf-8")
