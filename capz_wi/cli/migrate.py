"""``capz-wi migrate``: the objects to apply to move a running cluster to workload identity (stdout) and the plan
(stderr). A thin layer over :func:`capz_wi.migrate`; the identity options are the transform's."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from capz_wi.cli._fast import options_from_cli  # the transform's option handling, shared
from capz_wi.cli.transform import IDENTITY_OPTIONS


def register(app: typer.Typer) -> None:
    @app.command("migrate")
    def migrate_cmd(
        paths: Optional[list[str]] = typer.Argument(
            None, help="Files or directories holding the cluster's current manifests (e.g. kubectl get ... -o yaml); - or nothing reads stdin."
        ),
        suffix: str = typer.Option("-wi", "--suffix", help="Appended to the names of the new objects."),
        plan_only: bool = typer.Option(False, "--plan", help="Print only the plan (stderr); write no manifest."),
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
        """Migrate a running service-principal cluster: new identity and machine templates, references repointed.

        The objects to apply go to stdout, in order; the plan (actions, rollouts, immutable fields worked around,
        cleanup) to stderr. Exit codes: 0 ok (also when nothing is to change); 1 bad input, a refused edit or a
        name collision; 2 usage or invalid options; 3 internal error.

        \b
        kubectl get cluster,azurecluster,azureclusteridentity,kubeadmcontrolplane,machinedeployment,\\
          azuremachinetemplate,kubeadmconfigtemplate,azuremachinepool,machinepool -n NS -o yaml > live.yaml
        capz-wi migrate live.yaml --plan --identity-id ID --client-id GUID     # review the plan
        capz-wi migrate live.yaml --identity-id ID --client-id GUID > migrate.yaml && kubectl apply -f migrate.yaml
        """
        from capz_wi._engine import load
        from capz_wi._migrate import migrate_streams
        from capz_wi.cli._io import read_sources, write_stdout

        opts = options_from_cli(
            identity_id, subscription_id, resource_group, identity_name, client_id, tenant_id,
            control_plane_identity_id, worker_identity_id, role, only, replace_identities,
            replace_system_assigned, prune_secret, template_mode, provider_id_form, max_bytes,
        )
        sources = read_sources(paths or [])
        streams = [load(s.data, s.name, opts.max_bytes) for s in sources]
        result = migrate_streams(streams, opts, suffix=suffix)
        for f in result.findings:
            sys.stderr.write(f"{f}\n")
        if not result.ok:
            return 1
        sys.stderr.write(result.render_plan())
        if not plan_only and result.text:
            write_stdout(result.text.encode("utf-8"))
        return 0
