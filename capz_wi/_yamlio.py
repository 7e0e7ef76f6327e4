"""The only module that talks to ruamel.yaml.

It decodes bytes, splits a stream into documents and composes each one into nodes that carry their exact
character offsets (libyaml, through ruamel.yaml.clib, when available: composing 1 MB takes ~0.15 s). Nothing is
ever constructed into Python objects here, so language-specific tags (``!!python/object/apply``) are inert, and
aliases stay shared nodes, so an alias bomb costs nothing. Everything that writes output splices text at these
offsets (see ``_edits``); no document is re-serialised.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from capz_wi._errors import InputError, InputTooLargeError, NotAResourceError, SourcePos, YamlSyntaxError

try:  # libyaml through ruamel.yaml.clib; the pure-Python composer is the fallback (same nodes, same marks)
    from ruamel.yaml.cyaml import CBaseLoader as _Loader

    FAST = True
except ImportError:  # pragma: no cover - exercised only where the C extension is missing
    from ruamel.yaml.loader import BaseLoader as _Loader  # type: ignore[assignment]

    FAST = False


class _Composer(_Loader):  # type: ignore[misc, unused-ignore]
    """The loader, with the resolver calls made per node reduced to what they return here.

    Nothing is constructed, and the base resolver has no implicit or path resolvers, so ``resolve`` always gives
    the default tag of the node kind; the C composer still called the general Python method (and the path
    resolver hooks) for every node, a fifth of the load time. When resolvers are present, nothing is replaced.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        if not self.yaml_implicit_resolvers and not self.yaml_path_resolvers:
            tags = {
                ScalarNode: self.DEFAULT_SCALAR_TAG,
                SequenceNode: self.DEFAULT_SEQUENCE_TAG,
                MappingNode: self.DEFAULT_MAPPING_TAG,
            }
            self.resolve = lambda kind, value, implicit: tags.get(kind)  # type: ignore[method-assign]
            self.descend_resolver = lambda parent, index: None  # type: ignore[method-assign, assignment]
            self.ascend_resolver = lambda: None  # type: ignore[method-assign]

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Doc",
    "MappingNode",
    "Node",
    "ScalarNode",
    "SequenceNode",
    "Stream",
    "decode",
    "load_stream",
    "render_scalar",
]

#: Default input size limit (bytes); ``--max-bytes`` / ``Options.max_bytes`` raises it.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
#: Nesting deeper than this is refused before composing: the C composer recurses (a segfault near 100,000
#: levels) and so do the node walkers (a RecursionError near 500). Real manifests nest a few dozen levels.
MAX_DEPTH = 200

MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"


@dataclass
class Doc:
    """One YAML document of a stream: its root node (None for an empty document) and its number."""

    index: int
    root: Node | None


@dataclass
class Stream:
    """A decoded stream: the text, the documents, and the file name used in positions."""

    text: str
    file: str
    docs: list[Doc] = field(default_factory=list)
    bom: bool = False

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.text[:4096] else "\n"

    def pos(self, node: Node | None, index: int = 0, path: str = "") -> SourcePos:
        if node is None:
            return SourcePos(self.file, 1, 1, index, path)
        mark = node.start_mark
        return SourcePos(self.file, mark.line + 1, mark.column + 1, index, path)


def decode(data: bytes, file: str = "<stdin>", max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, bool]:
    """Decode UTF-8 input (a BOM is accepted and remembered). Returns (text, had_bom)."""
    if len(data) > max_bytes:
        raise InputTooLargeError(
            f"input is {len(data)} bytes, over the limit of {max_bytes}",
            SourcePos(file, 1, 1),
            "raise it with --max-bytes (maxBytes) if this input is expected",
        )
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise InputError(
            f"invalid UTF-8 byte 0x{data[exc.start]:02x}", SourcePos(file, line, col), "save the file as UTF-8"
        ) from None
    return text, bom


