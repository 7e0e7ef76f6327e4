"""The service-account issuer, its OpenID discovery document and its JWKS.

Entra ID reads ``iss`` from a token, fetches ``<issuer>.well-known/openid-configuration``, follows ``jwks_uri``
and looks up the token's ``kid`` there. The issuer string must therefore be the same, byte for byte, on the
apiserver, in the discovery document and in every federated credential: it is normalised once here (exactly one
trailing slash, no ``//`` in the path, no case change) and that one string is used everywhere.

The JWKS is what ``azwi jwks`` writes: ``{"keys": [{"use", "kty", "kid", "alg", "n", "e"}]}`` in that field order,
``kid`` = unpadded base64url(SHA-256(DER SubjectPublicKeyInfo)) as Kubernetes computes it for the tokens it signs,
``alg`` RS256 for RSA of any size, ES256/ES384/ES512 for P-256/P-384/P-521 keys.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from capz_wi._errors import OptionsError
from capz_wi.quickstart._errors import RefusedError
from capz_wi.quickstart._keys import key_id

#: Blob names (paths below the issuer) of the two documents.
DISCOVERY_PATH = ".well-known/openid-configuration"
JWKS_PATH = "openid/v1/jwks"

_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
_CONTAINER = re.compile(r"^(?:\$web|[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9])$")
_BLOB_HOST = re.compile(r"^([a-z0-9]{3,24})\.blob\.core\.windows\.net$")
_WEB_HOST = re.compile(r"^([a-z0-9]{3,24})\.(?:z\d+\.)?web\.core\.windows\.net$")
_CURVES = {"secp256r1": ("P-256", "ES256", 32), "secp384r1": ("P-384", "ES384", 48), "secp521r1": ("P-521", "ES512", 66)}


def normalize_issuer(url: str) -> str:
    """The issuer as every document must carry it: ``https://host/path/`` with one trailing slash.

    Runs of ``/`` in the path collapse to one; nothing changes case. Raises :class:`RefusedError` for an issuer
    that is not ``https`` (Entra only fetches https discovery documents) or that carries a query, a fragment,
    credentials or whitespace.
    """
    if url != url.strip() or any(c.isspace() for c in url):
        raise RefusedError(f"issuer {url!r} contains whitespace", None, "pass the URL without spaces")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise RefusedError(
            f"issuer {url!r} is not an https URL",
            None,
            "Entra ID only accepts https issuers; use https://<account>.blob.core.windows.net/<container>/ "
            "or the static-website endpoint",
        )
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise RefusedError(
            f"issuer {url!r} has a query, a fragment or credentials", None, "an OIDC issuer is a plain https URL"
        )
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if not path.endswith("/"):
        path += "/"
    return f"https://{parts.netloc}{path}"


def issuer_from_storage_account(account: str, container: str) -> str:
    """``https://<account>.blob.core.windows.net/<container>/``, the quick start's issuer.

    Raises :class:`capz_wi.OptionsError` for names Azure Storage would reject.
    """
    if not _ACCOUNT.match(account):
        raise OptionsError(f"{account!r} is not a storage account name", "storage-account", "use 3-24 lowercase letters and digits")
    if not _CONTAINER.match(container):
        raise OptionsError(
            f"{container!r} is not a container name", "container", "use 3-63 lowercase letters, digits and single hyphens"
        )
    return normalize_issuer(f"https://{account}.blob.core.windows.net/{container}/")


def issuer_from_static_website(url: str) -> str:
    """The storage account's static-website endpoint (``primaryEndpoints.web``) as the issuer.

    This is what the Azure workload identity project recommends now, since many organisations forbid public blob
    access; the documents then live in the ``$web`` container.
    """
    return normalize_issuer(url)


@dataclass(frozen=True)
class BlobLocation:
    """Where the issuer's documents live in Azure Storage: account, container and the blob-name prefix."""

    account: str
    container: str
    prefix: str


