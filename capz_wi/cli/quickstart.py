"""The quick-start helper commands: ``keys``, ``discovery``, ``kind-config``, ``federated-credentials``,
``azure-setup`` and ``doctor``.

Each is a thin layer over :mod:`capz_wi.quickstart`: read the files, call the library, write the files
(atomically; private keys created with mode 0600 from the first byte), print the commands to run.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Optional

import typer

from capz_wi._errors import InputError, OptionsError, SourcePos
from capz_wi.cli._params import option_group

ISSUER_HELP = "The service-account issuer URL (https; normalised to exactly one trailing slash)."


# ---------------------------------------------------------------------------------------------------------------
# File helpers shared with ``capz-wi workload-issuer``


def read_bytes(path: str) -> bytes:
    """A file's bytes; a missing or unreadable file is an InputError at ``path:1:1``."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", SourcePos(path, 1, 1), "check the path") from None
    except IsADirectoryError:
        raise InputError("is a directory", SourcePos(path, 1, 1), "pass a file") from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", SourcePos(path, 1, 1)) from None


def read_text(path: str) -> str:
    from capz_wi import _yamlio as y

    return y.decode(read_bytes(path), path)[0]


def write_file(path: Path, data: bytes, mode: int, *, replace: bool = True) -> None:
    """Write ``data`` to ``path`` atomically, the file carrying ``mode`` from its creation on.

    The bytes go to a temporary file in the same directory, created by ``tempfile.mkstemp`` (``O_CREAT | O_EXCL``,
    mode 0600, so a private key is never readable by others, even briefly), then renamed over ``path``
    (``replace``) or hard-linked to it, which fails when ``path`` exists. A failure leaves no half-written file
    behind and is a one-line RefusedError (exit 1).
    """
    import tempfile

    from capz_wi.quickstart import RefusedError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp: O_CREAT | O_EXCL, mode 0600, a fresh random name (a stale temporary never gets in the way)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise RefusedError(f"cannot write {path}: {exc.strerror}", None, "check the directory and its permissions") from None
    tmp = Path(name)
    try:
        try:
            os.fchmod(fd, mode)  # 0600 stays 0600; a public file widens to its mode only now, still empty
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise RefusedError(f"{path} already exists", None, "pass --force to replace it") from None
    except OSError as exc:
        raise RefusedError(f"cannot write {path}: {exc.strerror}", None, "check the directory and its permissions") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _note(text: str) -> None:
    sys.stderr.write(text.rstrip("\n") + "\n")


def resolve_issuer(issuer: Optional[str], storage_account: Optional[str], container: Optional[str], static_website: Optional[str]) -> str:
    """Exactly one way to name the issuer: ``--issuer``, ``--storage-account`` + ``--container`` or ``--static-website``."""
    from capz_wi.quickstart import issuer_from_static_website, issuer_from_storage_account, normalize_issuer

    given = [n for n, v in (("--issuer", issuer), ("--storage-account", storage_account), ("--static-website", static_website)) if v]
    if container and not storage_account:
        raise OptionsError("--container needs --storage-account", "container")
    if len(given) != 1:
        raise OptionsError(
            "name the issuer once" if given else "no issuer given",
            "issuer",
            "pass --issuer URL, --storage-account NAME --container NAME, or --static-website URL",
        )
    if storage_account:
        if not container:
            raise OptionsError("--storage-account needs --container", "container")
        return issuer_from_storage_account(storage_account, container)
    if static_website:
        return issuer_from_static_website(static_website)
    assert issuer is not None
    return normalize_issuer(issuer)


ISSUER_OPTIONS = dict(
    issuer=typer.Option(None, "--issuer", help=ISSUER_HELP),
    storage_account=typer.Option(None, "--storage-account", help="Build the issuer https://ACCOUNT.blob.core.windows.net/CONTAINER/."),
    container=typer.Option(None, "--container", help="The blob container of --storage-account."),
    static_website=typer.Option(None, "--static-website", help="The storage account's static-website endpoint as the issuer."),
)
#: Decorator: the command declares ``issuer: str`` (normalised) and gets the four ways to name it.
with_issuer = option_group(ISSUER_OPTIONS, dict.fromkeys(ISSUER_OPTIONS, Optional[str]), resolve_issuer, "issuer")


# ---------------------------------------------------------------------------------------------------------------


def keys(out_dir: str, bits: int, force: bool) -> int:
    """Write ``sa.key`` (0600) and ``sa.pub`` into ``out_dir``; print the two export lines."""
    from capz_wi.quickstart import RefusedError, generate_key_pair

    base = Path(out_dir)
    key_path, pub_path = base / "sa.key", base / "sa.pub"
    if not force:
        for p in (key_path, pub_path):
            if p.exists() or p.is_symlink():
                raise RefusedError(f"{p} already exists", None, "pass --force to replace it, or choose another --out-dir")
    pair = generate_key_pair(bits)
    write_file(key_path, pair.private_pem, 0o600, replace=force)
    try:
        write_file(pub_path, pair.public_pem, 0o644, replace=force)
    except BaseException:
        if not force:
            key_path.unlink(missing_ok=True)  # never leave half a pair behind
        raise
    _note(f"capz-wi: wrote {key_path} (private, mode 0600) and {pub_path}; never commit {key_path.name}")
    _out(
        f"export SERVICE_ACCOUNT_SIGNING_KEY_FILE={shlex.quote(os.path.realpath(key_path))}\n"
        f"export SERVICE_ACCOUNT_KEY_FILE={shlex.quote(os.path.realpath(pub_path))}\n"
    )
    return 0


