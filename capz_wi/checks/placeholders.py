"""A value still holds an unresolved ``${VAR}`` placeholder.

A manifest about to be applied should have every clusterctl variable substituted; a clusterctl flavor
template legitimately keeps them (``--allow-placeholders``, or ``templateMode`` in the options, silences this).
One finding per scalar, at the scalar.

Triggers::

    kind: AzureClusterIdentity
    spec:
      clientID: ${AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY}
"""

from __future__ import annotations

from collections.abc import Iterator

from capz_wi import _yamlio as y
from capz_wi._document import Resource
from capz_wi._errors import SourcePos
from capz_wi._options import PLACEHOLDER
from capz_wi._report import Finding
from capz_wi.checks._base import CheckContext, Findings

ID = "placeholder"
CODE = "CWI013"
SEVERITY = "warning"
HINT = "substitute the variables (clusterctl generate cluster, envsubst), or pass --allow-placeholders for a template"


def MATCH(res: Resource) -> bool:  # noqa: N802 - every object
    return True


def check(res: Resource, ctx: CheckContext) -> Findings:
    if ctx.allow_placeholders:
        return
    for node, path in _scalars(res.node, ()):
        names = sorted(set(PLACEHOLDER.findall(str(node.value))))
        if names:
            dotted = ".".join(str(p) for p in path)
            yield Finding("warning", f"unresolved placeholder {', '.join(names)}", res.ref, _at_first(res, node, dotted))


def _at_first(res: Resource, node: y.ScalarNode, dotted: str) -> SourcePos:
    """The position of the first ``${`` in the scalar's source text (inside a block scalar, its own line)."""
    pos = res.stream.pos(node, res.doc.index, dotted)
    text = res.stream.text
    off = text.find("${", node.start_mark.index, node.end_mark.index)
    if off < 0:  # written with escapes in a quoted scalar: keep the scalar's start
        return pos
    line = text.count("\n", 0, off) + 1
    return SourcePos(pos.file, line, off - (text.rfind("\n", 0, off) + 1) + 1, pos.index, dotted)


def _scalars(node: y.Node, path: tuple[str | int, ...]) -> Iterator[tuple[y.ScalarNode, tuple[str | int, ...]]]:
    if isinstance(node, y.MappingNode):
        for k, v in y.pairs(node):
            if PLACEHOLDER.search(str(k.value)):
                yield k, (*path, str(k.value))
            yield from _scalars(v, (*path, str(k.value)))
    elif isinstance(node, y.SequenceNode):
        for i, c in enumerate(node.value):
            yield from _scalars(c, (*path, i))
    elif isinstance(node, y.ScalarNode) and "${" in str(node.value):
        yield node, path
