"""The KRM function: ``capz-wi-krm`` (and ``capz-wi fn``) for ``kustomize build`` and kpt.

A ``ResourceList`` comes in on stdin and exactly one goes out on stdout, in block YAML, never empty (an empty
stdout with exit 0 makes both runners delete every resource). The same engine as the CLI plans the rules over the
list's items and splices the edits into the ResourceList text itself, so every item keeps its comments, quoting
and key order byte for byte, and items that need no edit are not re-serialised at all. Then a ``results:`` block is
spliced in: one ``info`` result per change, ``warning``/``error`` results for the findings, and one ``error``
result for a bad functionConfig or unusable input. Every error is also one line on stderr, because kustomize never
shows results. Exit 1 iff an error result exists.

Items without ``apiVersion``/``kind`` (kpt passes ``kustomization.yaml``) and ``config.kubernetes.io/local-config:
"true"`` items (the Kptfile, config files) pass through untouched. The functionConfig is a
``fn.capz-wi.dev/v1alpha1`` ``WorkloadIdentityTransformer`` (fields under ``spec``) or a v1 ``ConfigMap`` (the same
fields as strings under ``data``, what ``kpt fn eval -- key=value`` produces); it is validated against the JSON
schema generated from :class:`capz_wi.Options` (``capz_wi._schema``).

No typer here: this module is the container's entrypoint and its cold start matters.
"""

from __future__ import annotations

import bisect
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from capz_wi import _engine
from capz_wi import _yamlio as y
from capz_wi._document import ObjectRef, Resource
from capz_wi._errors import CapzWiError, ConflictError, InputError, OptionsError
from capz_wi._options import ALIASES, Options
from capz_wi._report import Change, Finding, TransformResult

FILE = "<ResourceList>"
API_VERSION = "config.kubernetes.io/v1"
LOCAL_CONFIG = "config.kubernetes.io/local-config"
PATH_ANNOTATIONS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")
INDEX_ANNOTATIONS = ("internal.config.kubernetes.io/index", "config.kubernetes.io/index")
#: The runner holds the whole list in memory already; this only stops absurd inputs before parsing.
#: ``maxBytes`` from the functionConfig is enforced once the config is read.
HARD_LIMIT = 4 * y.DEFAULT_MAX_BYTES

USAGE = """\
usage: capz-wi-krm < resource-list.yaml > resource-list.yaml

The capz-wi KRM function: reads a ResourceList on stdin, writes it back with the CAPZ objects rewritten for Azure
Workload Identity and a `results:` list. Configure it with a functionConfig of kind WorkloadIdentityTransformer
(apiVersion fn.capz-wi.dev/v1alpha1, fields under spec) or a ConfigMap (the same fields under data).
Run it with `kustomize build --enable-alpha-plugins --enable-exec` (exec or container transformer) or kpt
(`kpt fn eval --exec capz-wi-krm`, Kptfile pipeline). Exit 1 when an error result exists.
"""


# ---------------------------------------------------------------------------------------------------------------
# Results


@dataclass
class Result:
    """One KRM result (kyaml ``framework.Result``); ``as_dict`` leaves out what is unknown."""

    message: str
    severity: str
    ref: ObjectRef | None = None
    path: str = ""
    current: Any = None
    proposed: Any = None
    file: dict[str, Any] = field(default_factory=dict)
    rule: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    where: str = ""  # for the stderr line: "functionConfig", "<ResourceList>:3:1", ...

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"message": self.message, "severity": self.severity}
        if self.ref is not None:
            d["resourceRef"] = self.ref.as_dict()
        if self.path:
            fld: dict[str, Any] = {"path": self.path}
            if self.current is not None:
                fld["currentValue"] = self.current
            if self.proposed is not None:
                fld["proposedValue"] = self.proposed
            d["field"] = fld
        if self.file:
            d["file"] = dict(self.file)
        tags = self.tags or ({"rule": self.rule} if self.rule else {})
        if tags:
            d["tags"] = dict(tags)
        return d

    def line(self) -> str:
        """The one stderr line: ``capz-wi-krm: error: <where>: <object> <field>: message (rule)``."""
        parts = [p for p in (self.where, _file_text(self.file)) if p]
        subject = " ".join(p for p in (str(self.ref) if self.ref else "", self.path) if p)
        head = ": ".join(parts + ([subject] if subject else []))
        rule = self.tags.get("code") or self.tags.get("rule") or self.rule
        tail = f" ({rule})" if rule else ""
        return f"capz-wi-krm: {self.severity}: {head + ': ' if head else ''}{self.message}{tail}"


