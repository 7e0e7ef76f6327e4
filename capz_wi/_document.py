"""Read-only views of the Kubernetes objects in a stream.

A ``Resource`` is one object: a whole document, or an item of a ``kind: List`` document (or of a KRM
``ResourceList``). Rules read resources through it; they never mutate nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from capz_wi import _yamlio as y
from capz_wi._errors import NotAResourceError, SourcePos

INFRA_GROUP = "infrastructure.cluster.x-k8s.io"


@dataclass(frozen=True)
class ObjectRef:
    """Identifies an object in messages and reports (KRM ``resourceRef``)."""

    api_version: str
    kind: str
    name: str
    namespace: str | None = None

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name}"

    def as_dict(self) -> dict[str, str]:
        d = {"apiVersion": self.api_version, "kind": self.kind, "name": self.name}
        if self.namespace:
            d["namespace"] = self.namespace
        return d


@dataclass(eq=False)
class Resource:
    """One Kubernetes object in a stream.

    Identity fields (``kind``, ``name``, ``ref``...) are computed once and cached: the nodes are never mutated, and
    every rule reads them for every object (recomputing them dominated the run time on large streams).
    """

    stream: y.Stream
    doc: y.Doc
    node: y.MappingNode
    item: int | None = None  # position inside a List / ResourceList, None for a top-level document

    @cached_property
    def api_version(self) -> str:
        return y.scalar(y.get(self.node, "apiVersion")) or ""

    @cached_property
    def kind(self) -> str:
        return y.scalar(y.get(self.node, "kind")) or ""

    @cached_property
    def group(self) -> str:
        av = self.api_version
        return av.split("/", 1)[0] if "/" in av else ""

    @cached_property
    def name(self) -> str:
        return y.scalar(y.get(self.node, "metadata", "name")) or ""

    @cached_property
    def namespace(self) -> str | None:
        return y.scalar(y.get(self.node, "metadata", "namespace"))

    @cached_property
    def effective_namespace(self) -> str:
        """The namespace the object lands in; objects without one go to ``default`` (kubectl's default)."""
        return self.namespace or "default"

    @cached_property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.api_version, self.kind, self.name, self.namespace)

    def is_infra(self, *kinds: str) -> bool:
        return self.group == INFRA_GROUP and self.kind in kinds

    def get(self, *path: str | int) -> y.Node | None:
        return y.get(self.node, *path)

    def value(self, *path: str | int) -> str | None:
        return y.scalar(self.get(*path))

    def data(self, *path: str | int) -> Any:
        return y.to_python(self.get(*path))

    def pos(self, *path: str | int) -> SourcePos:
        """Position of the field at ``path``, or of its nearest existing ancestor."""
        dotted = ".".join(str(p) for p in path)
        for cut in range(len(path), -1, -1):
            node = self.get(*path[:cut])
            if node is not None:
                if cut and isinstance(path[cut - 1], str):
                    parent = self.get(*path[: cut - 1])
                    pair = y.lookup(parent, str(path[cut - 1]))
                    if pair is not None:
                        return self.stream.pos(pair[0], self.doc.index, dotted)
                return self.stream.pos(node, self.doc.index, dotted)
        return self.stream.pos(self.node, self.doc.index, dotted)


def resources(stream: y.Stream, *, require_kind: bool = True) -> Iterator[Resource]:
    """Every object of the stream, flattening ``kind: List`` documents into their items."""
    for doc in stream.docs:
        root = doc.root
        if root is None or y.is_null(root):
            continue  # an empty document or only comments
        if not isinstance(root, y.MappingNode):
            if require_kind:
                raise NotAResourceError(
                    "document is not a Kubernetes object (expected a mapping with apiVersion and kind)",
                    stream.pos(root, doc.index),
                    "remove it or wrap the objects in a `kind: List`",
                )
            continue
        res = Resource(stream, doc, root)
        if res.kind == "List" and res.api_version == "v1" and isinstance(res.get("items"), y.SequenceNode):
            items = res.get("items")
            assert isinstance(items, y.SequenceNode)
            for i, item in enumerate(items.value):
                if not isinstance(item, y.MappingNode):
                    raise NotAResourceError(
                        "List item is not a Kubernetes object", stream.pos(item, doc.index), "fix the List items"
                    )
                sub = Resource(stream, doc, item, i)
                _check_resource(sub, require_kind)
                yield sub
            continue
        _check_resource(res, require_kind)
        yield res


def _check_resource(res: Resource, require_kind: bool) -> None:
    if require_kind and (not res.api_version or not res.kind):
        missing = "apiVersion" if not res.api_version else "kind"
        raise NotAResourceError(
            f"document has no {missing}", res.stream.pos(res.node, res.doc.index), "every object needs apiVersion and kind"
        )
