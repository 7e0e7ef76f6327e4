"""Service-account key pairs: generate them, read them, and check that two files form a pair.

The quick start runs ``openssl genrsa -out sa.key 2048 && openssl rsa -in sa.key -pubout -out sa.pub``; these
functions do the same with ``cryptography`` (imported inside the functions, so the CLI starts fast). Everything
here is pure: PEM bytes in, PEM bytes or key objects out; the CLI reads and writes the files.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from capz_wi._errors import InputError, OptionsError, SourcePos
from capz_wi.quickstart._errors import RefusedError

#: RSA sizes ``capz-wi keys`` accepts (kube-apiserver and Entra accept all three; 2048 is the quick start's).
RSA_BITS = (2048, 3072, 4096)


@dataclass(frozen=True)
class KeyPair:
    """A generated key pair: ``private_pem`` (PKCS#8 ``PRIVATE KEY``, secret) and ``public_pem`` (SPKI ``PUBLIC KEY``)."""

    private_pem: bytes
    public_pem: bytes

    def __repr__(self) -> str:  # never show private key material in logs or tracebacks
        return f"KeyPair(private_pem=<redacted>, public_pem={len(self.public_pem)} bytes)"


def generate_key_pair(bits: int = 2048) -> KeyPair:
    """Generate an RSA service-account key pair, like the quick start's two openssl lines.

    Raises :class:`capz_wi.OptionsError` for a size other than 2048, 3072 or 4096.
    """
    if bits not in RSA_BITS:
        raise OptionsError(f"{bits} is not a supported RSA size", "bits", "use 2048, 3072 or 4096")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return KeyPair(private_pem, public_pem(key.public_key()))


def public_pem(key: Any) -> bytes:
    """SubjectPublicKeyInfo PEM (``-----BEGIN PUBLIC KEY-----``) of a public key object."""
    from cryptography.hazmat.primitives import serialization

    return bytes(key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def public_der(key: Any) -> bytes:
    """DER SubjectPublicKeyInfo of a public key object (what Go's ``x509.MarshalPKIXPublicKey`` returns)."""
    from cryptography.hazmat.primitives import serialization

    return bytes(key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def key_id(key: Any) -> str:
    """The ``kid`` kube-apiserver puts in the tokens it signs with ``key``'s private half.

    Kubernetes ``pkg/serviceaccount/openidmetadata.go`` (and ``azwi jwks``): unpadded base64url of the SHA-256 of
    the DER SubjectPublicKeyInfo.
    """
    digest = hashlib.sha256(public_der(key)).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _supported(key: Any, name: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if isinstance(key, rsa.RSAPublicKey):
        return key
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in ("secp256r1", "secp384r1", "secp521r1"):
        return key
    raise InputError(
        f"unsupported key type {type(key).__name__}", SourcePos(name, 1, 1), "use an RSA or P-256/P-384/P-521 EC key"
    )


def load_public_key(data: bytes, name: str = "<public key>") -> Any:
    """Read a PEM public key (``PUBLIC KEY`` or ``RSA PUBLIC KEY``); a private key is accepted for its public half.

    This is what ``azwi jwks --public-keys`` (client-go ``keyutil.PublicKeysFromFile``) accepts. Raises
    :class:`capz_wi.InputError` at ``name:1:1`` when the file holds no such key.
    """
    from cryptography.hazmat.primitives import serialization

    if b"PRIVATE KEY-----" in data:
        return _supported(load_private_key(data, name).public_key(), name)
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        key = serialization.load_pem_public_key(data)  # SPKI ``PUBLIC KEY`` and PKCS#1 ``RSA PUBLIC KEY``
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InputError(
            "not a PEM public key", SourcePos(name, 1, 1), "pass the sa.pub that `capz-wi keys` wrote"
        ) from None
    return _supported(key, name)


def load_private_key(data: bytes, name: str = "<private key>") -> Any:
    """Read an unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1). Raises :class:`capz_wi.InputError`.

    The error message never contains key material: cryptography's own message is dropped.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise InputError(
            "the private key is encrypted", SourcePos(name, 1, 1), "kube-apiserver needs an unencrypted key"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise InputError(
            "not a PEM private key", SourcePos(name, 1, 1), "pass the sa.key that `capz-wi keys` wrote"
        ) from None
    _supported(key.public_key(), name)
    return key


def check_pair(private_data: bytes, public_data: bytes, private_name: str, public_name: str) -> Any:
    """Return the public key when ``public_data`` is the public half of ``private_data``.

    Raises :class:`RefusedError` when they are not a pair: kube-apiserver would sign with one and publish the
    other, and every token exchange would fail.
    """
    private = load_private_key(private_data, private_name)
    public = load_public_key(public_data, public_name)
    if public_der(private.public_key()) != public_der(public):
        raise RefusedError(
            f"{private_name} and {public_name} are not a key pair",
            None,
            f"regenerate {public_name} from the private key (capz-wi keys writes both)",
        )
    return public