def _file_text(f: dict[str, Any]) -> str:
    if "path" in f:
        return f"{f['path']}" + (f"[{f['index']}]" if "index" in f else "")
    return ""


# ---------------------------------------------------------------------------------------------------------------
# Items


@dataclass
class _Items:
    """The ResourceList's items: the resources the engine sees, and a line index to map positions back to them."""

    resources: list[Resource]
    starts: list[tuple[int, int]]  # 1-based (line, column) where each resource starts, ascending
    ends: list[tuple[int, int]]

    @classmethod
    def select(cls, stream: y.Stream, doc: y.Doc, items: y.SequenceNode | None) -> _Items:
        res: list[Resource] = []
        for i, node in enumerate(items.value if items is not None else []):
            if not isinstance(node, y.MappingNode):
                continue
            if not y.scalar(y.get(node, "apiVersion")) or not y.scalar(y.get(node, "kind")):
                continue  # not a resource (kpt passes kustomization.yaml): untouched
            if _annotation(node, LOCAL_CONFIG) == "true":
                continue  # the Kptfile, function configs: untouched
            if y.scalar(y.get(node, "kind")) == "List" and y.scalar(y.get(node, "apiVersion")) == "v1":
                # a v1 List item: its own items are the objects. Their "document" is the List, so that removing
                # one (pruneSecret) removes it from the List, not from the ResourceList.
                sub = y.get(node, "items")
                inner = y.Doc(doc.index, node)
                for j, obj in enumerate(sub.value if isinstance(sub, y.SequenceNode) else []):
                    if isinstance(obj, y.MappingNode) and y.scalar(y.get(obj, "kind")):
                        res.append(Resource(stream, inner, obj, item=j))
                continue
            res.append(Resource(stream, doc, node, item=i))
        starts = [(r.node.start_mark.line + 1, r.node.start_mark.column + 1) for r in res]
        ends = [(r.node.end_mark.line + 1, r.node.end_mark.column + 1) for r in res]
        return cls(res, starts, ends)

    def at(self, pos: Any, ref: ObjectRef | None) -> Resource | None:
        """The item holding a position of the ResourceList text (else the one with ``ref``)."""
        if pos is not None and pos.line:
            at = (pos.line, pos.column)  # (line, column), not line alone: JSON input is one line
            i = bisect.bisect_right(self.starts, at) - 1
            if i >= 0 and at <= self.ends[i]:
                return self.resources[i]
        if ref is not None:
            for r in self.resources:
                if r.ref == ref:
                    return r
        return None


def _annotation(node: y.Node, key: str) -> str | None:
    return y.scalar(y.get(node, "metadata", "annotations", key))


def _file_of(res: Resource | None) -> dict[str, Any]:
    """KRM ``file`` from the runner's path/index annotations (kpt sets both, kustomize only the index)."""
    if res is None:
        return {}
    path = next((p for p in (_annotation(res.node, k) for k in PATH_ANNOTATIONS) if p), None)
    if path is None:
        return {}
    out: dict[str, Any] = {"path": path}
    index = next((v for v in (_annotation(res.node, k) for k in INDEX_ANNOTATIONS) if v), None)
    if index is not None and index.isdigit() and int(index) > 0:
        out["index"] = int(index)
    return out


# ---------------------------------------------------------------------------------------------------------------
# functionConfig


