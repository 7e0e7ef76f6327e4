"""Errors of the quick-start helpers.

::

    CapzWiError (capz_wi)
    └── RefusedError   the helper will not produce output: a non-https issuer, keys that are not a pair,
                       files it would overwrite, input without a KubeadmControlPlane (exit 1)

Unreadable or malformed key files are :class:`capz_wi.InputError` with the file's position; invalid option
values are :class:`capz_wi.OptionsError` (exit 2).
"""

from __future__ import annotations

from capz_wi._errors import CapzWiError


class RefusedError(CapzWiError):
    """Raised when a helper refuses to produce output because doing so would be wrong or destructive."""
