"""Review and GitOps renderings of a transform: unified diff, a ``v1`` List, RFC 6902 patches, a kustomize overlay.

Everything here is pure (text in, text or values out, no I/O): the CLI (``capz-wi transform --diff`` / ``-o``)
writes what these functions return. Objects are built from the composed nodes of ``_yamlio`` with the YAML 1.2
core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution): quoted and block scalars are strings, plain
scalars are null/bool/int/float when the core schema says so and strings otherwise (so ``"0644"`` stays a string
and ``yes`` is a string, as in Kubernetes' own YAML 1.2 reading). Explicit ``!!str``/``!!int``/... tags are honoured.

The input and the output of one stream are paired object by object in stream order (the transform never
reorders objects, it only removes whole ones, which ``TransformResult.removed`` names), so patches never depend on
names being unique.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from capz_wi import _yamlio as y
from capz_wi._document import ObjectRef, resources
from capz_wi._errors import InputError

__all__ = [
    "ObjectPair",
    "colorize_diff",
    "kustomize_overlay",
    "make_patch",
    "object_patches",
    "pair_objects",
    "parse_objects",
    "secret_value_lines",
    "render_json",
    "unified_diff",
    "v1_list",
]

# ---------------------------------------------------------------------------------------------------------------
# Unified diff


REDACTED = "<redacted>"
_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def unified_diff(old: str, new: str, name: str, *, redact: bool = True) -> str:
    """A unified diff of one file (``""`` when nothing changed), labelled ``a/<name>`` and ``b/<name>``.

    Absolute paths and ``<stdin>`` are used as they are for both labels (``a//tmp/x`` helps nobody). A last line
    without a newline gets the ``\\ No newline at end of file`` marker, as ``diff -u`` and git print it. With
    ``redact`` (the default) the values under a Secret's ``data``/``stringData`` print as ``<redacted>``: diffs
    end up in CI logs and review tools, and the ASO credential rule removes ``AZURE_CLIENT_SECRET``. The hunks
    are computed on the real text, so a changed secret still shows up, only not its value.
    """
    import difflib

    if old == new:
        return ""
    relative = not (name.startswith("/") or name.startswith("<"))
    a, b = (f"a/{name}", f"b/{name}") if relative else (name, name)
    old_lines, new_lines = old.splitlines(True), new.splitlines(True)
    masked_old = _mask(old_lines, secret_value_lines(old)) if redact else old_lines
    masked_new = _mask(new_lines, secret_value_lines(new)) if redact else new_lines
    out: list[str] = []
    i = j = 0
    for n, line in enumerate(difflib.unified_diff(old_lines, new_lines, a, b)):
        hunk = _HUNK.match(line) if n >= 2 else None
        if hunk:
            i, j = max(int(hunk[1]) - 1, 0), max(int(hunk[2]) - 1, 0)
        elif n >= 2:
            tag = line[:1]
            if tag in " -":
                line = tag + masked_old[i]
                i += 1
            if tag == "+":
                line = tag + masked_new[j]
            if tag in " +":
                j += 1
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def secret_value_lines(text: str) -> dict[int, int]:
    """0-based line -> column where a Secret ``data``/``stringData`` value is written on it (0: the whole line).

    Unparsable text gives ``{}``: the diff callers only pass streams the engine has already read.
    """
    try:
        stream = y.load_stream(text.lstrip("\ufeff"))
        objs = list(resources(stream))
    except InputError:
        return {}
    found = [r for r in objs if r.kind == "Secret" and r.api_version == "v1"]
    lines: dict[int, int] = {}
    values: list[y.Node] = []
    for res in found:
        for key in ("data", "stringData"):
            node = res.get(key)
            if isinstance(node, y.MappingNode):
                values.extend(value for _, value in node.value)
    for res in objs:  # a clientSecret that is not a reference may be the secret itself
        if res.kind == "AzureClusterIdentity" and isinstance(res.get("spec", "clientSecret"), y.ScalarNode):
            values.append(res.get("spec", "clientSecret"))  # type: ignore[arg-type]
    for value in values:
        start, end = value.start_mark, value.end_mark
        last = end.line if end.column > 0 or end.line == start.line else end.line - 1
        lines[start.line] = min(lines.get(start.line, start.column), start.column)
        for line in range(start.line + 1, last + 1):
            lines[line] = 0
    return lines


def _mask(lines: list[str], secret: dict[int, int]) -> list[str]:
    out = list(lines)
    for n, col in secret.items():
        if n < len(out):
            body = out[n].rstrip("\r\n")
            indent = len(body) - len(body.lstrip()) if col == 0 else col
            out[n] = body[:indent] + REDACTED + out[n][len(body) :]
    return out


_COLOURS = {"+++": "\x1b[1m", "---": "\x1b[1m", "@@": "\x1b[36m", "+": "\x1b[32m", "-": "\x1b[31m"}
_RESET = "\x1b[0m"


def colorize_diff(diff: str) -> str:
    """ANSI colours for a terminal: bold file headers, cyan hunks, red removals, green additions."""
    out = []
    for line in diff.splitlines(True):
        body = line.rstrip("\r\n")
        end = line[len(body) :]
        for prefix in ("+++", "---", "@@", "+", "-"):
            if body.startswith(prefix):
                out.append(f"{_COLOURS[prefix]}{body}{_RESET}{end}")
                break
        else:
            out.append(line)
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------------
# Objects (YAML 1.2 core schema)

_NULL = re.compile(r"^(?:null|Null|NULL|~|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")
_CORE = "tag:yaml.org,2002:"


def _plain(value: str) -> Any:
    """A plain scalar under the YAML 1.2 core schema."""
    if _NULL.match(value):
        return None
    if _BOOL.match(value):
        return value[0] in "tT"
    if _INT10.match(value):
        return int(value)
    if _INT8.match(value):
        return int(value[2:], 8)
    if _INT16.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        return float(value)
    if _INF.match(value):
        return -math.inf if value.startswith("-") else math.inf
    if _NAN.match(value):
        return math.nan
    return value


def _explicit_tag(text: str, node: y.Node) -> str | None:
    """The tag written before a scalar (``!!str 5``, ``&a !!int "7"``), or None. libyaml marks include properties."""
    start, end = node.start_mark.index, node.end_mark.index
    if not text or text[start : start + 1] not in ("!", "&"):
        return None
    for token in text[start:end].split(None, 2)[:2]:
        if token.startswith("!"):
            return token
    return None


def _scalar(node: y.ScalarNode, text: str) -> Any:
    value = str(node.value)
    tag = _explicit_tag(text, node)
    if tag is not None:
        short = tag[2:] if tag.startswith("!!") else tag[len(_CORE) + 2 : -1] if tag.startswith("!<") else ""
        if short in ("int", "float", "bool", "null"):
            typed = _plain(value)
            want = {"int": int, "float": float, "bool": bool, "null": type(None)}[short]
            if short == "float" and isinstance(typed, int) and not isinstance(typed, bool):
                return float(typed)
            if isinstance(typed, want) and not (short == "int" and isinstance(typed, bool)):
                return typed
        return value  # !!str, a non-specific "!" or a custom tag: the text
    if node.style:  # quoted or block scalar
        return value
    return _plain(value)


def to_object(node: y.Node | None, text: str) -> Any:
    """A JSON-compatible value from a composed node of ``text`` (merge keys resolved, aliases expanded)."""
    if node is None:
        return None
    if isinstance(node, y.MappingNode):
        return {str(k.value): to_object(v, text) for k, v in y.pairs(node)}
    if isinstance(node, y.SequenceNode):
        return [to_object(c, text) for c in node.value]
    assert isinstance(node, y.ScalarNode)
    return _scalar(node, text)


def parse_objects(text: str, file: str = "<stdin>") -> list[tuple[ObjectRef, dict[str, Any]]]:
    """Every Kubernetes object of a stream (``kind: List`` flattened), with its reference."""
    stream = y.load_stream(text.lstrip("\ufeff"), file)
    return [(r.ref, to_object(r.node, stream.text)) for r in resources(stream)]


@dataclass(frozen=True)
class ObjectPair:
    """One input object and what the transform made of it (``after`` is None when it was removed)."""

    ref: ObjectRef
    before: dict[str, Any]
    after: dict[str, Any] | None

    @property
    def changed(self) -> bool:
        return self.after != self.before


def pair_objects(old: str, new: str, removed: Sequence[ObjectRef], file: str = "<stdin>") -> list[ObjectPair]:
    """Pair the objects of a stream before and after the transform, in stream order."""
    before = parse_objects(old, file)
    after = parse_objects(new, file)
    gone = list(removed)
    pairs: list[ObjectPair] = []
    it = iter(after)
    for ref, obj in before:
        if ref in gone:
            gone.remove(ref)
            pairs.append(ObjectPair(ref, obj, None))
            continue
        nxt = next(it, None)
        if nxt is None or (nxt[0].kind, nxt[0].name) != (ref.kind, ref.name):
            raise AssertionError(f"{file}: output objects do not line up with the input at {ref}")
        pairs.append(ObjectPair(ref, obj, nxt[1]))
    if next(it, None) is not None or gone:
        raise AssertionError(f"{file}: output objects do not line up with the input")
    return pairs


# ---------------------------------------------------------------------------------------------------------------
# -o json, -o patch


def v1_list(objects: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Objects wrapped as ``kubectl get -o json`` prints several: ``{"apiVersion": "v1", "kind": "List", ...}``."""
    return {"apiVersion": "v1", "kind": "List", "items": list(objects)}


def render_json(value: Any, indent: int = 4) -> str:
    """JSON text with a final newline; non-ASCII kept as is (kubectl does the same)."""
    return json.dumps(value, indent=indent, ensure_ascii=False) + "\n"


def _target(ref: ObjectRef) -> dict[str, Any]:
    return {"apiVersion": ref.api_version, "kind": ref.kind, "namespace": ref.namespace, "name": ref.name}


def make_patch(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """RFC 6902 operations turning ``before`` into ``after``: ``jsonpatch``'s diff, made deterministic and verified.

    jsonpatch 1.33 walks dict keys through sets, so the operation order changes with ``PYTHONHASHSEED`` from run
    to run (stefankoegl/python-json-patch#151); committed overlays and golden files would churn. The subclass
    walks keys in document order instead (the fix proposed upstream in stefankoegl/python-json-patch#174). Its
    ``move`` detection can emit chained operations in an order that does not reproduce the target
    (stefankoegl/python-json-patch#160; hypothesis finds cases that even fail to apply), so the result is applied
    once and checked; when it does not give ``after`` exactly, plain ``add``/``remove``/``replace`` operations on the differing top-level fields are used instead.
    """
    import jsonpatch

    class _Ordered(jsonpatch.DiffBuilder):  # type: ignore[misc]
        def _compare_dicts(self, path: str, src: dict[str, Any], dst: dict[str, Any]) -> None:
            for key in src:
                if key not in dst:
                    self._item_removed(path, str(key), src[key])
            for key in dst:
                if key not in src:
                    self._item_added(path, str(key), dst[key])
            for key in src:
                if key in dst:
                    self._compare_values(path, key, src[key], dst[key])

    builder = _Ordered(before, after, jsonpatch.JsonPatch.json_dumper, pointer_cls=jsonpatch.JsonPointer)
    builder._compare_values("", None, before, after)
    ops: list[dict[str, Any]] = list(builder.execute())
    try:
        if _same(jsonpatch.apply_patch(before, ops), after):
            return ops
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException):
        pass  # an index out of bounds from a chained move: fall back as well
    ops = [{"op": "remove", "path": "/" + _pointer(k)} for k in before if k not in after]
    for k, v in after.items():
        if k not in before or not _same(before[k], v):
            ops.append({"op": "replace" if k in before else "add", "path": "/" + _pointer(k), "value": v})
    return ops


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON (``True`` is not ``1``, ``1`` is not ``1.0``), which Python's ``==`` does not check."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def object_patches(pairs: Iterable[ObjectPair]) -> list[dict[str, Any]]:
    """One entry per changed object: ``{"target": {...}, "patch": [RFC 6902 ops]}`` from ``jsonpatch.make_patch``.

    A removed object (``--prune-secret``) has no patch that turns it into another object, so its entry is
    ``{"target": {...}, "delete": true}`` (no ``patch`` key, so a consumer that ignores ``delete`` fails loudly
    instead of keeping the object).
    """
    out: list[dict[str, Any]] = []
    for p in pairs:
        if p.after is None:
            out.append({"target": _target(p.ref), "delete": True})
        elif p.changed:
            out.append({"target": _target(p.ref), "patch": make_patch(p.before, p.after)})
    return out


# ---------------------------------------------------------------------------------------------------------------
# -o kustomize

KUSTOMIZATION = "kustomization.yaml"
_GO_META = re.compile(r"([\\.+*?()|\[\]{}^$])")


def _go_quote_meta(name: str) -> str:
    """Go's ``regexp.QuoteMeta``: kustomize matches ``target.name``/``namespace`` as anchored regular expressions."""
    return _GO_META.sub(r"\\\1", name)


def _scalar_text(value: str) -> str:
    return y.render_scalar(value)


def _patch_text(ops: list[dict[str, Any]], indent: str) -> str:
    """JSON 6902 ops as a YAML block sequence of JSON flow mappings, one op per line (readable in a review)."""
    return "".join(f"{indent}- {json.dumps(op, ensure_ascii=False, sort_keys=False)}\n" for op in ops)


def resource_names(names: Sequence[str]) -> list[str]:
    """File names for the copied inputs: the base name (``resources.yaml`` for stdin), made unique."""
    used = {KUSTOMIZATION}
    out = []
    for name in names:
        base = "resources.yaml" if name.startswith("<") or name == "-" else name.replace("\\", "/").rsplit("/", 1)[-1]
        stem, dot, ext = base.rpartition(".")
        if not dot:
            stem, ext = base, "yaml"
        candidate, n = base, 1
        while candidate in used:
            n += 1
            candidate = f"{stem}-{n}.{ext}"
        used.add(candidate)
        out.append(candidate)
    return out


def kustomize_overlay(inputs: Sequence[tuple[str, str, list[ObjectPair]]]) -> dict[str, str]:
    """The files of a kustomize overlay that rebuilds the transform's output from its unchanged input.

    ``inputs`` holds ``(display name, input text, object pairs)`` per stream. Returns ``{file name: text}``: each
    input copied byte for byte (its original bytes are the caller's to write) under the name from
    :func:`resource_names`, and ``kustomization.yaml`` listing them under ``resources:`` with one ``patches:``
    entry per changed object (JSON 6902 ops, targeted by group/version/kind/name/namespace) and, for a removed
    object, a strategic-merge ``$patch: delete``. Raises InputError when an object cannot be targeted.
    """
    names = resource_names([n for n, _, _ in inputs])
    files: dict[str, str] = {}
    patches: list[str] = []
    seen: dict[tuple[str, str, str | None, str], str] = {}
    for (display, text, pairs), fname in zip(inputs, names):
        files[fname] = text
        for p in pairs:
            ref = p.ref
            key = (ref.api_version.rsplit("/", 1)[0] if "/" in ref.api_version else "", ref.kind, ref.namespace, ref.name)
            if key in seen and (p.changed or p.after is None):
                raise InputError(
                    f"{ref} appears twice (also in {seen[key]}); a kustomize patch cannot tell them apart",
                    None,
                    "give the objects distinct names or transform the files separately",
                )
            seen.setdefault(key, display)
            if p.after is not None and not p.changed:
                continue
            if not ref.name:
                raise InputError(f"{ref.kind} without metadata.name in {display} cannot be patched by kustomize")
            if p.after is None:
                meta = f"    metadata:\n      name: {_scalar_text(ref.name)}\n"
                if ref.namespace:
                    meta += f"      namespace: {_scalar_text(ref.namespace)}\n"
                patches.append(
                    "- patch: |-\n    $patch: delete\n"
                    f"    apiVersion: {_scalar_text(ref.api_version)}\n    kind: {_scalar_text(ref.kind)}\n{meta}"
                )
                continue
            group, _, version = ref.api_version.rpartition("/")
            target = "- target:\n"
            if group:
                target += f"    group: {_scalar_text(group)}\n"
            target += f"    version: {_scalar_text(version)}\n    kind: {_scalar_text(ref.kind)}\n"
            target += f"    name: {_scalar_text(_go_quote_meta(ref.name))}\n"
            if ref.namespace:
                target += f"    namespace: {_scalar_text(_go_quote_meta(ref.namespace))}\n"
            ops = make_patch(p.before, p.after)
            patches.append(target + "  patch: |-\n" + _patch_text(ops, "    "))
    head = (
        "# Generated by capz-wi transform -o kustomize: the input unchanged, the workload identity edits as patches.\n"
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
    )
    body = head + "".join(f"- {_scalar_text(n)}\n" for n in names)
    if patches:
        body += "patches:\n" + "".join(patches)
    files[KUSTOMIZATION] = body
    return files