class ConfigError(Exception):
    """The functionConfig is invalid: ``path`` is the dotted field path inside it."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def options_from_config(config: Any) -> Options:
    """Options from a functionConfig (as JSON-like data). Raises ConfigError naming the field."""
    from capz_wi import _schema

    if config is None or config == {}:
        return Options()
    if not isinstance(config, dict):
        raise ConfigError("", f"functionConfig must be a mapping, not {type(config).__name__}")
    kind, api = config.get("kind"), config.get("apiVersion")
    if kind == "ConfigMap" and api in ("v1", None):
        data = config.get("data") or {}
        if not isinstance(data, dict):
            raise ConfigError("data", "ConfigMap data must be a mapping")
        fields = _from_strings(data, _schema.field_types())
        problems = _schema.validate(fields, spec_only="data")
        prefix = "data"
    elif kind == _schema.KIND:
        problems = _schema.validate(config)
        spec = config.get("spec") or {}
        fields = spec if isinstance(spec, dict) else {}
        prefix = "spec"
    else:
        raise ConfigError(
            "kind",
            f"unsupported functionConfig {api}/{kind}; use {_schema.API_VERSION} {_schema.KIND} (fields under spec) "
            "or a v1 ConfigMap (fields under data)",
        )
    if problems:
        raise ConfigError(problems[0].path, problems[0].message)
    try:
        return Options.from_mapping(fields)
    except OptionsError as exc:
        raise ConfigError(f"{prefix}.{exc.field}" if exc.field else prefix, _options_message(exc)) from None


def _options_message(exc: OptionsError) -> str:
    return _krm_words(exc.message + (f"; {exc.hint}" if exc.hint else ""))


def _from_strings(data: dict[str, Any], types: dict[str, str]) -> dict[str, Any]:
    """Typed fields from ConfigMap strings (``types``: the JSON type of each field): true/false, comma-separated
    lists, integers; "" means unset. Anything else stays a string, for the schema to report."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        kind = types.get(key)
        if isinstance(value, str):
            if value == "":
                continue
            if kind == "boolean" and value.lower() in ("true", "false"):
                value = value.lower() == "true"
            elif kind == "array":
                value = [v.strip() for v in value.split(",") if v.strip()]
            elif kind == "integer" and value.strip().isdigit():
                value = int(value)
        out[key] = value
    return out


# ---------------------------------------------------------------------------------------------------------------
# The function


@dataclass
class Output:
    """What the process writes: the ResourceList text for stdout, the exit code, and the stderr lines."""

    text: str
    exit_code: int
    results: list[Result]

    @property
    def stderr(self) -> list[str]:
        return [r.line() for r in self.results if r.severity == "error"]


def process(data: bytes) -> Output:
    """Run the function on a ResourceList (YAML or JSON bytes)."""
    try:
        stream = _engine.load(data, FILE, HARD_LIMIT)
    except InputError as exc:
        return _fatal([_input_result(exc, None)])
    root = stream.docs[0].root if len(stream.docs) == 1 else None
    if not isinstance(root, y.MappingNode) or y.scalar(y.get(root, "kind")) != "ResourceList":
        message = "input is not a KRM ResourceList (one YAML document of kind ResourceList)"
        return _fatal([Result(message, "error", where=FILE)])
    items = y.get(root, "items")
    if items is not None and not y.is_null(items) and not isinstance(items, y.SequenceNode):
        return _fatal([Result("ResourceList items must be a list", "error", where=FILE)])
    doc = stream.docs[0]
    selected = _Items.select(stream, doc, items if isinstance(items, y.SequenceNode) else None)

    results: list[Result] = []
    text = stream.text
    try:
        fc = y.get(root, "functionConfig")
        opts = options_from_config(None if fc is None or y.is_null(fc) else _engine._to_json(fc))
    except ConfigError as exc:
        results.append(Result(exc.message, "error", ref=_config_ref(root), path=exc.path, where="functionConfig"))
        return _finish(stream, root, text, results)
    if len(data) > opts.max_bytes:
        results.append(
            Result(f"input is {len(data)} bytes, over the limit of {opts.max_bytes}; raise maxBytes", "error",
                   where=FILE)
        )
        return _finish(stream, root, text, results)
    try:
        if opts.mode == "check":
            results.extend(_check(selected, opts))
        else:
            result = _engine.run(stream, opts, objects=selected.resources)
            results.extend(_finding_result(f, selected) for f in result.findings)
            if result.ok:
                results.extend(_change_results(result, selected))
                text = result.text.removeprefix("\ufeff")
                if opts.workload_issuer:
                    text = _workload_issuer(text, opts, results)
    except OptionsError as exc:
        results.append(
            Result(
                _options_message(exc), "error", ref=_config_ref(root), path=_config_path(root, exc.field),
                where="functionConfig",
            )
        )
    except (InputError, ConflictError) as exc:
        results.append(_input_result(exc, selected))
    except CapzWiError as exc:  # a refused workload-issuer edit (bad issuer, keys that are not a pair, no KCP)
        results.append(Result(exc.message + (f"; {exc.hint}" if exc.hint else ""), "error", where="functionConfig"))
        text = stream.text
    return _finish(stream, root, text, results)


