"""The quick start's kind management-cluster config, with the values filled in.

The block is the one in CAPZ ``docs/book/src/topics/workload-identity.md`` (unchanged from v1.11 to v1.26): both
keys mounted at kubeadm's default service-account key paths, and one *unversioned* ``ClusterConfiguration`` patch
so that kind translates it for kubeadm v1beta3 (map ``extraArgs``) and v1beta4 (list ``extraArgs``) alike.
"""

from __future__ import annotations

import os

from capz_wi import _yamlio as y
from capz_wi.quickstart._discovery import normalize_issuer
from capz_wi.quickstart._errors import RefusedError
from capz_wi.quickstart._keys import check_pair

#: Where kubeadm looks for the service-account keys; the mounts put the host files there.
SA_PUB = "/etc/kubernetes/pki/sa.pub"
SA_KEY = "/etc/kubernetes/pki/sa.key"


def kind_config(
    issuer: str,
    signing_key_path: str,
    public_key_path: str,
    signing_key_pem: bytes,
    public_key_pem: bytes,
    name: str | None = None,
) -> str:
    """The kind ``Cluster`` config of the quick start for ``issuer`` and the key pair at the two host paths.

    ``*_path`` are the absolute host paths to mount (the CLI resolves them, like the quick start's ``realpath``);
    ``*_pem`` their contents, checked to form a pair. Raises :class:`RefusedError` for a non-https issuer,
    relative paths, or keys that are not a pair (the apiserver would sign tokens no JWKS can verify).
    """
    iss = normalize_issuer(issuer)
    for p in (signing_key_path, public_key_path):
        if not os.path.isabs(p):
            raise RefusedError(f"{p!r} is not an absolute path", None, "kind mounts host paths; pass an absolute path")
    check_pair(signing_key_pem, public_key_pem, signing_key_path, public_key_path)
    head = f"name: {y.render_scalar(name)}\n" if name else ""
    return (
        "kind: Cluster\n"
        "apiVersion: kind.x-k8s.io/v1alpha4\n"
        f"{head}"
        "nodes:\n"
        "- role: control-plane\n"
        "  extraMounts:\n"
        f"    - hostPath: {y.render_scalar(public_key_path)}\n"
        f"      containerPath: {SA_PUB}\n"
        f"    - hostPath: {y.render_scalar(signing_key_path)}\n"
        f"      containerPath: {SA_KEY}\n"
        "  kubeadmConfigPatches:\n"
        "  - |\n"
        "    kind: ClusterConfiguration\n"
        "    apiServer:\n"
        "      extraArgs:\n"
        f"        service-account-issuer: {y.render_scalar(iss)}\n"
        f"        service-account-key-file: {SA_PUB}\n"
        f"        service-account-signing-key-file: {SA_KEY}\n"
        "    controllerManager:\n"
        "      extraArgs:\n"
        f"        service-account-private-key-file: {SA_KEY}\n"
    )
