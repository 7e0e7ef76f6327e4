"""The plain ``capz-wi transform`` without typer: argument parsing and execution for the hot path.

Why: the CLI runs in pipes, pre-commit hooks and once per cluster in scripts; importing typer and click costs more
than transforming a quick-start manifest. ``main()`` tries :func:`parse` first; it recognises only the plain
``transform`` command (YAML on stdout, the options of ``capz-wi transform --help`` in their ordinary spellings) and
returns None for anything else (``--help``, ``--diff``, an unknown or unusual argument), which then goes to the
typer app. So the typer app stays the reference: ``tests/test_fastpath.py`` checks that both give the same bytes
and exit codes.

This module also holds the typer-free helpers the typer command shares (``options_from_cli``, ``summarize``).
"""

from __future__ import annotations

import os
import sys
from typing import Any, Optional

from capz_wi import Options, TransformResult

#: ``--client-id`` falls back to these environment variables, in this order (the first non-empty one wins).
ENV_CLIENT = ["AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY", "AZURE_CLIENT_ID"]

#: Value options of ``transform``: flag -> (parameter, environment variables). Must match cli/transform.py.
VALUE_OPTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "--identity-id": ("identity_id", ()),
    "--subscription-id": ("subscription_id", ("AZURE_SUBSCRIPTION_ID",)),
    "--resource-group": ("resource_group", ("RESOURCE_GROUP",)),
    "--identity-name": ("identity_name", ("USER_ASSIGNED_IDENTITY_NAME",)),
    "--client-id": ("client_id", tuple(ENV_CLIENT)),
    "--tenant-id": ("tenant_id", ("AZURE_TENANT_ID",)),
    "--control-plane-identity-id": ("control_plane_identity_id", ()),
    "--worker-identity-id": ("worker_identity_id", ()),
    "--provider-id-form": ("provider_id_form", ()),
    "--max-bytes": ("max_bytes", ()),
}
#: Repeatable value options: flag -> parameter.
MULTI_OPTIONS = {"--role": "role", "--only": "only"}
#: Boolean flags: flag -> parameter.
FLAG_OPTIONS = {
    "--quiet": "quiet",
    "-q": "quiet",
    "--replace-identities": "replace_identities",
    "--replace-system-assigned": "replace_system_assigned",
    "--prune-secret": "prune_secret",
    "--template-mode": "template_mode",
}
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


class Plain:
    """A recognised plain ``transform`` invocation: paths, ``--quiet`` and the keyword arguments of
    :func:`options_from_cli`. (A plain class: a dataclass costs start-up time on this path.)"""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.quiet = False
        self.kwargs: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"Plain(paths={self.paths!r}, quiet={self.quiet!r}, kwargs={self.kwargs!r})"


def parse(args: list[str], environ: Optional[dict[str, str]] = None) -> Plain | None:
    """A :class:`Plain` for ``transform [PATH ...] [OPTIONS]``, or None when anything is not plainly recognised.

    Declining is always safe (typer then parses), so every doubtful spelling declines: ``--``, ``--help``,
    options of other modes, an option value that is missing, empty or starts with ``-``, ``--flag=value``, a
    ``--max-bytes`` that is not all digits.
    """
    if not args or args[0] != "transform":
        return None
    env = os.environ if environ is None else environ
    out = Plain()
    values: dict[str, Any] = {}
    multi: dict[str, list[str]] = {}
    i = 1
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "-" or not arg.startswith("-"):
            out.paths.append(arg)
            continue
        name, eq, inline = arg.partition("=")
        if not arg.startswith("--"):
            name, eq = arg, ""
        if name in FLAG_OPTIONS and not eq:
            if FLAG_OPTIONS[name] == "quiet":
                out.quiet = True
            else:
                values[FLAG_OPTIONS[name]] = True
            continue
        if name not in VALUE_OPTIONS and name not in MULTI_OPTIONS:
            return None
        if eq:
            value = inline
        elif i < len(args):
            value = args[i]
            i += 1
        else:
            return None
        if value == "" or value.startswith("-"):
            return None
        if name in MULTI_OPTIONS:
            multi.setdefault(MULTI_OPTIONS[name], []).append(value)
        else:
            values[VALUE_OPTIONS[name][0]] = value
    for flag, (param, envvars) in VALUE_OPTIONS.items():
        if param not in values:
            values[param] = next((env[e] for e in envvars if env.get(e)), None)
    max_bytes = values.get("max_bytes")
    if max_bytes is None:
        values["max_bytes"] = DEFAULT_MAX_BYTES
    elif not (max_bytes.isascii() and max_bytes.isdigit()):
        return None
    else:
        values["max_bytes"] = int(max_bytes)
    if values["provider_id_form"] is None:
        values["provider_id_form"] = "azure"
    for flag in ("replace_identities", "replace_system_assigned", "prune_secret", "template_mode"):
        values.setdefault(flag, False)
    values["role"] = multi.get("role")
    values["only"] = multi.get("only")
    out.kwargs = values
    return out