def _workload_issuer(text: str, opts: Options, results: list[Result]) -> str:
    """``workloadIssuer``: the edit of ``capz-wi workload-issuer`` on the items (KubeadmControlPlane and
    KubeadmControlPlaneTemplate ``service-account-issuer``). The ``<cluster>-sa`` Secret holds a private key and
    never travels in the items: create it with ``capz-wi workload-issuer --secret-out``. With mounted
    ``signingKeyFile``/``publicKeyFile`` the pair is verified and the key id the tokens will carry is reported.
    """
    from pathlib import Path

    from capz_wi._edits import apply_edits
    from capz_wi.quickstart._discovery import normalize_issuer
    from capz_wi.quickstart._errors import RefusedError
    from capz_wi.quickstart._keys import check_pair, key_id
    from capz_wi.quickstart._workload_issuer import CP_GROUP, PATHS, RULE, plan_issuer

    assert opts.workload_issuer is not None
    issuer = normalize_issuer(opts.workload_issuer)
    if opts.signing_key_file and opts.public_key_file:
        try:
            private = Path(opts.signing_key_file).read_bytes()
            public = Path(opts.public_key_file).read_bytes()
        except OSError as exc:
            raise RefusedError(
                f"cannot read {exc.filename}: {exc.strerror}", None, "mount the key files into the function"
            ) from None
        key = check_pair(private, public, opts.signing_key_file, opts.public_key_file)
        results.append(
            Result(f"tokens will carry kid {key_id(key)}: publish it in {issuer}openid/v1/jwks", "info", rule=RULE)
        )
    stream = _engine.load(text, FILE, HARD_LIMIT)
    doc = stream.docs[0]
    items = y.get(doc.root, "items")
    selected = _Items.select(stream, doc, items if isinstance(items, y.SequenceNode) else None)
    cps = [r for r in selected.resources if r.group == CP_GROUP and r.kind in PATHS]
    if not cps:
        raise RefusedError(
            "workloadIssuer is set but no item is a KubeadmControlPlane or KubeadmControlPlaneTemplate", None,
            "remove workloadIssuer or run the function over the workload cluster's manifests",
        )
    edits = [e for cp in cps for e in plan_issuer(cp, issuer)]
    for e in edits:
        res = e.resource
        results.append(
            Result(
                f"set to {issuer}" if e.old is None else f"changed from {e.old} to {issuer}", "info", ref=res.ref,
                path=".".join(map(str, e.path)), current=e.old, proposed=e.new if isinstance(e.new, str) else issuer,
                file=_file_of(res), rule=RULE,
            )
        )
    return apply_edits(stream, edits) if edits else text


def _config_ref(root: y.MappingNode) -> ObjectRef | None:
    """The functionConfig as a resourceRef, so that kpt prints which config is wrong."""
    fc = y.get(root, "functionConfig")
    api, kind = y.scalar(y.get(fc, "apiVersion")), y.scalar(y.get(fc, "kind"))
    if not api or not kind:
        return None
    name = y.scalar(y.get(fc, "metadata", "name")) or ""
    return ObjectRef(api, kind, name, y.scalar(y.get(fc, "metadata", "namespace")))


