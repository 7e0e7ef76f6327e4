"""capz-wi: turn Cluster API Provider Azure manifests into Azure Workload Identity ones.

>>> import capz_wi
>>> result = capz_wi.transform(text, capz_wi.Options(identity_id="/subscriptions/.../userAssignedIdentities/id"))
>>> result.text, result.changes, result.findings
"""

from __future__ import annotations

from capz_wi._check import CheckResult, check
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
    "NotAResourceError",
    "ObjectRef",
    "Options",
    "OptionsError",
    "SourcePos",
    "TransformResult",
    "YamlSyntaxError",
    "__version__",
    "check",
    "transform",
    "transform_objects",
]

for _name in __all__:
    _obj = globals()[_name]
    if hasattr(_obj, "__module__") and not isinstance(_obj, str):
        try:
            _obj.__module__ = "capz_wi"
        except (AttributeError, TypeError):
            pass