def execute(plain: Plain) -> int:
    """Run a plain transform: every input read first, each transformed, the manifest written only when all are
    ok. Returns the exit code; CapzWiError propagates to ``main()``'s one error mapping. Mirrors
    ``transform_cmd`` in cli/transform.py without its typer layer."""
    from capz_wi._yamlio import PausedGC

    with PausedGC():  # a short-lived process allocating no cycles: the collector's passes are pure cost
        return _execute(plain)


def _execute(plain: Plain) -> int:
    from capz_wi._engine import load, run
    from capz_wi.cli._io import join_streams, read_sources, write_stdout

    opts = options_from_cli(**plain.kwargs)
    sources = read_sources(plain.paths)
    results = [(s, run(load(s.data, s.name, opts.max_bytes), opts)) for s in sources]
    failed = False
    for s, r in results:
        summarize(s.name, r, plain.quiet)
        failed = failed or not r.ok
    if failed:
        return 1
    write_stdout(join_streams([r.text for _, r in results]).encode("utf-8"))
    return 0


def options_from_cli(
    identity_id: Optional[str],
    subscription_id: Optional[str],
    resource_group: Optional[str],
    identity_name: Optional[str],
    client_id: Optional[str],
    tenant_id: Optional[str],
    control_plane_identity_id: Optional[str],
    worker_identity_id: Optional[str],
    role: Optional[list[str]],
    only: Optional[list[str]],
    replace_identities: bool,
    replace_system_assigned: bool,
    prune_secret: bool,
    template_mode: bool,
    provider_id_form: str,
    max_bytes: int,
) -> Options:
    """The :class:`Options` for the CLI's parameters (raises OptionsError, which ``main()`` maps to exit 2)."""
    return Options(
        identity_id=identity_id,
        subscription_id=subscription_id,
        resource_group=resource_group,
        identity_name=identity_name,
        client_id=client_id,
        tenant_id=tenant_id,
        control_plane_identity_id=control_plane_identity_id,
        worker_identity_id=worker_identity_id,
        roles=tuple(role) if role else ("control-plane", "worker"),  # type: ignore[arg-type]
        only=tuple(only or ()),
        replace_identities=replace_identities,
        replace_system_assigned=replace_system_assigned,
        prune_secret=prune_secret,
        template_mode=template_mode,
        provider_id_form=provider_id_form,  # type: ignore[arg-type]
        max_bytes=max_bytes,
    )


def summarize(name: str, result: TransformResult, quiet: bool) -> None:
    """Findings and the list of changes on stderr (errors even with ``--quiet``)."""
    for f in result.findings:
        if f.severity == "error" or not quiet:
            sys.stderr.write(f"{f}\n")
    if quiet or not result.ok:  # a refused edit: its error line is the whole story ("nothing to change" misleads)
        return
    if not result.changed:
        sys.stderr.write(f"capz-wi: {name}: nothing to change\n")
        return
    objects = {(c.object.kind, c.object.namespace, c.object.name) for c in result.changes}
    sys.stderr.write(f"capz-wi: {name}: {len(result.changes)} change(s) in {len(objects)} object(s)\n")
    for c in result.changes:
        sys.stderr.write(f"  {c}\n")
    for r in result.removed:
        sys.stderr.write(f"  removed {r}\n")