def _config_path(root: y.MappingNode, name: str) -> str:
    kind = y.scalar(y.get(root, "functionConfig", "kind"))
    prefix = "data" if kind == "ConfigMap" else "spec"
    return f"{prefix}.{name}" if name else prefix


def _input_result(exc: CapzWiError, selected: _Items | None) -> Result:
    res = selected.at(exc.pos, None) if selected is not None else None
    msg = exc.message + (f"; {exc.hint}" if exc.hint else "")
    return Result(
        msg, "error", ref=res.ref if res else None, path=exc.pos.path if exc.pos else "", file=_file_of(res),
        where=f"{exc.pos}" if exc.pos and res is None else "",
    )


def _finding_result(f: Finding, selected: _Items) -> Result:
    res = selected.at(f.pos, f.object)
    msg = _krm_words(f.message + (f"; {f.hint}" if f.hint else ""))
    return Result(msg, f.severity, ref=f.object, path=f.pos.path if f.pos else "", file=_file_of(res), rule=f.rule)


def _change_message(c: Change) -> str:
    if c.op == "remove":
        return "removed"
    if c.op == "insert":
        return f"added {_short(c.new)}"
    return f"set to {_short(c.new)}" if c.old is None else f"changed from {_short(c.old)} to {_short(c.new)}"


def _short(value: Any) -> str:
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _krm_words(message: str) -> str:
    """Name functionConfig fields where the core's messages name CLI flags (``--prune-secret``)."""
    # the function reads no environment variables: drop the CLI's "(or export AZURE_...)" advice
    message = re.sub(r" \(or export [^)]*\)", "", message)
    if "--" not in message:
        return message
    defaults = Options()
    for name, key in ALIASES.items():
        flag = "--" + name.replace("_", "-")
        if flag in message:
            boolean = isinstance(getattr(defaults, name), bool)
            message = message.replace(flag, f"{key}: true" if boolean else key)
    return message


def _change_results(result: TransformResult, selected: _Items) -> list[Result]:
    out = []
    for c in result.changes:
        res = selected.at(c.pos, c.object)
        out.append(
            Result(
                _change_message(c), "info", ref=c.object, path=c.path, current=c.old, proposed=c.new,
                file=_file_of(res), rule=c.rule,
            )
        )
    for ref in result.removed:
        res = selected.at(None, ref)
        out.append(Result("removed the object", "info", ref=ref, file=_file_of(res)))
    return out


def _check(selected: _Items, opts: Options) -> list[Result]:
    """``mode: check``: the findings of ``capz_wi.check`` as results, nothing edited.

    The check engine reads text; it gets the selected items as a JSON stream, so its positions are not the
    ResourceList's: results are matched back to the items by object and keep the field paths.
    """
    import json

    from capz_wi import check

    source = "".join("---\n" + json.dumps(_engine._to_json(r.node)) + "\n" for r in selected.resources)
    try:
        found = check(source, opts, file=FILE)
    except InputError as exc:  # its position is in the JSON stream above, not in the ResourceList: drop it
        raise InputError(exc.message, None, exc.hint) from None
    out = []
    for f in found.findings:
        res = selected.at(None, f.object)
        msg = f.message + (f"; {f.hint}" if f.hint else "")
        tags = {"rule": f.rule, **({"code": f.code} if f.code else {})}
        out.append(
            Result(msg, f.severity, ref=f.object, path=f.pos.path if f.pos else "", file=_file_of(res), tags=tags)
        )
    return out


# ---------------------------------------------------------------------------------------------------------------
# Output


def _finish(stream: y.Stream, root: y.MappingNode, text: str, results: list[Result]) -> Output:
    code = 1 if any(r.severity == "error" for r in results) else 0
    rendered = [r.as_dict() for r in results]
    if root.flow_style:
        # JSON (or flow YAML) in: the runners need block YAML out, so re-render the whole list (JSON has no
        # comments to keep).
        edited = _engine.load(text, FILE, HARD_LIMIT).docs[0].root
        assert edited is not None
        data = _engine._to_json(edited)
        data["results"] = rendered
        return Output(render_block(data), code, results)
    return Output(_splice_results(stream, root, text, rendered), code, results)


