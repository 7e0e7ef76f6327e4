"""yamllint-style helper: transform an inline snippet and compare the exact output text."""

from __future__ import annotations

import textwrap

import capz_wi
from tests.conftest import IDENTITY

OPTS = capz_wi.Options(identity_id=IDENTITY)
PID = "azure://" + IDENTITY


def run(source: str, options: capz_wi.Options = OPTS) -> capz_wi.TransformResult:
    return capz_wi.transform(textwrap.dedent(source), options)


def check(source: str, expected: str, options: capz_wi.Options = OPTS) -> capz_wi.TransformResult:
    result = run(source, options)
    assert result.text == textwrap.dedent(expected)
    again = capz_wi.transform(result.text, options)
    assert again.text == result.text and not again.changes, "not idempotent"
    return result
