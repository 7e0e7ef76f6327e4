"""Schemas for ``check``: CRD manifests (or the bundled identity schema) -> JSON-schema validators, and validation
of one object with each violation mapped to a field path and the node's line/column.

Two sources of schemas, one code path:

* ``load_crds(text)`` reads CustomResourceDefinitions from any YAML stream (CRD files concatenated, or a CAPZ
  release's ``infrastructure-components.yaml``, whose other objects are ignored) into
  ``{(group, version, kind): openAPIV3Schema}``. The schemas are translated from Kubernetes' structural OpenAPI v3
  dialect to JSON Schema (draft 4, which OpenAPI 3.0 schemas follow) the way the API server treats them:

  - ``nullable: true`` admits ``null``; a ``null`` for any other field is pruned by the API server before
    validation, so it is admitted too;
  - ``x-kubernetes-int-or-string`` admits an integer or a string;
  - ``x-kubernetes-preserve-unknown-fields`` keeps unknown fields; everywhere else an object with ``properties``
    rejects unknown fields (kubectl's default ``--validate=strict`` does the same);
  - a ``required`` property that has a ``default`` is satisfied by defaulting;
  - ``x-kubernetes-list-type: set|map`` rejects duplicate items / duplicate ``x-kubernetes-list-map-keys``;
  - ``format`` is not checked (Kubernetes only checks a few formats, and ``int32`` etc. are not JSON-schema ones).
  ``x-kubernetes-validations`` (CEL) rules cannot be evaluated offline and are ignored.

* ``bundled_schemas()`` is the project's own schema (``capz_wi/schema/identity.schema.json``) for the identity
  kinds and fields ``check`` cares about, used when no CRDs are given; unknown fields are allowed there.

jsonschema is imported inside functions: ``check`` without schema validation never pays for it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from capz_wi import _yamlio as y
from capz_wi._document import Resource, resources
from capz_wi._errors import InputError, SourcePos

GVK = tuple[str, str, str]
SCHEMA_FILE = "identity.schema.json"

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$|^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$")


@dataclass(frozen=True)
class SchemaSet:
    """Validators by (group, version, kind); ``strict`` says unknown fields are errors (real CRDs).

    ``source`` names where the schemas came from, for messages ("the given CRDs", "the bundled schema").
    """

    schemas: dict[GVK, dict[str, Any]]
    source: str
    strict: bool
    _validators: dict[GVK, Any] = field(default_factory=dict, compare=False, repr=False)

    def kinds(self) -> set[tuple[str, str]]:
        return {(g, k) for g, _, k in self.schemas}

    def versions(self, group: str, kind: str) -> list[str]:
        return sorted(v for g, v, k in self.schemas if g == group and k == kind)


@dataclass(frozen=True)
class Violation:
    """One schema violation: the field path (as ``Resource.pos`` takes it), a message and its position."""

    path: tuple[str | int, ...]
    message: str
    pos: SourcePos


# ---------------------------------------------------------------------------------------------------------------
# Loading


def load_crds(text: str, file: str = "<crds>") -> SchemaSet:
    """Every served version's ``openAPIV3Schema`` of the CRDs in ``text`` (other objects are skipped).

    Raises InputError when the text is not YAML or holds no CustomResourceDefinition.
    """
    return load_crd_texts([(text, file)])


def load_crd_texts(texts: list[tuple[str, str]]) -> SchemaSet:
    """``load_crds`` over several (text, file) streams, e.g. the files of a ``--crds`` directory.

    Files without CRDs are skipped; InputError when none of them holds one.
    """
    found: dict[GVK, dict[str, Any]] = {}
    for text, file in texts:
        _collect(text, file, found)
    if not found:
        where = texts[0][1] if texts else "<crds>"
        raise InputError(
            "no CustomResourceDefinition found", SourcePos(where, 1, 1),
            "pass CRD manifests, a directory of them, or a CAPZ infrastructure-components.yaml to --crds",
        )
    return SchemaSet(found, "the given CRDs", strict=True)


def _collect(text: str, file: str, found: dict[GVK, dict[str, Any]]) -> None:
    stream = y.load_stream(text.lstrip("\ufeff"), file)
    for res in resources(stream, require_kind=False):
        if res.kind != "CustomResourceDefinition" or not res.api_version.startswith("apiextensions.k8s.io/"):
            continue
        group, kind = res.value("spec", "group"), res.value("spec", "names", "kind")
        versions = res.get("spec", "versions")
        if not group or not kind or not isinstance(versions, y.SequenceNode):
            continue
        for i in range(len(versions.value)):
            version = res.value("spec", "versions", i, "name")
            served = res.value("spec", "versions", i, "served")
            schema = typed(res.get("spec", "versions", i, "schema", "openAPIV3Schema"))
            if version and served != "false" and isinstance(schema, dict):
                found[(group, version, kind)] = schema


@lru_cache(maxsize=1)
def bundled_schemas() -> SchemaSet:
    """The project's schema for the identity kinds (``capz_wi/schema/identity.schema.json``), package data."""
    from importlib.resources import files

    doc = json.loads(files("capz_wi").joinpath("schema", SCHEMA_FILE).read_text("utf-8"))
    out: dict[GVK, dict[str, Any]] = {}
    for kind, schema in doc["kinds"].items():
        for gv in doc["apiVersions"]:
            group, version = gv.split("/")
            out[(group, version, kind)] = {"definitions": doc.get("definitions", {}), **schema}
    return SchemaSet(out, "the bundled schema", strict=False)


