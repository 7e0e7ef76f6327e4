"""An object violates its schema: the CRD's ``openAPIV3Schema`` for its apiVersion (``--crds``), or, without
CRDs, the bundled schema of the identity kinds and fields (``capz_wi/schema/identity.schema.json``).

One finding per violation, at the field: a wrong type, a value outside an enum, a missing required field, an
unknown field (CRDs only; kubectl's strict validation rejects them too), an apiVersion the CRDs do not serve.

Triggers::

    kind: AzureMachineTemplate
    spec:
      template:
        spec:
          identity: UserAsigned
"""

from __future__ import annotations

from capz_wi._crds import validate
from capz_wi._document import Resource
from capz_wi._report import Finding
from capz_wi.checks._base import CheckContext, Findings

ID = "schema"
CODE = "CWI100"
SEVERITY = "error"
HINT = "fix the field as the CRD schema requires (`kubectl explain <kind>.<field>` describes it)"


def MATCH(res: Resource) -> bool:  # noqa: N802 - the SchemaSet decides which kinds it knows
    return True


def check(res: Resource, ctx: CheckContext) -> Findings:
    if (res.group, res.kind) not in ctx.schemas.kinds():
        return
    for v in validate(res, ctx.schemas):
        pos = v.pos
        dotted = ".".join(str(p) for p in v.path)
        yield Finding("error", f"{dotted or '(object)'}: {v.message} ({ctx.schemas.source})", res.ref,
                      type(pos)(pos.file, pos.line, pos.column, pos.index, dotted))
