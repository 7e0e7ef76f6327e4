"""``capz-wi migrate``: the objects to apply to move a running cluster to workload identity (stdout) and the plan
(stderr). A thin layer over :func:`capz_wi.migrate`; the identity options are the transform's."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from capz_wi import Options
from capz_wi.cli.transform import with_identity_options  # the transform's identity options, shared


def register(app: typer.Typer) -> None:
    @app.command("migrate")
    @with_identity_options
    def migrate_cmd(
        opts: Options,
        paths: Optional[list[str]] = typer.Argument(
            None, help="Files or directories holding the cluster's current manifests (e.g. kubectl get ... -o yaml); - or nothing reads stdin."
        ),
        suffix: str = typer.Option("-wi", "--suffix", help="Appended to the names of the new objects."),
        plan_only: bool = typer.Option(False, "--plan", help="Print only the plan (stderr); write no manifest."),
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
