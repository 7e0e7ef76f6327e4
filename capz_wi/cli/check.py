"""``capz-wi check``: read files, directories or stdin (and ``--crds``), run the checks, print the findings.

Exit 0 when there is no error finding; 1 with an error finding (or any warning under ``--strict``), or when an
input cannot be read; 2 for usage errors. The report goes to stdout (text, JSON or SARIF) only once every input
was read and checked, so a failure leaves stdout empty.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from capz_wi import InputError, Options, SourcePos
from capz_wi.cli._io import expand, read_sources, write_stdout


def _read_crds(path: str) -> list[tuple[str, str]]:
    """(text, file) of a CRD file, or of every ``*.yaml``/``*.yml`` under a directory."""
    p = Path(path)
    if not p.exists():
        import click

        raise click.UsageError(f"--crds {path}: no such file or directory")
    files = expand([path]) if p.is_dir() else [path]
    if not files:
        raise InputError("no *.yaml files in the directory", SourcePos(path, 1, 1), "point --crds at CRD manifests")
    out = []
    for f in files:
        try:
            out.append((Path(f).read_bytes().decode("utf-8"), f))
        except UnicodeDecodeError:
            raise InputError("not UTF-8", SourcePos(f, 1, 1), "save the CRD file as UTF-8") from None
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", SourcePos(f, 1, 1)) from None
    return out


def _colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def register(app: typer.Typer) -> None:
    @app.command("check")
    def check_cmd(
        paths: Optional[list[str]] = typer.Argument(None, help="Files or directories; - or nothing reads stdin."),
        crds: Optional[str] = typer.Option(
            None, "--crds", help="CRD manifests, a directory of them, or a CAPZ infrastructure-components.yaml: "
            "validate objects against their CRD schema (default: the bundled identity schema).",
        ),
        output: str = typer.Option("text", "--output", "-o", help="Output format: text, json or sarif."),
        strict: bool = typer.Option(False, "--strict", help="Exit 1 on warnings too."),
        allow_placeholders: bool = typer.Option(
            False, "--allow-placeholders", help="Accept ${VAR} placeholders (clusterctl flavor templates)."
        ),
        max_bytes: int = typer.Option(64 * 1024 * 1024, "--max-bytes", help="Input size limit in bytes."),
    ) -> int:
        """Find workload-identity mistakes before applying: capz-wi check cluster.yaml [--crds DIR] [-o sarif]

        Codes are listed in docs/checks.md. Exit codes: 0 no error findings; 1 error findings (or warnings with
        --strict) or unreadable input; 2 usage.
        """
        from capz_wi._check import check_streams
        from capz_wi._crds import load_crd_texts
        from capz_wi.checks import CHECKS
        from capz_wi.cli._render import FORMATS, render_json, render_sarif, render_text

        if output not in FORMATS:
            import click

            raise click.UsageError(f"-o/--output must be one of {', '.join(FORMATS)}, not {output!r}")
        opts = Options(max_bytes=max_bytes)
        schemas = load_crd_texts(_read_crds(crds)) if crds else None
        sources = read_sources(paths or [])
        if not sources:  # only directories, none with YAML: checking nothing must not look like a pass
            raise InputError("no *.yaml or *.yml files found", SourcePos(paths[0] if paths else "-", 1, 1),
                             "give files, or directories that contain manifests")
        result = check_streams(
            [(s.data, s.name) for s in sources], opts, schemas=schemas, allow_placeholders=allow_placeholders
        )
        if output == "json":
            text = render_json(result.findings)
        elif output == "sarif":
            text = render_sarif(result.findings, CHECKS)
        else:
            text = render_text(result.findings, colour=_colour())
        write_stdout(text.encode("utf-8"))
        return 1 if result.errors or (strict and result.warnings) else 0