def typed(node: y.Node | None) -> Any:
    """A JSON value of a subtree with YAML 1.2 core-schema scalars (quoted scalars stay strings)."""
    if node is None:
        return None
    if isinstance(node, y.MappingNode):
        return {str(k.value): typed(v) for k, v in y.pairs(node)}
    if isinstance(node, y.SequenceNode):
        return [typed(c) for c in node.value]
    if not isinstance(node, y.ScalarNode):
        return None
    value = str(node.value)
    if node.style not in (None, "") or node.tag not in ("tag:yaml.org,2002:str", "?", None):
        return value
    if y.is_null(node):
        return None
    if value in ("true", "True", "TRUE", "false", "False", "FALSE"):
        return value.lower() == "true"
    if _INT.match(value):
        return int(value, 0) if value[:2] in ("0x", "0o") else int(value)
    if _FLOAT.match(value):
        return float(value.replace("inf", "Inf").replace("INF", "Inf").replace("Inf", "inf").replace("NaN", "nan"))
    return value


# ---------------------------------------------------------------------------------------------------------------
# OpenAPI v3 (structural) -> JSON Schema


def to_json_schema(schema: dict[str, Any], *, strict: bool) -> dict[str, Any]:
    """Translate a structural OpenAPI v3 schema (see the module docstring for what changes)."""
    converted: dict[str, Any] = _convert(copy.deepcopy(schema), strict)
    return converted


def _convert(s: Any, strict: bool) -> Any:
    if not isinstance(s, dict):
        return s
    for key in ("properties", "patternProperties", "definitions"):
        if isinstance(s.get(key), dict):
            s[key] = {k: _convert(v, strict) for k, v in s[key].items()}
    for key in ("items", "additionalProperties", "not"):
        if isinstance(s.get(key), dict):
            s[key] = _convert(s[key], strict)
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(s.get(key), list):
            s[key] = [_convert(v, strict) for v in s[key]]
    s.pop("format", None)
    s.pop("x-kubernetes-validations", None)
    if s.pop("x-kubernetes-int-or-string", False):
        s.pop("type", None)
        s["anyOf"] = [{"type": "integer"}, {"type": "string"}, {"type": "null"}]
    if isinstance(s.get("required"), list) and isinstance(s.get("properties"), dict):
        props = s["properties"]
        s["required"] = [r for r in s["required"] if not (isinstance(props.get(r), dict) and "default" in props[r])]
        if not s["required"]:
            del s["required"]
    preserve = s.pop("x-kubernetes-preserve-unknown-fields", False) or s.get("x-kubernetes-embedded-resource")
    if strict and "properties" in s and "additionalProperties" not in s and not preserve:
        s["additionalProperties"] = False
    if isinstance(s.get("type"), str):
        # null is admitted everywhere: nullable says so, and the API server prunes other nulls before validating
        s["type"] = [s["type"], "null"]
    s.pop("nullable", None)
    if "enum" in s and None not in s["enum"]:
        s["enum"] = [*s["enum"], None]
    return s