_NUL = re.compile(r"[\x00]")
_LONE_CR = re.compile(r"\r(?!\n)")
#: A block collection starts after indentation and indicators only (``- - ? ``), and each block level costs about a
#: column, so only a line starting with this many of them can hide MAX_DEPTH block levels (half, for margin).
_DEEP_BLOCK = re.compile(r"(?m)^[ \t?:-]{%d}" % (MAX_DEPTH // 2))


#: Composing is safe up to this depth (the C composer overflows the C stack near 100,000 levels): below it the
#: exact depth is measured on the composed nodes, which costs a walk instead of a second parse.
SAFE_COMPOSE_DEPTH = 10_000
_UNSAFE_BLOCK = re.compile(r"(?m)^[ \t?:-]{%d}" % (SAFE_COMPOSE_DEPTH // 2))


def _check_text(text: str, file: str) -> bool:
    """Refuse NUL, a lone CR and nesting deeper than MAX_DEPTH. Returns True when the depth check is deferred to
    the composed nodes (``check_depth``): the input may nest past MAX_DEPTH but cannot crash the composer."""
    m = _NUL.search(text)
    if m:
        before = text[: m.start()]
        line = before.count("\n") + 1
        col = m.start() - (before.rfind("\n") + 1) + 1
        raise InputError("NUL character in input", SourcePos(file, line, col), "YAML text cannot contain NUL bytes")
    # A lone CR is a line break to YAML but not to the splicing code, which counts LF (and keeps CRLF).
    m = _LONE_CR.search(text)
    if m:
        before = text[: m.start()]
        line = before.count("\n") + 1
        col = m.start() - (before.rfind("\n") + 1) + 1
        raise InputError(
            "carriage return (CR) without a line feed", SourcePos(file, line, col), "save the file with LF or CRLF line endings"
        )
    # The C composer recurses once per level and overflows the C stack (a segfault, not a RecursionError) near
    # 100,000 levels, e.g. ``- - - - ...`` in 200 kB. Only input with many brackets or a deep block prefix can
    # nest past MAX_DEPTH; for those, count the depth on the parser's events (iterative, and exact: brackets in
    # comments or strings do not count) before composing. When the input cannot nest anywhere near the crash,
    # the same count is taken on the composed nodes instead (a ResourceList is one document with all the
    # brackets of a package: the event pass cost a third of a KRM function run).
    most = _max_brackets(text)
    if most <= MAX_DEPTH and not _DEEP_BLOCK.search(text):
        return False
    if FAST and most <= SAFE_COMPOSE_DEPTH and not _UNSAFE_BLOCK.search(text):
        return True
    _check_depth(text, file)
    return False


#: A document marker line: the parser ends (or refuses) any flow collection there, so none spans one.
_DOC_MARKER = re.compile(r"(?m)^(?:---|\.\.\.)(?=[ \t\r\n]|$)")


def _max_brackets(text: str) -> int:
    """The most ``[`` and ``{`` between two document markers: a bound on any document's flow nesting.

    Per document, not per stream: a stream of many ordinary documents (a few brackets each) must not pay for the
    event pass of ``_check_depth``, which costs as much as composing.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0
    most = 0
    start = 0
    for m in _DOC_MARKER.finditer(text):
        most = max(most, text.count("[", start, m.start()) + text.count("{", start, m.start()))
        start = m.end()
    return max(most, text.count("[", start) + text.count("{", start))


def _check_depth(text: str, file: str) -> None:
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

    parser = _Loader(text)  # only its parser (iterative in libyaml and in ruamel) is used here
    depth = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    raise InputError(
                        f"nesting deeper than {MAX_DEPTH} levels",
                        SourcePos(file, mark.line + 1, mark.column + 1),
                        "flatten the document; Kubernetes objects never nest this deep",
                    )
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except YAMLError:
        return  # composing stops at the same event and reports it with its position
    finally:
        try:
            parser.dispose()
        except Exception:  # pragma: no cover
            pass


class PausedGC:
    """``with PausedGC():`` keeps the cyclic garbage collector off for a block (and restores its state after).

    Why: composing and planning allocate hundreds of thousands of small objects with no reference cycles, and
    every allocation burst made the collector traverse the whole growing node graph again: loading and planning
    became superlinear in the stream size (2x the objects, 3-4x the time). Reference counting still frees
    everything; only the cycle detector waits.
    """

    def __enter__(self) -> PausedGC:
        self.was_enabled = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.was_enabled:
            gc.enable()


def load_stream(text: str, file: str = "<stdin>", *, bom: bool = False) -> Stream:
    """Compose every document of ``text``. Raises YamlSyntaxError with the parser's 1-based position."""
    deferred = _check_text(text, file)
    stream = Stream(text=text, file=file, bom=bom)
    loader = _Composer(text)
    pause = PausedGC()
    pause.__enter__()
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            stream.docs.append(Doc(index, node))
            index += 1
    except MarkedYAMLError as exc:
        if deferred:  # as before composing: nesting past MAX_DEPTH ahead of the syntax error is reported first
            _check_depth(text, file)
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        pos = SourcePos(file, mark.line + 1, mark.column + 1) if mark else SourcePos(file, 1, 1)
        raise YamlSyntaxError(f"YAML syntax error: {problem}", pos, "fix the YAML at that position") from None
    except YAMLError as exc:
        if deferred:
            _check_depth(text, file)
        raise YamlSyntaxError(f"YAML error: {exc}", SourcePos(file, 1, 1)) from None
    except RecursionError:
        raise InputError("nesting too deep", SourcePos(file, 1, 1), "flatten the document") from None
    finally:
        pause.__exit__()
        try:
            loader.dispose()
        except Exception:  # pragma: no cover - pure loader has no dispose on some versions
            pass
    if deferred:
        for doc in stream.docs:
            check_depth(stream, doc)
    for doc in stream.docs:
        if doc.root is not None:
            check_duplicates(stream, doc)
    if "&" in text and "*" in text:  # only an alias (to an anchor) can repeat a node
        for doc in stream.docs:
            if doc.root is not None:
                check_aliases(stream, doc)
    return stream


def check_depth(stream: Stream, doc: Doc) -> None:
    """Refuse nesting deeper than MAX_DEPTH, counted as ``_check_depth`` counts the parser's events: collections
    in document order, an alias adds no level. Iterative; the first collection past the limit is reported."""
    if doc.root is None or isinstance(doc.root, ScalarNode):
        return
    seen: set[int] = set()
    stack: list[tuple[Node, int]] = [(doc.root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            continue  # a later occurrence is an alias: no collection event there
        seen.add(id(node))
        if depth > MAX_DEPTH:
            mark = node.start_mark
            raise InputError(
                f"nesting deeper than {MAX_DEPTH} levels",
                SourcePos(stream.file, mark.line + 1, mark.column + 1),
                "flatten the document; Kubernetes objects never nest this deep",
            )
        kids = [n for pair in node.value for n in pair] if isinstance(node, MappingNode) else node.value
        stack.extend((c, depth + 1) for c in reversed(kids) if not isinstance(c, ScalarNode))


#: Nodes that aliases may repeat in one document: this many, or ten times the document's own nodes if more.
MAX_ALIAS_NODES = 100_000


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def check_aliases(stream: Stream, doc: Doc) -> None:
    """Refuse a document that refers to itself, or whose aliases repeat more than MAX_ALIAS_NODES nodes.

    Composing keeps an alias as a shared node, so a "billion laughs" costs nothing until something turns nodes
    into data (a rule reading a field, JSON output, a KRM functionConfig), which would then expand it without
    bound; a recursive alias would never end. Counted once per distinct node, iteratively.
    """
    assert doc.root is not None
    sizes: dict[int, int] = {}  # expanded size of each finished node
    open_: set[int] = set()  # nodes on the current path
    stack: list[tuple[Node, bool]] = [(doc.root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        kids = _children(node)
        if done:
            open_.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in kids)
            continue
        if key in sizes:
            continue
        if key in open_:
            raise InputError(
                "recursive alias: a node contains itself",
                stream.pos(node, doc.index),
                "Kubernetes objects cannot be recursive; write the data out instead of aliasing it",
            )
        open_.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in kids if id(c) not in sizes)
    total = sizes[id(doc.root)]
    if total - len(sizes) > max(MAX_ALIAS_NODES, 10 * len(sizes)):
        raise InputError(
            f"aliases expand this document to {total} nodes ({len(sizes)} written)",
            stream.pos(doc.root, doc.index),
            "write the data out instead of aliasing it (this looks like a YAML 'billion laughs')",
        )


def check_duplicates(stream: Stream, doc: Doc) -> None:
    """Refuse duplicate mapping keys: Kubernetes rejects them and which one wins is parser-specific."""
    seen: set[int] = set()
    todo: list[Node] = [doc.root] if doc.root is not None else []
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            names = [k.value for k, _ in node.value if isinstance(k, ScalarNode)]
            if len(set(names)) != len(names):  # rare: find the first duplicate in key order (``<<`` may repeat)
                keys: set[str] = set()
                for k, _ in node.value:
                    if isinstance(k, ScalarNode):
                        if k.value in keys and k.value != "<<":
                            raise InputError(
                                f"duplicate key {k.value!r}",
                                stream.pos(k, doc.index),
                                "remove one of the two; Kubernetes rejects duplicate fields",
                            )
                        keys.add(k.value)
            todo.extend(v for _, v in node.value if not isinstance(v, ScalarNode))
        elif isinstance(node, SequenceNode):
            todo.extend(c for c in node.value if not isinstance(c, ScalarNode))


# ---------------------------------------------------------------------------------------------------------------
# Reading nodes


def is_null(node: Node | None) -> bool:
    return node is None or (
        isinstance(node, ScalarNode)
        and not node.style  # plain: None from ruamel's composer, "" from libyaml's
        and node.tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "?")
        and node.value in ("", "~", "null", "Null", "NULL")
    )


def scalar(node: Node | None) -> str | None:
    """The text of a scalar node, None for anything else (or a null)."""
    if isinstance(node, ScalarNode) and not is_null(node):
        return str(node.value)
    return None


def pairs(node: Node | None) -> Iterator[tuple[ScalarNode, Node]]:
    """Key/value pairs of a mapping, own keys first, then those brought in by merge keys (``<<``)."""
    if not isinstance(node, MappingNode):
        return
    merges: list[Node] = []
    own: set[str] = set()
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == "<<" and not k.style:
            merges.append(v)
            continue
        if isinstance(k, ScalarNode):
            own.add(k.value)
            yield k, v
    for m in merges:
        sources = m.value if isinstance(m, SequenceNode) else [m]
        for src in sources:
            for k, v in pairs(src):
                if k.value not in own:
                    own.add(k.value)
                    yield k, v


def lookup(node: Node | None, key: str) -> tuple[ScalarNode, Node] | None:
    """The pair for ``key`` as :func:`pairs` orders them (own key first, then merged ones).

    Scans the mapping's own pairs directly and falls back to :func:`pairs` only when a merge key is present:
    rules look up a few fields of every object, and the generator cost dominated large streams.
    """
    if not isinstance(node, MappingNode):
        return None
    merged = False
    for k, v in node.value:  # type checks only on a match: a collection key's value is a list, never equal
        kv = k.value
        if kv == "<<" and not k.style and isinstance(k, ScalarNode):
            merged = True
        elif kv == key and isinstance(k, ScalarNode):
            return k, v
    if merged:
        for k, v in pairs(node):
            if k.value == key:
                return k, v
    return None


def own_pair(node: Node | None, key: str) -> tuple[ScalarNode, Node] | None:
    """The pair written in this mapping itself (not inherited through ``<<``)."""
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                return k, v
    return None


def get(node: Node | None, *path: str | int) -> Node | None:
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, SequenceNode) or not (0 <= step < len(node.value)):
                return None
            node = node.value[step]
        else:
            found = lookup(node, step)
            if found is None:
                return None
            node = found[1]
    return node


def to_python(node: Node | None) -> Any:
    """A plain-Python view of a subtree: mappings to dicts, sequences to lists, scalars to str (None for null)."""
    if node is None or is_null(node):
        return None
    if isinstance(node, ScalarNode):
        return str(node.value)
    if isinstance(node, SequenceNode):
        return [to_python(c) for c in node.value]
    return {k.value: to_python(v) for k, v in pairs(node)}


# ---------------------------------------------------------------------------------------------------------------
# Writing scalars

_PLAIN_OK = re.compile(r"^[A-Za-z0-9_$./(][^\s#'\"`]*(?: [^\s#'\"`]+)*$")
_FLOW_BAD = re.compile(r"[,\[\]{}]|:")


@lru_cache(maxsize=4096)
def _implicit_non_string(value: str) -> bool:
    """True when YAML 1.1 or 1.2 would read ``value`` (written plain) as something other than a string.

    Cached: the same few values (an identity ID, ``UserAssigned``) are rendered once per object of a stream.
    """
    return any(_tag(r, value) != "tag:yaml.org,2002:str" for r in _resolvers())


_RESOLVERS: list[Any] = []


def _resolvers() -> list[Any]:
    if not _RESOLVERS:
        from ruamel.yaml.resolver import VersionedResolver

        _RESOLVERS.extend([VersionedResolver(version=(1, 1)), VersionedResolver(version=(1, 2))])
    return _RESOLVERS


def _tag(resolver: Any, value: str) -> str:
    tag = resolver.resolve(ScalarNode, value, (True, False))
    return str(getattr(tag, "value", tag))


def render_scalar(value: str, *, flow: bool = False, style: str | None = None) -> str:
    """Render a string scalar: plain when unambiguous, else in the old node's quote style, else double-quoted."""
    plain_ok = (
        value != ""
        and bool(_PLAIN_OK.match(value))
        and ": " not in value
        and not value.endswith(":")
        and not (flow and _FLOW_BAD.search(value))
        and not _implicit_non_string(value)
    )
    if style in (None, "") and plain_ok:
        return value
    if style == "'" and "\n" not in value and "\r" not in value:
        return "'" + value.replace("'", "''") + "'"
    if style not in ('"', "'") and plain_ok:
        return value
    import json  # here, not at the top: start-up of the plain transform
    return json.dumps(value)
