"""``capz-wi transform``: read files or stdin, transform, write the manifest to stdout, a summary to stderr."""

from __future__ import annotations

import sys
from typing import Any, Optional

import typer

from capz_wi import Options, TransformResult
from capz_wi.cli._fast import ENV_CLIENT, options_from_cli, summarize  # shared with the fast path
from capz_wi.cli._io import Source, join_streams, read_sources, write_stdout
from capz_wi.cli._params import option_group

IDENTITY_OPTIONS = dict(
    identity_id=typer.Option(
        None, "--identity-id", help="Resource ID of the user-assigned identity (with or without azure://)."
    ),
    subscription_id=typer.Option(
        None, "--subscription-id", envvar="AZURE_SUBSCRIPTION_ID", help="Subscription of the identity."
    ),
    resource_group=typer.Option(
        None, "--resource-group", envvar="RESOURCE_GROUP", help="Resource group of the identity."
    ),
    identity_name=typer.Option(
        None, "--identity-name", envvar="USER_ASSIGNED_IDENTITY_NAME", help="Name of the identity."
    ),
    client_id=typer.Option(
        None, "--client-id", envvar=ENV_CLIENT, help="Client ID for AzureClusterIdentity.spec.clientID."
    ),
    tenant_id=typer.Option(None, "--tenant-id", envvar="AZURE_TENANT_ID", help="Tenant ID for spec.tenantID."),
    control_plane_identity_id=typer.Option(
        None, "--control-plane-identity-id", help="A different identity for control-plane machines."
    ),
    worker_identity_id=typer.Option(None, "--worker-identity-id", help="A different identity for worker machines."),
    role=typer.Option(None, "--role", help="Edit only machines of this role: control-plane or worker (repeatable)."),
    only=typer.Option(None, "--only", help="Edit only the machine objects with this name (repeatable)."),
    replace_identities=typer.Option(
        False, "--replace-identities", help="Replace all existing userAssignedIdentities entries."
    ),
    replace_system_assigned=typer.Option(
        False, "--replace-system-assigned", help="Convert SystemAssigned machines (refused by default)."
    ),
    prune_secret=typer.Option(False, "--prune-secret", help="Remove the Secret that only backed the clientSecret."),
    template_mode=typer.Option(
        False, "--template-mode", help="Write ${VAR} placeholders instead of concrete values (clusterctl flavors)."
    ),
    provider_id_form=typer.Option(
        "azure", "--provider-id-form", help="providerID form: azure (azure:///subscriptions/...) or bare."
    ),
    max_bytes=typer.Option(64 * 1024 * 1024, "--max-bytes", help="Input size limit in bytes."),
)


IDENTITY_TYPES: dict[str, Any] = {
    "identity_id": Optional[str],
    "subscription_id": Optional[str],
    "resource_group": Optional[str],
    "identity_name": Optional[str],
    "client_id": Optional[str],
    "tenant_id": Optional[str],
    "control_plane_identity_id": Optional[str],
    "worker_identity_id": Optional[str],
    "role": Optional[list[str]],
    "only": Optional[list[str]],
    "replace_identities": bool,
    "replace_system_assigned": bool,
    "prune_secret": bool,
    "template_mode": bool,
    "provider_id_form": str,
    "max_bytes": int,
}


#: Decorator: the command declares ``opts: Options`` and gets every identity option (``transform``, ``migrate``).
with_identity_options = option_group(IDENTITY_OPTIONS, IDENTITY_TYPES, options_from_cli, "opts")

OUTPUTS = ("yaml", "json", "patch", "kustomize")