# ---------------------------------------------------------------------------------------------------------------
# Validation


def _list_type(validator: Any, value: str, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    """``x-kubernetes-list-type``: ``set`` items are unique; ``map`` items are unique by their map keys."""
    from jsonschema import ValidationError

    if not isinstance(instance, list):
        return
    seen: dict[str, int] = {}
    keys = schema.get("x-kubernetes-list-map-keys") or []
    for i, item in enumerate(instance):
        if value == "set":
            key = json.dumps(item, sort_keys=True)
        elif value == "map" and isinstance(item, dict) and keys:
            key = json.dumps([item.get(k) for k in keys])
        else:
            continue
        if key in seen:
            what = "value" if value == "set" else "key " + ", ".join(f"{k}={item.get(k)!r}" for k in keys)
            yield ValidationError(f"duplicate {what} (also item {seen[key]})", path=[i])
        else:
            seen.setdefault(key, i)


@lru_cache(maxsize=1)
def _validator_cls() -> Any:
    import jsonschema

    return jsonschema.validators.extend(jsonschema.Draft4Validator, {"x-kubernetes-list-type": _list_type})


def _validator(schemas: SchemaSet, gvk: GVK) -> Any:
    """One compiled validator per kind and version, kept on the SchemaSet (built on first use)."""
    v = schemas._validators.get(gvk)
    if v is None:
        v = _validator_cls()(to_json_schema(schemas.schemas[gvk], strict=schemas.strict))
        schemas._validators[gvk] = v
    return v


def validate(res: Resource, schemas: SchemaSet) -> list[Violation]:
    """Schema violations of one object, in document order; [] when its kind has no schema in ``schemas``.

    An object whose group and kind are known but whose apiVersion is not served gets one violation at
    ``apiVersion``.
    """
    version = res.api_version.split("/", 1)[1] if "/" in res.api_version else res.api_version
    gvk = (res.group, version, res.kind)
    if gvk not in schemas.schemas:
        served = schemas.versions(res.group, res.kind)
        if not served or not schemas.strict:
            return []  # the bundled schema does not know which versions a CAPZ release serves
        return [
            Violation(
                ("apiVersion",),
                f"{res.api_version} is not served (served: "
                + ", ".join(f"{res.group}/{v}" for v in served) + ")",
                res.pos("apiVersion"),
            )
        ]
    instance = typed(res.node)
    out: list[Violation] = []
    for err in _validator(schemas, gvk).iter_errors(instance):
        out.extend(_violations(res, err))
    out.sort(key=lambda v: (v.pos.line, v.pos.column, v.message))
    return out


def _violations(res: Resource, err: Any) -> Iterator[Violation]:
    path: tuple[str | int, ...] = tuple(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        known = set(err.schema.get("properties", {}))
        for extra in sorted(k for k in err.instance if k not in known):
            full = (*path, extra)
            yield Violation(full, f"unknown field {extra!r}", res.pos(*full))
        return
    if err.validator == "required" and isinstance(err.validator_value, list):
        missing = [r for r in err.validator_value if isinstance(err.instance, dict) and r not in err.instance]
        for m in missing:
            yield Violation((*path, m), f"required field {m!r} is missing", res.pos(*path))
        return
    if err.validator == "enum":
        allowed = ", ".join(str(v) for v in err.validator_value if v is not None)
        yield Violation(path, f"{err.instance!r} is not one of: {allowed}", res.pos(*path))
        return
    if err.validator == "type":
        want = [t for t in ([err.validator_value] if isinstance(err.validator_value, str) else err.validator_value)
                if t != "null"]
        yield Violation(path, f"expected {' or '.join(want)}, got {_json_type(err.instance)}", res.pos(*path))
        return
    # jsonschema's generic messages quote the whole instance; keep a finding to one readable line
    message = " ".join(str(err.message).split())
    yield Violation(path, message if len(message) <= 200 else message[:197] + "...", res.pos(*path))


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string" if isinstance(value, str) else "null"


def dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)