def _splice_results(stream: y.Stream, root: y.MappingNode, text: str, results: list[dict[str, Any]]) -> str:
    """Put ``results:`` into the (edited) ResourceList text: replace the old key or append one at the end."""
    from capz_wi._edits import _Text

    x = _Text(stream)
    nl = stream.newline
    delta = len(text) - len(stream.text)  # all edits lie inside `items`; offsets after it shift by delta
    items = y.own_pair(root, "items")
    items_end = x.after_line(x._value_end(*items)) if items else 0

    def shift(offset: int) -> int:
        return offset + delta if items and offset >= items_end else offset

    indent = root.value[0][0].start_mark.column if root.value else 0
    block = indent * " " + "results:"
    block += (nl + render_block(results, indent, nl).rstrip(nl)) if results else " []"
    block += nl
    old = y.own_pair(root, "results")
    if old is not None:
        k, v = old
        start, end = x.line_start(k.start_mark.index), x.after_line(x._value_end(k, v))
        start, end = shift(start), shift(end)
        return text[:start] + block + text[end:]
    at = shift(x.after_line(x.content_end(root)))
    head = text[:at]
    if head and not head.endswith("\n"):
        head += nl
    return head + block + text[at:]


def _fatal(results: list[Result]) -> Output:
    """The input is unusable: a ResourceList with no items and the error (exit 1: the runners discard items)."""
    data = {"apiVersion": API_VERSION, "kind": "ResourceList", "items": [], "results": [r.as_dict() for r in results]}
    return Output(render_block(data), 1, results)


def render_block(value: Any, indent: int = 0, nl: str = "\n") -> str:
    """Block YAML for plain data: no anchors, ``null`` for None, strings quoted when YAML 1.1/1.2 would misread them."""
    lines: list[str] = []
    _emit(value, indent, lines)
    return nl.join(lines) + nl


#: Results repeat the same keys, kinds, paths and IDs thousands of times on big lists; quoting each means asking
#: two YAML resolvers, so remember the answers (1,400 results: 0.8 s -> 0.05 s).
_render_str = lru_cache(maxsize=8192)(y.render_scalar)


def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, dict):
        return "{}"
    if isinstance(v, list):
        return "[]"
    return _render_str(str(v))


def _emit(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for k, v in value.items():
            key = pad + _render_str(str(k)) + ":"
            if isinstance(v, dict) and v:
                out.append(key)
                _emit(v, indent + 2, out)
            elif isinstance(v, list) and v:
                out.append(key)
                _emit(v, indent, out)
            else:
                out.append(key + " " + _scalar(v))
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, (dict, list)) and v:
                sub: list[str] = []
                _emit(v, indent + 2, sub)
                sub[0] = pad + "- " + sub[0][indent + 2 :]
                out.extend(sub)
            else:
                out.append(pad + "- " + _scalar(v))
    else:
        out.append(pad + _scalar(value))


# ---------------------------------------------------------------------------------------------------------------
# Entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Console script ``capz-wi-krm``: ResourceList on stdin, ResourceList on stdout, errors on stderr."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if args and args[0] == "--version":
        from capz_wi import __version__

        sys.stdout.write(f"capz-wi-krm {__version__}\n")
        return 0
    try:
        out = process(sys.stdin.buffer.read())
    except KeyboardInterrupt:
        sys.stderr.write("capz-wi-krm: interrupted\n")
        return 130
    except Exception as exc:  # a bug: still one ResourceList on stdout, one line on stderr, exit 1
        msg = f"internal error: {type(exc).__name__}; please report it"
        out = _fatal([Result(msg, "error", where="capz-wi-krm")])
    for line in out.stderr:
        sys.stderr.write(line + "\n")
    try:
        sys.stdout.buffer.write(out.text.encode("utf-8"))
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        return 1
    return out.exit_code


if __name__ == "__main__":
    sys.exit(main())
