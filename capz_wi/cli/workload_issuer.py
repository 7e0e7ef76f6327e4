"""``capz-wi workload-issuer``: give a workload cluster its own issuer, service-account key and JWKS.

Reads manifests (files, directories or stdin), sets ``service-account-issuer`` on every KubeadmControlPlane
(and template), writes the ``<cluster>-sa`` Secret to ``--secret-out`` (mode 0600, never stdout), the discovery
documents to ``--discovery-dir``, and the edited manifest to stdout. Everything is computed before anything is
written, so a refusal leaves no file behind.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from capz_wi.cli.quickstart import read_bytes, with_issuer, write_file


def workload_issuer_cmd(
    issuer: str,
    signing_key: str,
    public_key: str,
    secret_out: str,
    discovery_dir: str,
    cluster_names: list[str],
    paths: list[str],
    quiet: bool,
) -> int:
    from capz_wi.cli._io import join_streams, read_sources, write_stdout
    from capz_wi.quickstart import upload_commands
    from capz_wi.quickstart import ManifestSource, workload_issuer

    key_pem, pub_pem = read_bytes(signing_key), read_bytes(public_key)
    sources = read_sources(paths)
    result = workload_issuer(
        [ManifestSource(s.name, s.data) for s in sources], issuer, key_pem, pub_pem,
        cluster_names=cluster_names, signing_key_name=signing_key, public_key_name=public_key,
    )
    write_file(Path(secret_out), result.secret.encode("utf-8"), 0o600)
    for name, text in result.discovery.items():
        write_file(Path(discovery_dir) / name, text.encode("utf-8"), 0o644)
    err = sys.stderr.write
    for f in result.findings:
        err(f"capz-wi: warning: {f.message}; {f.hint}\n")
    err(
        f"capz-wi: wrote {secret_out} (mode 0600): it holds the clusters' private service-account key; "
        "never commit it; apply it before the cluster manifest\n"
    )
    if not quiet:
        names = ", ".join(f"{c.namespace + '/' if c.namespace else ''}{c.name}-sa" for c in result.clusters)
        err(f"capz-wi: issuer {result.issuer}; Secret {names}; {len(result.changes)} change(s)\n")
        for c in result.changes:
            err(f"  {c.object}: {c.path}: {c.old!r} -> {c.new!r}\n")
        err(f"capz-wi: wrote the discovery documents under {discovery_dir}; upload them:\n")
        for line in upload_commands(result.issuer, discovery_dir):
            err(f"  {line}\n")
    write_stdout(join_streams(result.texts).encode("utf-8"))
    return 0


def register(app: typer.Typer) -> None:
    @app.command("workload-issuer")
    @with_issuer
    def workload_issuer_command(
        issuer: str,
        paths: Optional[list[str]] = typer.Argument(None, help="Files or directories; - or nothing reads stdin."),
        signing_key: str = typer.Option(..., "--signing-key", help="The private key (sa.key from capz-wi keys)."),
        public_key: str = typer.Option(..., "--public-key", help="The public key (sa.pub)."),
        secret_out: str = typer.Option(..., "--secret-out", help="Where to write the <cluster>-sa Secret (mode 0600)."),
        discovery_dir: str = typer.Option(..., "--discovery-dir", help="Where to write the discovery documents."),
        cluster_name: Optional[list[str]] = typer.Option(
            None, "--cluster-name", help="The cluster(s) of the Secret, when no Cluster object names them."
        ),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Only the private-key warning on stderr."),
    ) -> int:
        """Set the workload cluster's service-account issuer; write its <cluster>-sa Secret and discovery documents.

        The edited manifest goes to stdout; the Secret (private key) only to --secret-out.
        """
        return workload_issuer_cmd(
            issuer,
            signing_key, public_key, secret_out, discovery_dir, cluster_name or [], paths or [], quiet,
        )
