"""The one engine behind the library, the CLI and the KRM function.

``run`` plans every rule over every object (pure: no I/O), then, when asked, applies the edits in one place.
``transform`` and ``transform_objects`` wrap it for text and for already-parsed objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from capz_wi import _yamlio as y
from capz_wi._document import Resource, resources
from capz_wi._edits import Edit, RemoveDocument, apply_edits
from capz_wi._errors import ConflictError, InputError
from capz_wi._options import Options
from capz_wi._report import REDACTED, Change, Finding, TransformResult
from capz_wi.rules import RULES
from capz_wi.rules._base import Context


def load(source: str | bytes, file: str = "<stdin>", max_bytes: int = y.DEFAULT_MAX_BYTES) -> y.Stream:
    """Decode (bytes) and compose a stream. Raises InputError subclasses with positions."""
    if isinstance(source, bytes):
        text, bom = y.decode(source, file, max_bytes)
    else:
        bom = source.startswith("\ufeff")
        text = source[1:] if bom else source
        if len(text) > max_bytes:
            y.decode(text.encode("utf-8", "surrogatepass"), file, max_bytes)
    return y.load_stream(text, file, bom=bom)


def plan(objects: Sequence[Resource], options: Options) -> tuple[list[Edit], list[Finding]]:
    """Run every rule over ``objects``; returns the edits and findings, rule ids stamped, nothing applied."""
    ctx = Context(list(objects))
    edits: list[Edit] = []
    findings: list[Finding] = []
    for rule in RULES:
        match = rule.MATCH
        for res in objects:
            if not match(res):
                continue
            for item in rule.plan(res, ctx, options):
                if isinstance(item, Finding):
                    findings.append(_stamp_finding(item, rule.ID))
                else:
                    edits.append(_stamp_edit(item, rule.ID))
    _check_conflicts(edits)
    return edits, findings


def _stamp_finding(f: Finding, rule: str) -> Finding:
    if f.rule:
        return f
    return Finding(f.severity, f.message, f.object, f.pos, rule, f.code, f.hint)


def _stamp_edit(e: Edit, rule: str) -> Edit:
    if e.rule:
        return e
    return type(e)(e.resource, e.path, e.new, e.old, rule, e.redact)


def _check_conflicts(edits: list[Edit]) -> None:
    seen: dict[tuple[int, tuple[Any, ...]], Edit] = {}
    for e in edits:
        key = (id(e.resource), e.path)
        prev = seen.get(key)
        if prev is not None and type(prev) is type(e) and prev.new != e.new:
            raise ConflictError(
                f"rules {prev.rule} and {e.rule} set {'.'.join(map(str, e.path))} to different values",
                e.resource.pos(*e.path),
                "report this as a bug",
            )
        seen[key] = e


def _change(e: Edit) -> Change:
    old, new = (REDACTED, REDACTED) if e.redact else (e.old, e.new)
    if e.redact and e.op == "remove":
        new = None
    path = ".".join(str(p) for p in e.path)
    return Change(e.resource.ref, path, e.op, old, new, e.rule, e.resource.pos(*e.path))  # type: ignore[arg-type]


def _sort_key(f: Finding) -> tuple[str, int, int, int, str]:
    p = f.pos
    return (p.file, p.index, p.line, p.column, f.rule) if p else ("", 0, 0, 0, f.rule)


def run(stream: y.Stream, options: Options, *, apply: bool = True, objects: list[Resource] | None = None) -> TransformResult:
    """Plan the rules over ``stream`` and, when ``apply``, splice the edits into its text."""
    with y.PausedGC():  # linear time on large streams (see PausedGC)
        return _run(stream, options, apply, objects)


def _run(stream: y.Stream, options: Options, apply: bool, objects: list[Resource] | None) -> TransformResult:
    objs = list(resources(stream)) if objects is None else objects
    edits, findings = plan(objs, options)
    findings.sort(key=_sort_key)
    removed = [e.resource.ref for e in edits if isinstance(e, RemoveDocument)]
    changes = [_change(e) for e in edits if not isinstance(e, RemoveDocument)]
    text = stream.text
    if apply and edits:
        text = apply_edits(stream, edits)
    if stream.bom:
        text = "\ufeff" + text
    return TransformResult(text, changes, findings, removed)


def transform(source: str | bytes, options: Options | None = None, *, file: str = "<stdin>") -> TransformResult:
    """Transform a YAML stream (text or UTF-8 bytes) for workload identity.

    Returns a :class:`TransformResult` whose ``text`` holds the new stream; every document that needs no edit is
    byte-identical to the input. Raises :class:`InputError` (with ``file:line:column``) for input that cannot be
    processed and :class:`OptionsError` for invalid or missing options. Refused edits (a SystemAssigned machine)
    are error findings: ``result.ok`` is then False.
    """
    opts = options or Options()
    stream = load(source, file, opts.max_bytes)
    return run(stream, opts)


def transform_objects(objects: Sequence[dict[str, Any]], options: Options | None = None) -> tuple[list[dict[str, Any]], TransformResult]:
    """Transform already-parsed objects (dicts as ``yaml.safe_load``/``json.load`` give them).

    Returns the transformed objects (new dicts; removed objects are left out) and the result with changes and
    findings. Same engine and rules as :func:`transform`.
    """
    for i, obj in enumerate(objects):
        if not isinstance(obj, dict):
            raise InputError(f"object {i} is a {type(obj).__name__}, not a mapping")
    import json  # here, not at the top: start-up of the plain transform
    text = "".join("---\n" + json.dumps(o, ensure_ascii=False) + "\n" for o in objects)
    result = transform(text, options, file="<objects>")
    out_stream = y.load_stream(result.text, "<objects>")
    out = [_to_json(d.root) for d in out_stream.docs if d.root is not None]
    return out, result


def _to_json(node: y.Node) -> Any:
    """JSON-compatible objects from the (JSON or flow YAML) output, with YAML 1.2 core scalars."""
    if isinstance(node, y.MappingNode):
        return {str(k.value): _to_json(v) for k, v in y.pairs(node)}
    if isinstance(node, y.SequenceNode):
        return [_to_json(c) for c in node.value]
    if getattr(node, "style", None) in ('"', "'"):
        return node.value
    return _plain(str(node.value))


def _plain(v: str) -> Any:
    if v in ("null", "~", ""):
        return None
    if v in ("true", "false"):
        return v == "true"
    try:
        import json  # here, not at the top: start-up of the plain transform
        return json.loads(v) if v[:1] in "-0123456789" else v
    except ValueError:
        return v