def blob_location(issuer: str) -> BlobLocation | None:
    """The storage account, container and blob prefix behind a blob or static-website issuer, else None."""
    parts = urlsplit(issuer)
    host = parts.netloc
    segments = [s for s in parts.path.split("/") if s]
    m = _BLOB_HOST.match(host)
    if m and segments:
        rest = "/".join(segments[1:])
        return BlobLocation(m.group(1), segments[0], rest + "/" if rest else "")
    m = _WEB_HOST.match(host)
    if m:
        rest = "/".join(segments)
        return BlobLocation(m.group(1), "$web", rest + "/" if rest else "")
    return None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int, size: int | None = None) -> bytes:
    return value.to_bytes(size or max(1, (value.bit_length() + 7) // 8), "big")


def jwk(public_key: Any) -> dict[str, str]:
    """The JWK of one public key, fields in ``azwi jwks`` (go-jose) order."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    kid = key_id(public_key)
    if isinstance(public_key, rsa.RSAPublicKey):
        nums = public_key.public_numbers()
        return {"use": "sig", "kty": "RSA", "kid": kid, "alg": "RS256", "n": _b64(_uint(nums.n)), "e": _b64(_uint(nums.e))}
    if isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.curve.name in _CURVES:
        crv, alg, size = _CURVES[public_key.curve.name]
        pn = public_key.public_numbers()
        return {
            "use": "sig",
            "kty": "EC",
            "kid": kid,
            "crv": crv,
            "alg": alg,
            "x": _b64(_uint(pn.x, size)),
            "y": _b64(_uint(pn.y, size)),
        }
    raise RefusedError(f"unsupported key type {type(public_key).__name__}", None, "use an RSA or P-256/384/521 EC key")


def jwks(public_keys: list[Any]) -> dict[str, list[dict[str, str]]]:
    """The JWKS of ``public_keys`` (several for rotation; duplicates by ``kid`` dropped, order kept)."""
    keys: list[dict[str, str]] = []
    seen: set[str] = set()
    for k in public_keys:
        entry = jwk(k)
        if entry["kid"] not in seen:
            seen.add(entry["kid"])
            keys.append(entry)
    return {"keys": keys}


def discovery_document(issuer: str, algorithms: list[str] | None = None) -> dict[str, Any]:
    """The five-field OpenID discovery document of the quick start for an already-normalised ``issuer``."""
    return {
        "issuer": issuer,
        "jwks_uri": issuer + JWKS_PATH,
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algorithms or ["RS256"],
    }


def to_json(obj: Any) -> str:
    """JSON as ``azwi`` writes it: two-space indent, a final newline."""
    return json.dumps(obj, indent=2) + "\n"


def discovery_files(issuer: str, public_keys: list[Any]) -> dict[str, str]:
    """Blob name -> content of the two documents to publish under ``issuer`` (normalised here)."""
    if not public_keys:
        raise RefusedError("no public key given", None, "pass --public-key sa.pub (repeat it to publish several keys)")
    iss = normalize_issuer(issuer)
    keyset = jwks(public_keys)
    algs = list(dict.fromkeys(k["alg"] for k in keyset["keys"]))
    return {DISCOVERY_PATH: to_json(discovery_document(iss, algs)), JWKS_PATH: to_json(keyset)}


def upload_commands(issuer: str, out_dir: str) -> list[str]:
    """``az storage blob upload`` commands for the files under ``out_dir`` (shell-quoted).

    For an issuer that is not an Azure Storage blob or static-website URL, a comment says where the files go.
    """
    iss = normalize_issuer(issuer)
    loc = blob_location(iss)
    base = out_dir.rstrip("/") or "/"
    if loc is None:
        return [f"# publish {base}/{p} at {iss}{p}" for p in (DISCOVERY_PATH, JWKS_PATH)]
    return [
        shlex.join(
            [
                "az", "storage", "blob", "upload",
                "--account-name", loc.account,
                "--container-name", loc.container,
                "--file", f"{base}/{p}",
                "--name", loc.prefix + p,
                "--content-type", "application/json",
                "--overwrite",
            ]
        )
        for p in (DISCOVERY_PATH, JWKS_PATH)
    ]
