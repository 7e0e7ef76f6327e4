"""Errors raised by capz-wi, and the source positions they carry.

Exceptions mean "no output": the input or the options cannot be processed at all.
Per-resource trouble that still allows output is a :class:`capz_wi.Finding`, never an exception.

::

    CapzWiError                base; ``.pos`` is a SourcePos or None; ``str()`` is "file:line:col: message"
    ├── InputError             the stream is not usable Kubernetes YAML
    │   ├── YamlSyntaxError    the YAML parser stopped at a position
    │   ├── NotAResourceError  a document is not a mapping with apiVersion and kind
    │   └── InputTooLargeError the input exceeds the size limit
    ├── OptionsError           invalid options or functionConfig (bad GUID, bad resource ID, unknown field)
    └── ConflictError          two edits touch the same bytes
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourcePos:
    """Where something is in the input: 1-based ``line``/``column``, the document ``index`` in the stream and a
    dotted field ``path`` (``spec.clientSecret.name``), as KRM ``file.index`` and ``field.path`` use them."""

    file: str
    line: int
    column: int
    index: int = 0
    path: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class CapzWiError(Exception):
    """Base of every error capz-wi raises on purpose. ``str()`` gives one line: ``file:line:col: message``."""

    def __init__(self, message: str, pos: SourcePos | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.hint = hint

    def __str__(self) -> str:
        text = self.message if not self.hint else f"{self.message}; {self.hint}"
        return f"{self.pos}: {text}" if self.pos else text


class InputError(CapzWiError):
    """Raised when the input stream is not usable Kubernetes YAML."""


class YamlSyntaxError(InputError):
    """Raised when the YAML parser stops; the position is the parser's problem mark."""


class NotAResourceError(InputError):
    """Raised when a document is not a mapping carrying ``apiVersion`` and ``kind``."""


class InputTooLargeError(InputError):
    """Raised when the input is larger than the configured size limit."""


class OptionsError(CapzWiError):
    """Raised when options or a functionConfig are invalid; ``field`` names the option (camelCase)."""

    def __init__(self, message: str, field: str = "", hint: str = "") -> None:
        super().__init__(message, None, hint)
        self.field = field

    def __str__(self) -> str:
        text = self.message if not self.hint else f"{self.message}; {self.hint}"
        return f"{self.field}: {text}" if self.field else text


class ConflictError(CapzWiError):
    """Raised when two edits would change overlapping bytes of one document."""
