"""Edits are values; ``apply_edits`` is the only code that writes output.

Each edit names a resource, a path from the resource's root and the old and new values. ``apply_edits`` turns
them into text splices on the original stream at the offsets the parser reported, in the document's own
indentation, sequence and flow style, so every byte outside an edit survives by construction (comments,
quoting, CRLF, a missing final newline), and documents that need no edit are never re-serialised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from capz_wi import _yamlio as y
from capz_wi._document import Resource
from capz_wi._errors import ConflictError, InputError

Path = tuple[str | int, ...]


@dataclass(frozen=True, eq=False)
class Edit:
    """Base of all edits: ``resource``, ``path`` (from the resource root), ``old`` and ``new`` values.

    The kinds below add no fields, so they inherit this frozen dataclass as they are: decorating each again cost
    start-up time on every ``capz-wi transform`` and changed nothing.
    """

    resource: Resource
    path: Path
    new: Any = None
    old: Any = None
    rule: str = ""
    redact: bool = False  # the values are secret material: reports show "<redacted>"

    @property
    def op(self) -> str:
        return {SetField: "set", RemoveField: "remove", InsertItem: "insert", RemoveItem: "remove"}.get(
            type(self), "remove"
        )


class SetField(Edit):
    """Set mapping key ``path[-1]``; missing parents are created."""


class RemoveField(Edit):
    """Remove mapping key ``path[-1]``."""


class InsertItem(Edit):
    """Insert ``new`` at index ``path[-1]`` of the sequence at ``path[:-1]``."""


class RemoveItem(Edit):
    """Remove index ``path[-1]`` of the sequence at ``path[:-1]``."""


class RemoveDocument(Edit):
    """Remove the whole object (its document, or its item in a List)."""


# ---------------------------------------------------------------------------------------------------------------


_PROPS = re.compile(r"(?:[ \t]+[&!][^\s,\[\]{}]*)+")


class _Text:
    """Offsets helpers over the stream text."""

    def __init__(self, stream: y.Stream) -> None:
        self.stream = stream
        self.t = stream.text
        self.nl = stream.newline
        self._styles: dict[int, tuple[int, int]] = {}

    def line_start(self, i: int) -> int:
        return self.t.rfind("\n", 0, i) + 1

    def prefix_blank(self, i: int) -> bool:
        return self.t[self.line_start(i) : i].strip() == ""

    def after_line(self, e: int) -> int:
        """Offset just after the line break ending the line that holds offset ``e`` (len(t) at EOF)."""
        if e > 0 and self.t[e - 1] == "\n":
            return e
        j = self.t.find("\n", e)
        return len(self.t) if j == -1 else j + 1

    def content_end(self, node: y.Node) -> int:
        """Offset just after the last character that belongs to ``node`` (comments excluded)."""
        if isinstance(node, y.ScalarNode):
            e = node.end_mark.index
            if node.style in ("|", ">"):
                while e > node.start_mark.index and self.t[e - 1] in " \t\r\n":
                    e -= 1
            return int(e)
        if getattr(node, "flow_style", False) or not node.value:
            return int(node.end_mark.index)
        if isinstance(node, y.MappingNode):
            k, v = node.value[-1]
            return max(self.content_end(k), self._value_end(k, v))
        return self.content_end(node.value[-1])

    def _value_end(self, k: y.Node, v: y.Node) -> int:
        if v.start_mark.index < k.end_mark.index:  # an alias: the node lives at its anchor
            return self.colon(k) + 1
        if isinstance(v, y.ScalarNode) and v.value == "" and v.style is None:
            return self.colon(k) + 1
        return self.content_end(v)

    def props_end(self, i: int) -> int:
        """Offset after the anchor/tag properties (`` &name !tag``) that follow offset ``i`` on its line."""
        i = min(i, len(self.t))
        m = _PROPS.match(self.t, i)
        return m.end() if m else i

    def colon(self, k: y.Node) -> int:
        i = int(k.end_mark.index)
        while i < len(self.t) and self.t[i] in " \t":
            i += 1
        if i < len(self.t) and self.t[i] == ":":
            return i
        j = self.t.find(":", int(k.end_mark.index))
        return j if j != -1 else int(k.end_mark.index)

    def style(self, doc: y.Doc) -> tuple[int, int]:
        """(mapping indent step, sequence indent) used by the document; (2, 0) when it shows none."""
        if doc.index in self._styles:
            return self._styles[doc.index]
        step = seq = -1
        todo: list[y.Node] = [doc.root] if doc.root is not None else []
        seen = 0
        while todo and seen < 500 and (step < 0 or seq < 0):
            node = todo.pop(0)
            seen += 1
            if isinstance(node, y.MappingNode) and not node.flow_style:
                for k, v in node.value:
                    if v.start_mark.index < k.end_mark.index:
                        continue
                    if isinstance(v, y.MappingNode) and not v.flow_style and v.value and step < 0:
                        d = v.value[0][0].start_mark.column - k.start_mark.column
                        if d > 0:
                            step = d
                    if isinstance(v, y.SequenceNode) and not v.flow_style and v.value and seq < 0:
                        dash = self.t.rfind("-", self.line_start(v.value[0].start_mark.index), v.value[0].start_mark.index)
                        if dash != -1:
                            seq = dash - self.line_start(dash) - k.start_mark.column
                    todo.append(v)
            elif isinstance(node, y.SequenceNode):
                todo.extend(node.value)
        result = (step if step > 0 else 2, seq if seq >= 0 else 0)
        self._styles[doc.index] = result
        return result


def _render_key(key: str) -> str:
    return y.render_scalar(key)


def _render_flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{y.render_scalar(str(k), flow=True)}: {_render_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_render_flow(v) for v in value) + "]"
    if value is None:
        return "null"
    return y.render_scalar(str(value), flow=True)


def _render_block(value: Any, indent: int, step: int, seq: int, nl: str) -> str:
    """Text that follows ``key:`` for ``value``, with nested keys at ``indent + step``."""
    if isinstance(value, dict):
        if not value:
            return " {}"
        return "".join(
            nl + " " * (indent + step) + _render_key(str(k)) + ":" + _render_block(v, indent + step, step, seq, nl)
            for k, v in value.items()
        )
    if isinstance(value, list):
        if not value:
            return " []"
        return "".join(nl + " " * (indent + seq) + "-" + _render_item(v, indent + seq + 2, step, seq, nl) for v in value)
    if value is None:
        return " null"
    return " " + y.render_scalar(str(value))


def _render_item(value: Any, col: int, step: int, seq: int, nl: str) -> str:
    """Text that follows ``-`` for a sequence item whose content starts at column ``col``."""
    if isinstance(value, dict) and value:
        parts = []
        for n, (k, v) in enumerate(value.items()):
            lead = " " if n == 0 else nl + " " * col
            parts.append(lead + _render_key(str(k)) + ":" + _render_block(v, col, step, seq, nl))
        return "".join(parts)
    if isinstance(value, (dict, list)):
        return " " + _render_flow(value)
    return " " + (y.render_scalar(str(value)) if value is not None else "null")


def _nest(keys: Path, value: Any) -> Any:
    for k in reversed(keys):
        value = {k: value}
    return value


def _merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    for k, v in more.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = v


class _Splicer:
    def __init__(self, stream: y.Stream) -> None:
        self.x = _Text(stream)
        self.splices: list[tuple[int, int, tuple[int, int], str]] = []  # (start, end, (-indent, seq), text)
        # Missing (or null) parents that edits create, merged per parent so that two edits under one missing
        # ``spec`` write one ``spec:`` and not two (duplicate keys): (mapping id, key) -> (value, res, mapping, path)
        self.created: dict[tuple[int, str], tuple[Any, Resource, y.Node, Path]] = {}
        # Mappings that other edits give new keys: removing their only key must not write ``{}`` there.
        self.gaining: set[int] = set()

    def add(self, start: int, end: int, text: str, indent: int = 0) -> None:
        """Replace ``start:end`` with ``text``. Insertions at one offset go deepest ``indent`` first: a nested
        mapping and its parent can end at the same offset, and the nested one's new lines must come first."""
        if start == end == len(self.x.t) and text.endswith(self.x.nl) and not self.x.t.endswith("\n") and self.x.t:
            text = self.x.nl + text[: -len(self.x.nl)]  # keep a missing final newline missing
        self.splices.append((start, end, (-indent, len(self.splices)), text))

    # -- mapping operations -------------------------------------------------------------------------------------
    def set_field(self, res: Resource, path: Path, new: Any) -> None:
        node: y.Node = res.node
        for i, step in enumerate(path[:-1]):
            if isinstance(step, int):
                if not isinstance(node, y.SequenceNode) or step >= len(node.value):
                    raise InputError(f"cannot set {_dotted(path)}: no item {step}", res.pos(*path[:i]))
                node = node.value[step]
                continue
            pair = y.own_pair(node, step)
            if pair is None or y.is_null(pair[1]):
                rest = _nest(tuple(path[i + 1 :]), new)
                slot = (id(node), step)
                if slot in self.created:
                    _merge(self.created[slot][0], rest)
                else:
                    self.created[slot] = (rest, res, node, path[: i + 1])
                return
            node = pair[1]
        key = path[-1]
        assert isinstance(key, str)
        self._set_in_mapping(res, node, key, new, path)

    def _set_in_mapping(self, res: Resource, m: y.Node, key: str, new: Any, path: Path) -> None:
        if not isinstance(m, y.MappingNode):
            raise InputError(f"cannot set {_dotted(path)}: its parent is not a mapping", res.pos(*path[:-1]))
        pair = y.own_pair(m, key)
        if pair is not None:
            self._replace_value(res, m, pair[0], pair[1], new, path)
        else:
            self._insert_key(res, m, key, new)

    def _replace_value(self, res: Resource, m: y.MappingNode, k: y.Node, v: y.Node, new: Any, path: Path) -> None:
        x = self.x
        if v.start_mark.index < k.end_mark.index:
            raise InputError(
                f"cannot edit {_dotted(path)}: its value is a YAML alias",
                res.pos(*path),
                "write the value out instead of using an alias",
            )
        if isinstance(v, y.ScalarNode) and not y.is_null(v) and v.style not in ("|", ">") and not isinstance(new, (dict, list)):
            self.add(v.start_mark.index, v.end_mark.index, y.render_scalar(str(new), flow=bool(m.flow_style), style=v.style))
            return
        start = x.props_end(x.colon(k) + 1)  # an anchor or tag on the old value stays, on the new one
        end = max(start, x._value_end(k, v))
        if m.flow_style:
            self.add(start, end, " " + _render_flow(new))
        else:
            step, seq = x.style(res.doc)
            # the value sits below its key: it goes before keys inserted after the key's mapping at that offset
            self.add(start, end, _render_block(new, k.start_mark.column, step, seq, x.nl), k.start_mark.column + 1)

    def _insert_key(self, res: Resource, m: y.MappingNode, key: str, new: Any) -> None:
        x = self.x
        if m.flow_style:
            if not m.value:
                self.add(m.start_mark.index + 1, m.start_mark.index + 1, f"{_render_key(key)}: {_render_flow(new)}")
            else:
                k, v = m.value[-1]
                e = x._value_end(k, v)
                self.add(e, e, f", {y.render_scalar(key, flow=True)}: {_render_flow(new)}")
            return
        first = m.value[0][0]
        indent = first.start_mark.column
        step, seq = x.style(res.doc)
        text = " " * indent + _render_key(key) + ":" + _render_block(new, indent, step, seq, x.nl) + x.nl
        keys = [str(k.value) for k, _ in m.value if isinstance(k, y.ScalarNode)]
        at = None
        if keys == sorted(keys) and len(keys) > 1:
            later = [n for n, kk in enumerate(keys) if kk > key]
            if later:
                n = later[0]
                if n > 0:
                    pk, pv = m.value[n - 1]
                    at = x.after_line(x._value_end(pk, pv))
                elif x.prefix_blank(first.start_mark.index):
                    at = x.line_start(first.start_mark.index)
        if at is None:
            at = x.after_line(x.content_end(m))
        self.add(at, at, text, indent)

    def remove_field(self, res: Resource, path: Path) -> None:
        m = res.get(*path[:-1])
        key = path[-1]
        pair = y.own_pair(m, str(key))
        if pair is None or not isinstance(m, y.MappingNode):
            return
        k, v = pair
        x = self.x
        idx = next(i for i, (kk, _) in enumerate(m.value) if kk is k)
        if m.flow_style:
            if idx + 1 < len(m.value):
                self.add(k.start_mark.index, m.value[idx + 1][0].start_mark.index, "")
            elif idx > 0:
                pk, pv = m.value[idx - 1]
                self.add(x._value_end(pk, pv), x._value_end(k, v), "")
            else:
                self.add(k.start_mark.index, x._value_end(k, v), "")
            return
        if len(m.value) == 1 and not (id(m) in self.gaining and x.prefix_blank(k.start_mark.index)):
            if len(path) < 2:
                raise InputError(f"cannot remove {_dotted(path)}: it is the only field", res.pos(*path))
            self.set_field(res, path[:-1], {})
            return
        if x.prefix_blank(k.start_mark.index):
            self.add(x.line_start(k.start_mark.index), x.after_line(x._value_end(k, v)), "")
        else:  # the first key of a `- key: value` item
            self.add(k.start_mark.index, m.value[idx + 1][0].start_mark.index, "")

    # -- sequence operations ------------------------------------------------------------------------------------
    def _dash(self, item: y.Node) -> int:
        x = self.x
        dash = x.t.rfind("-", x.line_start(item.start_mark.index), item.start_mark.index)
        if dash != -1:
            return dash
        # `- # head comment` with the item on the next lines (how kpt writes items that have a head comment):
        # walk back over comment and blank lines to the dash.
        end = x.line_start(item.start_mark.index) - 1
        while end > 0:
            start = x.line_start(end)
            text = x.t[start:end].rstrip("\r")
            body = text.lstrip()
            if body == "-" or body.startswith(("- ", "-\t", "-#")):
                return start + len(text) - len(body)
            if body and not body.startswith("#"):
                return -1
            end = start - 1
        return -1

    def insert_item(self, res: Resource, path: Path, new: Any) -> None:
        s = res.get(*path[:-1])
        index = path[-1]
        assert isinstance(index, int)
        x = self.x
        if s is None or y.is_null(s):
            self.set_field(res, path[:-1], [new])
            return
        if not isinstance(s, y.SequenceNode):
            raise InputError(f"cannot insert into {_dotted(path[:-1])}: not a list", res.pos(*path[:-1]))
        items = s.value
        if s.flow_style:
            if not items:
                self.add(s.start_mark.index + 1, s.start_mark.index + 1, _render_flow(new))
            elif index < len(items):
                at = items[index].start_mark.index
                self.add(at, at, _render_flow(new) + ", ")
            else:
                e = x.content_end(items[-1])
                self.add(e, e, ", " + _render_flow(new))
            return
        step, seq = x.style(res.doc)
        ref = items[min(index, len(items) - 1)]
        dash = self._dash(ref)
        if dash == -1 or not x.prefix_blank(dash):
            raise InputError(f"cannot insert into {_dotted(path[:-1])}: unusual list layout", res.pos(*path[:-1]))
        col = dash - x.line_start(dash)
        text = " " * col + "-" + _render_item(new, col + 2, step, seq, x.nl) + x.nl
        at = x.line_start(dash) if index < len(items) else x.after_line(x.content_end(items[-1]))
        self.add(at, at, text, col + 1)

    def remove_item(self, res: Resource, path: Path) -> None:
        s = res.get(*path[:-1])
        index = path[-1]
        assert isinstance(index, int)
        if not isinstance(s, y.SequenceNode) or index >= len(s.value):
            return
        x = self.x
        items = s.value
        item = items[index]
        if s.flow_style:
            if index + 1 < len(items):
                self.add(item.start_mark.index, items[index + 1].start_mark.index, "")
            elif index > 0:
                self.add(x.content_end(items[index - 1]), x.content_end(item), "")
            else:
                self.add(item.start_mark.index, x.content_end(item), "")
            return
        dash = self._dash(item)
        if dash == -1 or not x.prefix_blank(dash):
            raise InputError(f"cannot remove from {_dotted(path[:-1])}: unusual list layout", res.pos(*path))
        self.add(x.line_start(dash), x.after_line(x.content_end(item)), "")

    def remove_document(self, res: Resource) -> None:
        x = self.x
        if res.item is not None:
            self.remove_item(_root_resource(res), ("items", res.item))
            return
        docs = res.stream.docs
        i = res.doc.index  # its position in docs (list.index compared dataclasses: quadratic with many removals)
        if not (0 <= i < len(docs) and docs[i] is res.doc):
            i = next(n for n, d in enumerate(docs) if d is res.doc)
        prev_end = 0
        for j in range(i - 1, -1, -1):
            prev_root = docs[j].root
            if prev_root is not None:
                prev_end = x.after_line(x.content_end(prev_root))
                break
        end = x.after_line(x.content_end(res.node))
        if i == 0 or prev_end == 0:
            # keep what follows the document (its `---` separator belongs to the next document)
            nxt = x.t.find("---", end)
            end = x.after_line(nxt + 3) if nxt != -1 and x.prefix_blank(nxt) else end
            self.add(0 if prev_end == 0 else prev_end, end, "")
        else:
            self.add(prev_end, end, "")

    def result(self) -> str:
        t = self.x.t
        out: list[str] = []
        pos = 0
        last_end = -1
        last_deleted = False
        for start, end, _, text in sorted(self.splices, key=lambda s: (s[0], s[1] > s[0], s[2])):
            if start < last_end:
                if not (text == "" and last_deleted and end > start):
                    raise ConflictError("two edits overlap in one document", None, "report this as a bug")
                # Two removals overlap (adjacent flow items, ``[a, b, c]`` losing b and c): remove both, and the
                # separator left before a closing bracket.
                pos = last_end = max(last_end, end)
                if t[pos:].lstrip(" \t\r\n")[:1] in ("]", "}") and out:
                    out[-1] = re.sub(r",[ \t]*$", "", out[-1]) if out[-1] else out[-1]
                    if not out[-1] and len(out) > 1:
                        out[-2] = re.sub(r",[ \t]*$", "", out[-2])
                continue
            if start > pos:
                out.append(t[pos:start])
            out.append(text)
            pos = max(pos, end)
            if end > start:
                last_end = end
                last_deleted = text == ""
        out.append(t[pos:])
        return "".join(out)