def discovery(issuer: str, public_keys: list[str], out_dir: str) -> int:
    """Write the discovery document and the JWKS under ``out_dir``; print the upload commands."""
    from capz_wi.quickstart import discovery_files, load_public_key, upload_commands

    if not public_keys:
        raise OptionsError("no public key given", "public-key", "pass --public-key sa.pub (repeat it for rotation)")
    loaded = [load_public_key(read_bytes(p), p) for p in public_keys]
    files = discovery_files(issuer, loaded)
    for name, text in files.items():
        write_file(Path(out_dir) / name, text.encode("utf-8"), 0o644)
    _note(f"capz-wi: wrote {', '.join(str(Path(out_dir) / n) for n in files)} for issuer {issuer}")
    _out("".join(c + "\n" for c in upload_commands(issuer, out_dir)))
    return 0


def kind_config_cmd(issuer: str, signing_key: str, public_key: str, name: Optional[str]) -> int:
    from capz_wi.quickstart import kind_config

    text = kind_config(
        issuer,
        os.path.realpath(signing_key),
        os.path.realpath(public_key),
        read_bytes(signing_key),
        read_bytes(public_key),
        name,
    )
    _out(text)
    return 0


def federated_credentials_cmd(
    issuer: str, identity_name: Optional[str], resource_group: Optional[str], namespace: str, app_id: Optional[str], output: str
) -> int:
    from capz_wi.quickstart import app_commands, federated_credentials, identity_commands

    if output not in ("text", "json"):
        raise OptionsError(f"{output!r} is not an output format", "output", "use text or json")
    creds = federated_credentials(issuer, namespace)
    if output == "json":
        _out(json.dumps([c.body() for c in creds], indent=2) + "\n")
        return 0
    if app_id:
        lines = app_commands(creds, app_id)
    else:
        if not identity_name or not resource_group:
            raise OptionsError(
                "--identity-name and --resource-group are required", "identity-name", "or pass --app-id for an AD application"
            )
        lines = identity_commands(creds, identity_name, resource_group)
    _out("".join(line + "\n" for line in lines))
    return 0


def doctor_cmd(
    issuer: Optional[str],
    kind_config: Optional[str],
    discovery_dir: Optional[str],
    federated_credentials: Optional[str],
    manifest: Optional[str],
    public_keys: list[str],
    role_assignments: Optional[str],
    namespace: str,
    client_id: Optional[str],
) -> int:
    from capz_wi.quickstart import DoctorInput, TextFile, doctor, kind_mounts, load_public_key
    from capz_wi.quickstart._doctor import discovery_paths, kind_key_paths

    def text(path: Optional[str]) -> Optional[TextFile]:
        return TextFile(path, read_text(path)) if path else None

    missing: list[tuple[str, str]] = []
    keys_: list[tuple[str, object]] = [(p, load_public_key(read_bytes(p), p)) for p in public_keys]
    kind = text(kind_config)
    if kind is not None and not public_keys:
        for host, role in kind_key_paths(kind_mounts(kind.text, kind.name)):
            if os.path.exists(host):
                keys_.append((host, load_public_key(read_bytes(host), host)))
            else:
                missing.append((host, f"the {role} the kind config mounts"))
    disc = jwks_file = None
    if discovery_dir:
        for path, what in zip(discovery_paths(discovery_dir), ("discovery document", "JWKS")):
            if os.path.isfile(path):
                if what == "JWKS":
                    jwks_file = text(path)
                else:
                    disc = text(path)
            else:
                missing.append((path, f"the {what}"))
    problems = doctor(
        DoctorInput(
            issuer=issuer,
            kind_config=kind,
            discovery=disc,
            jwks=jwks_file,
            federated_credentials=text(federated_credentials),
            manifest=text(manifest),
            role_assignments=text(role_assignments),
            public_keys=tuple(keys_),
            missing=tuple(missing),
            namespace=namespace,
            client_id=client_id,
        )
    )
    for p in problems:
        where = str(p.pos) if p.pos else "capz-wi: doctor"
        _note(f"{where}: error: {p.message}; {p.hint} [{p.rule}]")
    if problems:
        _note(f"capz-wi: doctor: {len(problems)} problem(s)")
        return 1
    _note("capz-wi: doctor: consistent")
    return 0


# ---------------------------------------------------------------------------------------------------------------


