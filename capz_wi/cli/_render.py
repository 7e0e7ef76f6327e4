"""Findings -> output for ``capz-wi check``: human text grouped by file, a JSON array, or SARIF 2.1.0.

Pure functions returning strings; the command decides where they go. Positions are the input's 1-based
line/column; paths are printed as given (no absolute paths are added), so output is stable for golden tests.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import groupby
from typing import Any
from urllib.parse import quote

from capz_wi import Finding, __version__

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_COLOUR = {"error": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def as_dict(f: Finding) -> dict[str, Any]:
    """The JSON shape of one finding."""
    obj = f.object
    return {
        "code": f.code,
        "severity": f.severity,
        "message": f.message,
        "hint": f.hint,
        "object": {
            "apiVersion": obj.api_version if obj else None,
            "kind": obj.kind if obj else None,
            "namespace": obj.namespace if obj else None,
            "name": obj.name if obj else None,
        },
        "path": f.pos.path if f.pos else "",
        "file": f.pos.file if f.pos else None,
        "line": f.pos.line if f.pos else None,
        "column": f.pos.column if f.pos else None,
    }


def render_json(findings: Sequence[Finding]) -> str:
    return json.dumps([as_dict(f) for f in findings], indent=2, ensure_ascii=False) + "\n"


def render_text(findings: Sequence[Finding], *, colour: bool = False) -> str:
    """Findings grouped under their file name, then a summary line::

        cluster.yaml
          201:3  error    AzureClusterIdentity default/cluster-identity: identity type is ... [CWI001]
                 hint: run `capz-wi transform` ...
    """

    def c(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    out: list[str] = []
    for file, group in groupby(findings, key=lambda f: f.pos.file if f.pos else "<input>"):
        out.append(c(_BOLD, file))
        for f in group:
            where = f"{f.pos.line}:{f.pos.column}" if f.pos else "-"
            obj = f"{f.object}: " if f.object else ""
            out.append(f"  {where:<8} {c(_COLOUR.get(f.severity, ''), f'{f.severity:<8}')} {obj}{f.message} [{f.code}]")
            if f.hint:
                out.append(c(_DIM, f"  {'':<8} {'':<8} hint: {f.hint}"))
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    files = len({f.pos.file for f in findings if f.pos})
    if findings:
        out.append(f"{errors} error(s), {warnings} warning(s) in {files} file(s)")
    else:
        out.append("no findings")
    return "\n".join(out) + "\n"


def _uri(file: str) -> str:
    if file in ("<stdin>", "-"):
        return "stdin"
    return quote(file.replace("\\", "/"), safe="/._-~")


def render_sarif(findings: Sequence[Finding], checks: Sequence[Any]) -> str:
    """A SARIF 2.1.0 log with one run: every check as a rule (id = code), every finding as a result."""
    from capz_wi.checks import title

    index = {chk.CODE: i for i, chk in enumerate(checks)}
    rules = [
        {
            "id": chk.CODE,
            "name": chk.ID,
            "shortDescription": {"text": title(chk)},
            "fullDescription": {"text": " ".join((chk.__doc__ or "").strip().split("\n\n")[0].split())},
            "help": {"text": chk.HINT},
            "defaultConfiguration": {"level": _LEVEL[chk.SEVERITY]},
        }
        for chk in checks
    ]
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": _LEVEL.get(f.severity, "note"),
            "message": {"text": f"{f.object}: {f.message}" if f.object else f.message},
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if f.pos:
            location: dict[str, Any] = {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(f.pos.file)},
                    "region": {"startLine": f.pos.line, "startColumn": f.pos.column},
                }
            }
            if f.object:
                location["logicalLocations"] = [
                    {"fullyQualifiedName": f"{f.object}" + (f".{f.pos.path}" if f.pos.path else ""), "kind": "object"}
                ]
            result["locations"] = [location]
        if f.hint:
            result["properties"] = {"hint": f.hint}
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "capz-wi",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
