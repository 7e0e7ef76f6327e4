"""What every rule module shares: ``Match`` (which objects it plans on) and ``Context`` (a read-only index of
every object in the stream, for rules that look across documents)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi._edits import Edit
from capz_wi._options import Options
from capz_wi._report import Finding

Plan = Iterator["Edit | Finding"]

#: Kinds whose ``identityRef`` points at an AzureClusterIdentity, with the path of their spec.
IDENTITY_REFERRERS: dict[str, tuple[str, ...]] = {
    "AzureCluster": ("spec",),
    "AzureManagedControlPlane": ("spec",),
    "AzureClusterTemplate": ("spec", "template", "spec"),
    "AzureManagedControlPlaneTemplate": ("spec", "template", "spec"),
}
#: Machine kinds and where their identity fields live (AzureMachinePool: directly under spec).
MACHINE_SPEC: dict[str, tuple[str, ...]] = {
    "AzureMachineTemplate": ("spec", "template", "spec"),
    "AzureMachinePool": ("spec",),
    "AzureMachine": ("spec",),
}
CP_GROUP = "controlplane.cluster.x-k8s.io"


@dataclass(frozen=True)
class Match:
    """Selects objects by API group and kind."""

    group: str
    kinds: tuple[str, ...]

    def __call__(self, res: Resource) -> bool:
        return res.kind in self.kinds and res.group == self.group


class Rule(Protocol):
    ID: str
    MATCH: Callable[[Resource], bool]

    def plan(self, res: Resource, ctx: Context, opts: Options) -> Plan: ...


class Context:
    """Read-only index of all objects: identity referrers, machine roles, Secret users."""

    def __init__(self, objects: list[Resource]) -> None:
        self.objects = objects
        self._roles: dict[tuple[str, str, str], str] | None = None
        self._referrers: dict[tuple[str, str], list[Resource]] | None = None
        self._cache: dict[str, Any] = {}
        self._by_key: dict[tuple[str, str, str], list[Resource]] | None = None

    def cache(self, key: str, build: Callable[[], Any]) -> Any:
        """A value computed once per stream (rules keep no state of their own)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def find(self, kind: str, name: str, namespace: str, *, group: str | None = None) -> Resource | None:
        """The first object (in stream order) with this kind, name and namespace (and group, when given).

        Looks up an index built on first use: a scan per call made rules that call it per object quadratic.
        """
        if self._by_key is None:
            self._by_key = {}
            for r in self.objects:
                self._by_key.setdefault((r.kind, r.name, r.effective_namespace), []).append(r)
        for r in self._by_key.get((kind, name, namespace), ()):
            if group is None or r.group == group:
                return r
        return None

    # -- identities ------------------------------------------------------------------------------------------
    def referrers(self, identity: Resource) -> list[Resource]:
        """Objects whose identityRef resolves to ``identity`` (ref namespace, else the referrer's own)."""
        if self._referrers is None:
            self._referrers = {}
            for r in self.objects:
                spec = IDENTITY_REFERRERS.get(r.kind)
                if spec is None or r.group != INFRA_GROUP:
                    continue
                name = r.value(*spec, "identityRef", "name")
                if not name:
                    continue
                ns = r.value(*spec, "identityRef", "namespace") or r.effective_namespace
                self._referrers.setdefault((ns, name), []).append(r)
        return self._referrers.get((identity.effective_namespace, identity.name), [])

    # -- machine roles ---------------------------------------------------------------------------------------
    def role(self, machine: Resource) -> str | None:
        """``control-plane`` or ``worker`` from what references the machine object; None when nothing does."""
        if self._roles is None:
            self._roles = {}
            for r in self.objects:
                for kind, name, ns, role in _refs(r):
                    self._roles.setdefault((kind, ns, name), role)
        found = self._roles.get((machine.kind, machine.effective_namespace, machine.name))
        if found is None and machine.kind == "AzureMachine":
            labels = machine.data("metadata", "labels") or {}
            if isinstance(labels, dict) and "cluster.x-k8s.io/control-plane" in labels:
                return "control-plane"
        return found


def _refs(r: Resource) -> Iterator[tuple[str, str, str, str]]:
    """(kind, name, namespace, role) of the machine infrastructure objects ``r`` references."""
    ns = r.effective_namespace

    def ref(role: str, *path: str | int) -> Iterator[tuple[str, str, str, str]]:
        kind, name = r.value(*path, "kind"), r.value(*path, "name")
        if kind and name:
            yield kind, name, r.value(*path, "namespace") or ns, role

    k = r.kind
    if k in ("KubeadmControlPlane", "RKE2ControlPlane", "AzureMachinePoolMachine") or (
        r.group == CP_GROUP and k.endswith("ControlPlane")
    ):
        yield from ref("control-plane", "spec", "machineTemplate", "infrastructureRef")
        yield from ref("control-plane", "spec", "machineTemplate", "spec", "infrastructureRef")
        yield from ref("control-plane", "spec", "infrastructureRef")
    elif k in ("MachineDeployment", "MachineSet", "MachinePool"):
        yield from ref("worker", "spec", "template", "spec", "infrastructureRef")
    elif k == "Machine":
        labels = r.data("metadata", "labels") or {}
        role = "control-plane" if isinstance(labels, dict) and "cluster.x-k8s.io/control-plane" in labels else "worker"
        yield from ref(role, "spec", "infrastructureRef")
    elif k == "ClusterClass":
        yield from ref("control-plane", "spec", "controlPlane", "machineInfrastructure", "ref")
        yield from ref("control-plane", "spec", "controlPlane", "machineInfrastructure", "templateRef")
        for pool in ("machineDeployments", "machinePools"):
            items = r.data("spec", "workers", pool) or []
            for i in range(len(items) if isinstance(items, list) else 0):
                yield from ref("worker", "spec", "workers", pool, i, "template", "infrastructure", "ref")
                yield from ref("worker", "spec", "workers", pool, i, "infrastructure", "templateRef")
