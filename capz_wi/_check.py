"""The check engine: run every check of ``capz_wi.checks`` over the objects of one or more streams.

Pure: no I/O. The CLI and the KRM function read the inputs and the CRDs and hand over text. Checks see every
object of every stream at once (an identityRef may point into another file); findings keep their own file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from capz_wi._crds import SchemaSet, bundled_schemas, load_crds
from capz_wi._document import Resource, resources
from capz_wi._options import Options
from capz_wi._report import Finding, _Findings


@dataclass(frozen=True)
class CheckResult(_Findings):
    """What ``check`` returns: ``findings`` sorted by (file, index, line, column, code)."""

    findings: list[Finding] = field(default_factory=list)


def check(
    source: str | bytes,
    options: Options | None = None,
    *,
    file: str = "<stdin>",
    crds: str | None = None,
    allow_placeholders: bool = False,
) -> CheckResult:
    """Check a YAML stream for workload-identity readiness, without changing it.

    ``crds`` is CRD manifest text (CRD files concatenated, or a CAPZ ``infrastructure-components.yaml``): objects of
    those kinds are validated against the CRD schema of their apiVersion; without it the bundled schema of the
    identity kinds is used. ``allow_placeholders`` (or ``options.template_mode``) accepts ``${VAR}`` values, for
    clusterctl templates. Raises InputError for input (or CRDs) that cannot be read at all.
    """
    schemas = load_crds(crds, "<crds>") if crds is not None else None
    return check_streams([(source, file)], options, schemas=schemas, allow_placeholders=allow_placeholders)


def check_streams(
    sources: Sequence[tuple[str | bytes, str]],
    options: Options | None = None,
    *,
    schemas: SchemaSet | None = None,
    allow_placeholders: bool = False,
) -> CheckResult:
    """``check`` over several (source, file) streams at once, with an already loaded ``SchemaSet``."""
    from capz_wi._engine import load
    from capz_wi.checks import CHECKS
    from capz_wi.checks._base import CheckContext

    opts = options or Options()
    objects: list[Resource] = []
    for source, file in sources:
        objects.extend(resources(load(source, file, opts.max_bytes)))
    ctx = CheckContext(
        objects, schemas or bundled_schemas(), allow_placeholders=allow_placeholders or opts.template_mode
    )
    findings: list[Finding] = []
    for chk in CHECKS:
        for res in objects:
            if chk.MATCH(res):
                findings.extend(
                    Finding(f.severity, f.message, f.object, f.pos, f.rule or chk.ID, f.code or chk.CODE, f.hint or chk.HINT)
                    for f in chk.check(res, ctx)
                )
    findings.sort(key=sort_key)
    return CheckResult(findings)


def sort_key(f: Finding) -> tuple[str, int, int, int, str]:
    p = f.pos
    return (p.file, p.index, p.line, p.column, f.code) if p else ("", 0, 0, 0, f.code)