def review_mode(output: str, out_dir: str | None, diff: bool, check: bool, in_place: bool, paths: list[str]) -> str:
    """The one thing this run produces: yaml, json, patch, kustomize, diff, check, check+diff or in-place.

    Raises click.UsageError (exit 2) for combinations that would silently ignore a flag.
    """
    import click

    if output not in OUTPUTS:
        raise click.UsageError(f"-o/--output must be one of {', '.join(OUTPUTS)}, not {output!r}")
    if (output == "kustomize") != (out_dir is not None):
        raise click.UsageError("-o kustomize needs --out-dir DIR, and --out-dir is only for -o kustomize")
    if sum((check, in_place, output != "yaml")) > 1:
        raise click.UsageError("--check, --in-place and -o json/patch/kustomize cannot be combined")
    if diff and (in_place or output != "yaml"):
        raise click.UsageError("--diff goes alone or with --check")
    if in_place and (not paths or "-" in paths):
        raise click.UsageError("--in-place rewrites files: give file or directory paths, not stdin")
    if check:
        return "check+diff" if diff else "check"
    if in_place:
        return "in-place"
    return "diff" if diff else output


def report_findings(result: TransformResult, quiet: bool) -> None:
    """Warnings and errors only (--check and --in-place print their own one line per file)."""
    for f in result.findings:
        if f.severity == "error" or not quiet:
            sys.stderr.write(f"{f}\n")


def _counts(result: TransformResult) -> str:
    objects = {(c.object.kind, c.object.namespace, c.object.name) for c in result.changes}
    text = f"{len(result.changes)} change(s) in {len(objects)} object(s)"
    return text + (f", {len(result.removed)} object(s) removed" if result.removed else "")


Results = list[tuple[Source, str, TransformResult]]  # (source, input text, result) per file


def emit(mode: str, results: Results, out_dir: str | None, quiet: bool) -> int:
    """Write what ``mode`` asks for; returns the exit code. Every result here is ok (no error findings)."""
    if mode in ("diff", "check+diff"):
        write_diff(results)
    if mode == "diff":
        return 0
    if mode.startswith("check"):
        return report_check(results, quiet)
    if mode == "in-place":
        write_in_place(results, quiet)
        return 0
    from capz_wi import _outputs

    pairs = [(s, old, _outputs.pair_objects(old, r.text, r.removed, s.name)) for s, old, r in results]
    if mode == "json":
        items = [p.after for _, _, ps in pairs for p in ps if p.after is not None]
        write_stdout(_outputs.render_json(_outputs.v1_list(items)).encode("utf-8"))
    elif mode == "patch":
        entries = _outputs.object_patches(p for _, _, ps in pairs for p in ps)
        write_stdout(_outputs.render_json(entries, indent=2).encode("utf-8"))
    else:
        assert out_dir is not None
        write_overlay(pairs, out_dir, quiet)
    return 0


def write_diff(results: Results) -> None:
    """Unified diffs on stdout; ANSI colour only on a terminal and without NO_COLOR (https://no-color.org)."""
    import os

    from capz_wi import _outputs

    text = "".join(_outputs.unified_diff(old, r.text, s.name) for s, old, r in results)
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
        text = _outputs.colorize_diff(text)
    write_stdout(text.encode("utf-8"))


def report_check(results: Results, quiet: bool) -> int:
    """One stderr line per change (``file:line:col: would change <object>: <field> ...``, secrets redacted) and one
    per file; exit 1 when anything would change."""
    dirty = False
    for s, _, r in results:
        for c in sorted(r.changes, key=lambda c: (c.pos.line, c.pos.column) if c.pos else (0, 0)):
            sys.stderr.write(f"{c.pos or s.name}: would change {c}\n")
        for ref in r.removed:
            sys.stderr.write(f"{s.name}: would remove {ref}\n")
        dirty = dirty or r.changed
        if r.changed:
            sys.stderr.write(f"capz-wi: {s.name}: would change: {_counts(r)}\n")
        elif not quiet:
            sys.stderr.write(f"capz-wi: {s.name}: nothing to change\n")
    return 1 if dirty else 0