def _root_resource(res: Resource) -> Resource:
    assert res.doc.root is not None and isinstance(res.doc.root, y.MappingNode)
    return Resource(res.stream, res.doc, res.doc.root)


def _dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


def apply_edits(stream: y.Stream, edits: list[Edit]) -> str:
    """Return the stream text with ``edits`` applied. Raises ConflictError when two edits overlap."""
    if not edits:
        return stream.text
    sp = _Splicer(stream)
    for e in edits:
        if isinstance(e, SetField) and e.path:
            parent = e.resource.get(*e.path[:-1])
            if isinstance(parent, y.MappingNode) and y.own_pair(parent, str(e.path[-1])) is None:
                sp.gaining.add(id(parent))
    for e in edits:
        if isinstance(e, SetField):
            sp.set_field(e.resource, e.path, e.new)
        elif isinstance(e, RemoveField):
            sp.remove_field(e.resource, e.path)
        elif isinstance(e, InsertItem):
            sp.insert_item(e.resource, e.path, e.new)
        elif isinstance(e, RemoveItem):
            sp.remove_item(e.resource, e.path)
        elif isinstance(e, RemoveDocument):
            sp.remove_document(e.resource)
    for value, res, node, path in sp.created.values():
        sp._set_in_mapping(res, node, str(path[-1]), value, path)
    return sp.result()
