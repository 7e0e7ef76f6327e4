"""Results as values: what changed (``Change``), what was noticed (``Finding``), and the whole ``TransformResult``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from capz_wi._document import ObjectRef
from capz_wi._errors import SourcePos

Severity = Literal["error", "warning", "info"]
REDACTED = "<redacted>"


@dataclass(frozen=True)
class Finding:
    """Something a rule noticed about one object: ``severity``, ``message``, the ``rule`` id and a position.

    ``code`` and ``hint`` are set by ``check`` (stable codes such as ``CWI001`` and how to fix it).
    """

    severity: Severity
    message: str
    object: ObjectRef | None = None
    pos: SourcePos | None = None
    rule: str = ""
    code: str = ""
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.pos}: " if self.pos else ""
        obj = f"{self.object}: " if self.object else ""
        tail = f" ({self.code or self.rule})" if (self.code or self.rule) else ""
        return f"{where}{self.severity}: {obj}{self.message}{tail}"


@dataclass(frozen=True)
class Change:
    """One field edit: the object, the dotted ``path``, the operation and old/new values (secrets redacted)."""

    object: ObjectRef
    path: str
    op: Literal["set", "remove", "insert"]
    old: Any
    new: Any
    rule: str
    pos: SourcePos | None = None

    def __str__(self) -> str:
        if self.op == "remove":
            return f"{self.object}: removed {self.path}"
        if self.op == "insert":
            return f"{self.object}: {self.path} += {_short(self.new)}"
        return f"{self.object}: {self.path}: {_short(self.old)} -> {_short(self.new)}"


def _short(value: Any) -> str:
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, separators=(",", ":"))
    return "(none)" if value is None else str(value)


class _Findings:
    """``errors``, ``warnings`` and ``ok`` over a ``findings`` list (shared by the result types)."""

    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no error finding (warnings allowed); the CLI writes nothing otherwise."""
        return not self.errors


@dataclass(frozen=True)
class TransformResult(_Findings):
    """What ``transform`` returns: the new ``text``, the ``changes`` and the ``findings`` (warnings, errors)."""

    text: str
    changes: list[Change] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    removed: list[ObjectRef] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the output differs from the input."""
        return bool(self.changes or self.removed)
