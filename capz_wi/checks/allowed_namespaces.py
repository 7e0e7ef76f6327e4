"""AzureClusterIdentity ``spec.allowedNamespaces`` does not admit the namespace of a cluster that references it.

CAPZ semantics (``IsClusterNamespaceAllowed``): absent or ``null`` admits **no** namespace, ``{}`` admits all,
``list`` and ``selector`` are ORed, ``list: []`` and ``selector: {}`` match nothing. A selector is evaluated against
a ``Namespace`` object in the input (plus the ``kubernetes.io/metadata.name`` label every namespace carries); with
no such object it cannot be evaluated offline, and the finding is a warning.

Triggers::

    kind: AzureCluster
    metadata: {name: my-cluster, namespace: team-a}
    spec:
      identityRef: {name: cluster-identity, namespace: default}
    ---
    kind: AzureClusterIdentity
    metadata: {name: cluster-identity, namespace: default}
    spec:
      allowedNamespaces:
        list: [default]

Fix: ``capz-wi transform`` adds the referencing namespaces to ``allowedNamespaces.list`` (rule allowed-namespaces).
"""

from __future__ import annotations

from typing import Any

from capz_wi import _yamlio as y
from capz_wi._document import INFRA_GROUP, Resource
from capz_wi.checks._base import CheckContext, Findings, Match, finding

ID = "allowed-namespaces"
CODE = "CWI005"
SEVERITY = "error"
HINT = "run `capz-wi transform` (it adds the namespace to allowedNamespaces.list), or use allowedNamespaces: {}"
MATCH = Match(INFRA_GROUP, ("AzureClusterIdentity",))
PATH = ("spec", "allowedNamespaces")


def check(res: Resource, ctx: CheckContext) -> Findings:
    referrers = ctx.referrers(res)
    node = res.get(*PATH)
    for ns in sorted({r.effective_namespace for r in referrers}):
        who = ", ".join(str(r.ref) for r in referrers if r.effective_namespace == ns)
        verdict = admits(node, ns, ctx)
        if verdict is True:
            continue
        if node is None or y.is_null(node):
            msg = f"allowedNamespaces is {'absent' if node is None else 'null'}, which admits no namespace; {who} in {ns} cannot use this identity"
            yield finding(res, PATH, msg)
        elif verdict is False:
            yield finding(res, PATH, f"allowedNamespaces does not admit namespace {ns} of {who}")
        else:
            yield finding(
                res, (*PATH, "selector"),
                f"cannot tell offline whether allowedNamespaces.selector admits namespace {ns} of {who} "
                "(no Namespace object in the input)", "warning",
            )


def admits(node: y.Node | None, ns: str, ctx: CheckContext) -> bool | None:
    """True/False when ``allowedNamespaces`` admits/refuses ``ns``; None when a selector needs the live cluster."""
    if node is None or not isinstance(node, y.MappingNode):
        return False
    data = y.to_python(node) or {}
    lst, selector = data.get("list"), data.get("selector")
    if lst is None and selector is None:
        return True  # {} admits every namespace
    if isinstance(lst, list) and ns in lst:
        return True
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return False  # no selector, or an empty one: matches nothing in CAPZ
    namespace = ctx.find("Namespace", ns, ns) or next(
        (r for r in ctx.objects if r.kind == "Namespace" and r.api_version == "v1" and r.name == ns), None
    )
    if namespace is None:
        return None
    labels = namespace.data("metadata", "labels") or {}
    labels = dict(labels) if isinstance(labels, dict) else {}
    labels.setdefault("kubernetes.io/metadata.name", ns)
    return matches(selector, labels)


def matches(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """A Kubernetes LabelSelector against a label set (matchLabels AND every matchExpression)."""
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        if not isinstance(expr, dict):
            return False
        key, op, values = str(expr.get("key")), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True