def write_in_place(results: Results, quiet: bool) -> None:
    """Rewrite the files whose bytes change, all or none (``_io.write_files``); the others keep their mtime.

    A file named twice (directly and through its directory) is written and summarised once.
    """
    import os

    from capz_wi.cli._io import write_files

    todo: dict[str, tuple[Source, bytes]] = {}
    for s, _, r in results:
        data = r.text.encode("utf-8")
        if s.path is not None and data != s.data:
            todo.setdefault(os.path.realpath(s.path), (s, data))
    write_files([(s.path, data) for s, data in todo.values() if s.path is not None])
    if not quiet:
        done: set[str] = set()
        for s, _, r in results:
            real = os.path.realpath(s.path) if s.path is not None else s.name
            if real not in done:
                done.add(real)
                state = f"rewritten, {_counts(r)}" if real in todo else "nothing to change"
                sys.stderr.write(f"capz-wi: {s.name}: {state}\n")


def write_overlay(pairs: list[tuple[Source, str, Any]], out_dir: str, quiet: bool) -> None:
    """``kustomization.yaml`` plus a byte-identical copy of each input in ``out_dir`` (created when missing)."""
    from pathlib import Path

    from capz_wi import InputError, SourcePos, _outputs
    from capz_wi.cli._io import write_files

    files = _outputs.kustomize_overlay([(s.name, old, ps) for s, old, ps in pairs])
    names = _outputs.resource_names([s.name for s, _, _ in pairs])
    raw = {name: s.data for name, (s, _, _) in zip(names, pairs)}  # the inputs, byte for byte (BOM, CRLF)
    directory = Path(out_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the directory: {exc.strerror}", SourcePos(out_dir, 1, 1)) from None
    write_files([(directory / n, raw.get(n, t.encode("utf-8"))) for n, t in files.items()])
    if not quiet:
        patched = sum(1 for _, _, ps in pairs for p in ps if p.changed)
        sys.stderr.write(f"capz-wi: wrote {directory / _outputs.KUSTOMIZATION} ({patched} object(s) patched)\n")


def register(app: typer.Typer) -> None:
    @app.command("transform")
    @with_identity_options
    def transform_cmd(
        opts: Options,
        paths: Optional[list[str]] = typer.Argument(None, help="Files or directories; - or nothing reads stdin."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary on stderr (errors still show)."),
        output: str = typer.Option(
            "yaml", "--output", "-o", help="yaml (the manifest), json (a v1 List), patch (RFC 6902 per object) "
            "or kustomize (an overlay in --out-dir)."
        ),
        out_dir: Optional[str] = typer.Option(None, "--out-dir", help="Directory for -o kustomize."),
        diff: bool = typer.Option(False, "--diff", help="Print a unified diff (input vs output) per file."),
        check: bool = typer.Option(
            False, "--check", help="Write nothing; exit 1 and list the changes when anything would change."
        ),
        in_place: bool = typer.Option(False, "--in-place", "-i", help="Rewrite each file (atomically, all or none)."),
    ) -> int:
        """Rewrite manifests for workload identity: clusterctl generate cluster ... | capz-wi transform > out.yaml

        Apply the result only to clusters not yet created: CAPZ makes AzureClusterIdentity.spec.type and
        AzureMachineTemplate specs immutable (see `capz-wi migrate` for running clusters).
        """
        from capz_wi._engine import load, run

        mode = review_mode(output, out_dir, diff, check, in_place, paths or [])
        sources = read_sources(paths or [])
        # Transform everything before writing anything: a broken file anywhere means no output and no file touched.
        results: list[tuple[Source, str, TransformResult]] = []
        for s in sources:
            stream = load(s.data, s.name, opts.max_bytes)
            results.append((s, ("\ufeff" if stream.bom else "") + stream.text, run(stream, opts)))
        failed = False
        for s, _, r in results:
            if mode in ("check", "in-place"):
                report_findings(r, quiet)
            else:
                summarize(s.name, r, quiet)
            failed = failed or not r.ok
        if failed:
            return 1
        if mode == "yaml":
            write_stdout(join_streams([r.text for _, _, r in results]).encode("utf-8"))
            return 0
        return emit(mode, results, out_dir, quiet)
