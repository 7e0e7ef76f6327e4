"""What every check module shares: the ``CheckContext`` (the rules' read-only ``Context`` plus the schemas and the
placeholder switch) and ``finding`` to build a located ``Finding``.

A check module has ``ID`` (kebab-case), ``CODE`` (stable, ``CWI0NN``), ``SEVERITY`` (the usual one), ``HINT``
(how to fix it, naming the ``capz-wi transform`` option that does where one does), ``MATCH`` (which objects it
looks at) and ``check(res, ctx)``, a generator of ``Finding``s. The module docstring is the documentation: its
first line is the title, and it shows an input that triggers the check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from capz_wi._crds import SchemaSet
from capz_wi._document import Resource
from capz_wi._options import PLACEHOLDER
from capz_wi._report import Finding, Severity
from capz_wi.rules._base import IDENTITY_REFERRERS, MACHINE_SPEC, Context, Match

__all__ = ["IDENTITY_REFERRERS", "MACHINE_SPEC", "CheckContext", "Findings", "Match", "finding", "has_placeholder"]

Findings = Iterator[Finding]


class CheckContext(Context):
    """The rules' Context plus what only checks need: the schemas and whether ``${VAR}`` is allowed."""

    def __init__(self, objects: list[Resource], schemas: SchemaSet, *, allow_placeholders: bool) -> None:
        super().__init__(objects)
        self.schemas = schemas
        self.allow_placeholders = allow_placeholders

    def identities(self) -> list[Resource]:
        return [r for r in self.objects if r.is_infra("AzureClusterIdentity")]


def finding(
    res: Resource,
    path: tuple[str | int, ...],
    message: str,
    severity: Severity = "error",
    *,
    at: tuple[str | int, ...] | None = None,
) -> Finding:
    """A finding about the field ``path`` of ``res``, positioned at ``path`` (its nearest existing ancestor when the
    field is absent), or at ``at`` when a sibling shows the problem better."""
    if at is None:
        return Finding(severity, message, res.ref, res.pos(*path))
    p = res.pos(*at)
    return Finding(severity, message, res.ref, replace(p, path=".".join(str(x) for x in path)))


def provider_ids(res: Resource) -> Iterator[tuple[tuple[str | int, ...], str | None]]:
    """``(path, providerID)`` of each ``userAssignedIdentities`` entry of a machine object (None when the entry has
    no string providerID); nothing when the list is absent or not a list."""
    base = MACHINE_SPEC[res.kind]
    entries = res.data(*base, "userAssignedIdentities")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        pid = entry.get("providerID") if isinstance(entry, dict) else None
        yield (*base, "userAssignedIdentities", i, "providerID"), pid if isinstance(pid, str) else None


def has_placeholder(value: str | None) -> bool:
    """True for a value holding ``${VAR}``: the placeholder check reports it, the other checks leave it alone."""
    return value is not None and bool(PLACEHOLDER.search(value))
