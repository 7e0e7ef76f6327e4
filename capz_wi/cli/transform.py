"""``capz-wi transform``: read files or stdin, transform, write the manifest to stdout, a summary to stderr."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from capz_wi import Options, TransformResult
from capz_wi.cli._io import join_streams, read_sources, write_stdout

ENV_CLIENT = ["AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY", "AZURE_CLIENT_ID"]


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


def summarize(name: str, result: TransformResult, quiet: bool) -> None:
    for f in result.findings:
        if f.severity == "error" or not quiet:
            sys.stderr.write(f"{f}\n")
    if quiet:
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


def register(app: typer.Typer) -> None:
    @app.command("transform")
    def transform_cmd(
        paths: Optional[list[str]] = typer.Argument(None, help="Files or directories; - or nothing reads stdin."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary on stderr (errors still show)."),
        identity_id: Optional[str] = IDENTITY_OPTIONS["identity_id"],
        subscription_id: Optional[str] = IDENTITY_OPTIONS["subscription_id"],
        resource_group: Optional[str] = IDENTITY_OPTIONS["resource_group"],
        identity_name: Optional[str] = IDENTITY_OPTIONS["identity_name"],
        client_id: Optional[str] = IDENTITY_OPTIONS["client_id"],
        tenant_id: Optional[str] = IDENTITY_OPTIONS["tenant_id"],
        control_plane_identity_id: Optional[str] = IDENTITY_OPTIONS["control_plane_identity_id"],
        worker_identity_id: Optional[str] = IDENTITY_OPTIONS["worker_identity_id"],
        role: Optional[list[str]] = IDENTITY_OPTIONS["role"],
        only: Optional[list[str]] = IDENTITY_OPTIONS["only"],
        replace_identities: bool = IDENTITY_OPTIONS["replace_identities"],
        replace_system_assigned: bool = IDENTITY_OPTIONS["replace_system_assigned"],
        prune_secret: bool = IDENTITY_OPTIONS["prune_secret"],
        template_mode: bool = IDENTITY_OPTIONS["template_mode"],
        provider_id_form: str = IDENTITY_OPTIONS["provider_id_form"],
        max_bytes: int = IDENTITY_OPTIONS["max_bytes"],
    ) -> int:
        """Rewrite manifests for workload identity: clusterctl generate cluster ... | capz-wi transform > out.yaml

        Apply the result only to clusters not yet created: CAPZ makes AzureClusterIdentity.spec.type and
        AzureMachineTemplate specs immutable (see `capz-wi migrate` for running clusters).
        """
        from capz_wi._engine import load, run

        opts = options_from_cli(
            identity_id, subscription_id, resource_group, identity_name, client_id, tenant_id,
            control_plane_identity_id, worker_identity_id, role, only, replace_identities,
            replace_system_assigned, prune_secret, template_mode, provider_id_form, max_bytes,
        )
        sources = read_sources(paths or [])
        results = [(s, run(load(s.data, s.name, opts.max_bytes), opts)) for s in sources]
        failed = False
        for s, r in results:
            summarize(s.name, r, quiet)
            failed = failed or not r.ok
        if failed:
            return 1
        write_stdout(join_streams([r.text for _, r in results]).encode("utf-8"))
        return 0
