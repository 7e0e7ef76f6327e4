"""Make AzureClusterIdentity ``spec.allowedNamespaces`` admit every namespace that references the identity.

CAPZ semantics: absent or ``null`` admits **no** namespace, ``{}`` admits all, ``list`` and ``selector`` are ORed.
Before: no ``allowedNamespaces`` (or ``null``)   After: ``allowedNamespaces: {list: [<referencing namespaces>]}``
(the identity's own namespace when nothing references it). A ``list`` is widened with the missing namespaces;
``{}`` is left alone; nothing the user allowed is ever narrowed, and ``null`` is never written.
"""

from __future__ import annotations

from capz_wi import _yamlio as y
from capz_wi._document import INFRA_GROUP, Resource
from capz_wi._edits import InsertItem, SetField
from capz_wi._options import Options
from capz_wi.rules._base import Context, Match, Plan

ID = "allowed-namespaces"
MATCH = Match(INFRA_GROUP, ("AzureClusterIdentity",))


def wanted_namespaces(res: Resource, ctx: Context) -> list[str]:
    found = sorted({r.effective_namespace for r in ctx.referrers(res)})
    return found or [res.effective_namespace]


def admits_all(node: y.Node | None) -> bool:
    return isinstance(node, y.MappingNode) and y.lookup(node, "list") is None and y.lookup(node, "selector") is None


def plan(res: Resource, ctx: Context, opts: Options) -> Plan:
    wanted = wanted_namespaces(res, ctx)
    node = res.get("spec", "allowedNamespaces")
    path = ("spec", "allowedNamespaces")
    if node is None or y.is_null(node) or not isinstance(node, y.MappingNode):
        yield SetField(res, path, {"list": wanted}, res.data(*path))
        return
    if admits_all(node):
        return
    lst = res.get(*path, "list")
    current = res.data(*path, "list")
    current = [c for c in current if isinstance(c, str)] if isinstance(current, list) else []
    missing = [ns for ns in wanted if ns not in current]
    if not missing:
        return
    if isinstance(lst, y.SequenceNode) and lst.value:
        for n, ns in enumerate(missing):
            yield InsertItem(res, (*path, "list", len(lst.value) + n), ns, None)
    else:
        yield SetField(res, (*path, "list"), current + missing, res.data(*path, "list"))