def register(app: typer.Typer) -> None:
    @app.command("keys")
    def keys_command(
        out_dir: str = typer.Option(".", "--out-dir", help="Directory for sa.key and sa.pub (created if missing)."),
        bits: int = typer.Option(2048, "--bits", help="RSA key size: 2048, 3072 or 4096."),
        force: bool = typer.Option(False, "--force", help="Replace existing sa.key/sa.pub."),
    ) -> int:
        """Generate the service-account key pair (sa.key mode 0600, sa.pub) and print the export lines."""
        return keys(out_dir, bits, force)

    @app.command("discovery")
    @with_issuer
    def discovery_command(
        issuer: str,
        public_key: Optional[list[str]] = typer.Option(None, "--public-key", help="A public key to publish (repeatable)."),
        out_dir: str = typer.Option("discovery", "--out-dir", help="Where to write the two documents."),
    ) -> int:
        """Write .well-known/openid-configuration and openid/v1/jwks; print the az storage blob upload commands."""
        return discovery(issuer, public_key or [], out_dir)

    @app.command("kind-config")
    @with_issuer
    def kind_config_command(
        issuer: str,
        signing_key: str = typer.Option(..., "--signing-key", help="The private key (sa.key)."),
        public_key: str = typer.Option(..., "--public-key", help="The public key (sa.pub)."),
        name: Optional[str] = typer.Option(None, "--name", help="The kind cluster name."),
    ) -> int:
        """Print the quick start's kind Cluster config: kind create cluster --config=<(capz-wi kind-config ...)."""
        return kind_config_cmd(issuer, signing_key, public_key, name)

    @app.command("federated-credentials")
    @with_issuer
    def federated_credentials_command(
        issuer: str,
        identity_name: Optional[str] = typer.Option(None, "--identity-name", help="The user-assigned identity."),
        resource_group: Optional[str] = typer.Option(None, "--resource-group", help="Its resource group."),
        namespace: str = typer.Option("capz-system", "--namespace", help="Namespace of capz-manager and ASO."),
        app_id: Optional[str] = typer.Option(None, "--app-id", help="An AD application instead of an identity."),
        output: str = typer.Option("text", "--output", "-o", help="text (az commands) or json (credential bodies)."),
    ) -> int:
        """Print the two federated credentials (CAPZ and ASO) as az commands or JSON."""
        return federated_credentials_cmd(
            issuer,
            identity_name, resource_group, namespace, app_id, output,
        )

    @app.command("azure-setup")
    def azure_setup_command(
        subscription_id: str = typer.Option(..., "--subscription-id", help="The subscription for the clusters."),
        resource_group: str = typer.Option(..., "--resource-group", help="Resource group of identity and storage."),
        identity_name: str = typer.Option(..., "--identity-name", help="Name of the user-assigned identity."),
        storage_account: str = typer.Option(..., "--storage-account", help="Storage account hosting the issuer."),
        container: str = typer.Option(..., "--container", help="Its container."),
        location: str = typer.Option("eastus", "--location", help="Azure location."),
        namespace: str = typer.Option("capz-system", "--namespace", help="Namespace of capz-manager and ASO."),
        discovery_dir: str = typer.Option("discovery", "--discovery-dir", help="Where capz-wi discovery wrote the documents."),
    ) -> int:
        """Print every az command of the quick start as one reviewable shell script (runs nothing)."""
        from capz_wi.quickstart import azure_setup_script

        _out(azure_setup_script(subscription_id, resource_group, identity_name, storage_account, container, location, namespace, discovery_dir))
        return 0

    @app.command("doctor")
    def doctor_command(
        issuer: Optional[str] = typer.Option(None, "--issuer", help="The issuer the management cluster uses."),
        kind_config: Optional[str] = typer.Option(None, "--kind-config", help="The kind config file."),
        discovery_dir: Optional[str] = typer.Option(None, "--discovery-dir", help="The directory capz-wi discovery wrote."),
        federated_credentials: Optional[str] = typer.Option(
            None, "--federated-credentials", help="JSON of az identity federated-credential list."
        ),
        manifest: Optional[str] = typer.Option(None, "--manifest", help="The cluster manifest."),
        public_key: Optional[list[str]] = typer.Option(None, "--public-key", help="The key the cluster signs with (repeatable)."),
        role_assignments: Optional[str] = typer.Option(
            None, "--role-assignments", help="JSON of az role assignment list --assignee ... --all."
        ),
        namespace: str = typer.Option("capz-system", "--namespace", help="Namespace of capz-manager and ASO."),
        client_id: Optional[str] = typer.Option(None, "--client-id", help="Client ID of the identity holding the credentials."),
    ) -> int:
        """Check offline that issuer, kind config, discovery documents, credentials, manifest and roles agree.

        Each problem is one line with a fix; exit 0 when consistent, 1 otherwise.
        """
        return doctor_cmd(
            issuer, kind_config, discovery_dir, federated_credentials, manifest, public_key or [], role_assignments,
            namespace, client_id,
        )
