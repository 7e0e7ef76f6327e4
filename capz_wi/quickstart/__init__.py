"""Quick-start helpers: the offline steps of the CAPZ workload identity quick start, as pure functions.

Keys (``generate_key_pair``), the issuer and its discovery documents (``normalize_issuer``, ``discovery_files``,
``jwks``), the kind management-cluster config (``kind_config``), the two federated credentials
(``federated_credentials``), the Azure setup script (``azure_setup_script``) and a consistency check over all of
them (``doctor``), and the workload cluster's own issuer, ``<cluster>-sa`` Secret and JWKS
(``workload_issuer``). ``cryptography`` is imported inside the functions that need it. The ``capz-wi keys``,
``discovery``, ``kind-config``, ``federated-credentials``, ``azure-setup`` and ``doctor`` commands are thin layers
over these functions.
"""

from __future__ import annotations

from capz_wi.quickstart._azure_setup import azure_setup_script
from capz_wi.quickstart._discovery import (
    DISCOVERY_PATH,
    JWKS_PATH,
    BlobLocation,
    blob_location,
    discovery_document,
    discovery_files,
    issuer_from_static_website,
    issuer_from_storage_account,
    jwk,
    jwks,
    normalize_issuer,
    upload_commands,
)
from capz_wi.quickstart._doctor import DoctorInput, TextFile, doctor, kind_mounts
from capz_wi.quickstart._errors import RefusedError
from capz_wi.quickstart._federated import (
    AUDIENCE,
    FederatedCredential,
    app_commands,
    federated_credentials,
    identity_commands,
)
from capz_wi.quickstart._keys import (
    KeyPair,
    check_pair,
    generate_key_pair,
    key_id,
    load_private_key,
    load_public_key,
)
from capz_wi.quickstart._kind import kind_config
from capz_wi.quickstart._workload_issuer import (
    Cluster,
    ManifestSource,
    WorkloadIssuerResult,
    secret_manifest,
    workload_issuer,
)

__all__ = [
    "AUDIENCE",
    "BlobLocation",
    "Cluster",
    "DISCOVERY_PATH",
    "DoctorInput",
    "FederatedCredential",
    "JWKS_PATH",
    "KeyPair",
    "ManifestSource",
    "RefusedError",
    "TextFile",
    "WorkloadIssuerResult",
    "app_commands",
    "azure_setup_script",
    "blob_location",
    "check_pair",
    "discovery_document",
    "discovery_files",
    "doctor",
    "federated_credentials",
    "generate_key_pair",
    "identity_commands",
    "issuer_from_static_website",
    "issuer_from_storage_account",
    "jwk",
    "jwks",
    "key_id",
    "kind_config",
    "kind_mounts",
    "load_private_key",
    "load_public_key",
    "normalize_issuer",
    "secret_manifest",
    "upload_commands",
    "workload_issuer",
]
