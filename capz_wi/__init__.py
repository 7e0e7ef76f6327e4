"""capz-wi: turn Cluster API Provider Azure manifests into Azure Workload Identity ones.

>>> import capz_wi
>>> result = capz_wi.transform(text, capz_wi.Options(identity_id="/subscriptions/.../userAssignedIdentities/id"))
>>> result.text, result.changes, result.findings
"""

from __future__ import annotations

from typing import Any as _Any

from capz_wi._document import ObjectRef
from capz_wi._engine import transform, transform_objects
from capz_wi._errors import (
    CapzWiError,
    ConflictError,
    InputError,
    InputTooLargeError,
    NotAResourceError,
    OptionsError,
    SourcePos,
    YamlSyntaxError,
)
from capz_wi._options import Options
from capz_wi._report import Change, Finding, TransformResult

__version__ = "0.1.0"

__all__ = [
    "CapzWiError",
    "Change",
    "CheckResult",
    "ConflictError",
    "Finding",
    "InputError",
    "InputTooLargeError",
    "MigrationResult",
    "NotAResourceError",
    "ObjectRef",
    "Options",
    "OptionsError",
    "PlanStep",
    "SourcePos",
    "TransformResult",
    "YamlSyntaxError",
    "__version__",
    "check",
    "migrate",
    "transform",
    "transform_objects",
]

#: Exports loaded on first use: ``capz-wi transform`` and ``import capz_wi`` never pay for the check engine (CRDs).
_LAZY = {"check": "capz_wi._check", "CheckResult": "capz_wi._check"}
_LAZY.update(dict.fromkeys(("migrate", "MigrationResult", "PlanStep"), "capz_wi._migrate"))


def _set_module(obj: _Any) -> None:
    if hasattr(obj, "__module__") and not isinstance(obj, str):
        try:
            obj.__module__ = "capz_wi"
        except (AttributeError, TypeError):
            pass


def __getattr__(name: str) -> _Any:
    if name in _LAZY:
        import importlib

        obj = getattr(importlib.import_module(_LAZY[name]), name)
        _set_module(obj)
        globals()[name] = obj
        return obj
    raise AttributeError(f"module 'capz_wi' has no attribute {name!r}")


for _name in __all__:
    if _name not in _LAZY:
        _set_module(globals()[_name])
