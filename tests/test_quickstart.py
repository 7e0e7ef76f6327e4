"""Unit tests of the quick-start helpers: JWKS and kid derivation, issuer normalisation, the kind config,
the federated credentials and the ``keys`` command's file handling."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from ruamel.yaml import YAML

import capz_wi
import capz_wi.quickstart as qs
from tests.conftest import FIXTURES
from tests.golden import run_cli

HERE = FIXTURES / "quickstart-helpers"
ISSUER = "https://capzwiissuer.blob.core.windows.net/oidc/"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _private(name: str):
    return serialization.load_pem_private_key((HERE / f"test-only-{name}.key").read_bytes(), password=None)


def _files(name: str) -> dict[str, str]:
    key = qs.load_public_key((HERE / f"test-only-{name}.pub").read_bytes())
    return qs.discovery_files(ISSUER, [key])


# --- JWKS -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sa", "rotated"])
def test_jwks_kid_and_modulus_follow_the_published_algorithm(name: str) -> None:
    # azwi jwks / Kubernetes: kid = base64.RawURLEncoding(sha256(x509.MarshalPKIXPublicKey(pub))); n, e unpadded
    pub = serialization.load_pem_public_key((HERE / f"test-only-{name}.pub").read_bytes())
    der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    nums = pub.public_numbers()
    keyset = json.loads(_files(name)[qs.JWKS_PATH])
    (entry,) = keyset["keys"]
    assert list(entry) == ["use", "kty", "kid", "alg", "n", "e"]
    assert entry["kid"] == _b64url(hashlib.sha256(der).digest())
    assert entry["n"] == _b64url(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big"))
    assert entry["e"] == "AQAB"
    assert (entry["use"], entry["kty"], entry["alg"]) == ("sig", "RSA", "RS256")  # RS256 for 3072 too


@pytest.mark.parametrize("name", ["sa", "rotated"])
def test_token_signed_with_the_private_key_verifies_against_the_jwks(name: str) -> None:
    keyset = json.loads(_files(name)[qs.JWKS_PATH])
    kid = keyset["keys"][0]["kid"]
    claims = {"iss": ISSUER, "sub": "system:serviceaccount:capz-system:capz-manager", "aud": "api://AzureADTokenExchange",
              "exp": int(time.time()) + 600}
    token = jwt.encode(claims, _private(name), algorithm="RS256", headers={"kid": kid})
    jwk = jwt.PyJWKSet.from_dict(keyset)[jwt.get_unverified_header(token)["kid"]]
    decoded = jwt.decode(token, jwk.key, algorithms=[jwk.algorithm_name], audience="api://AzureADTokenExchange", issuer=ISSUER)
    assert decoded["sub"] == claims["sub"]
    other = jwt.encode(claims, _private("rotated" if name == "sa" else "sa"), algorithm="RS256", headers={"kid": kid})
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(other, jwk.key, algorithms=["RS256"], audience="api://AzureADTokenExchange")


def test_ec_key_gets_es256_and_verifies_with_joserfc() -> None:
    from joserfc import jwt as jose_jwt
    from joserfc.jwk import KeySet

    files = _files("ec-p256")
    keyset = json.loads(files[qs.JWKS_PATH])
    (entry,) = keyset["keys"]
    assert list(entry) == ["use", "kty", "kid", "crv", "alg", "x", "y"]
    assert (entry["crv"], entry["alg"]) == ("P-256", "ES256")
    assert json.loads(files[qs.DISCOVERY_PATH])["id_token_signing_alg_values_supported"] == ["ES256"]
    pem = (HERE / "test-only-ec-p256.key").read_bytes()
    from joserfc.jwk import ECKey

    token = jose_jwt.encode({"alg": "ES256", "kid": entry["kid"]}, {"sub": "x"}, ECKey.import_key(pem))
    assert jose_jwt.decode(token, KeySet.import_key_set(keyset)).claims == {"sub": "x"}


def test_rotation_publishes_every_key_once() -> None:
    keys = [qs.load_public_key((HERE / f"test-only-{n}.pub").read_bytes()) for n in ("sa", "rotated", "sa")]
    keyset = json.loads(qs.discovery_files(ISSUER, keys)[qs.JWKS_PATH])
    assert [k["kid"] for k in keyset["keys"]] == [qs.key_id(keys[0]), qs.key_id(keys[1])]


def test_private_key_file_is_accepted_for_its_public_half() -> None:
    from_priv = qs.load_public_key((HERE / "test-only-sa.key").read_bytes())
    from_pub = qs.load_public_key((HERE / "test-only-sa.pub").read_bytes())
    assert qs.key_id(from_priv) == qs.key_id(from_pub)


# --- issuer -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://a.blob.core.windows.net/c", "https://a.blob.core.windows.net/c/"),
        ("https://a.blob.core.windows.net/c/", "https://a.blob.core.windows.net/c/"),
        ("https://a.blob.core.windows.net//c///", "https://a.blob.core.windows.net/c/"),
        ("https://a.z13.web.core.windows.net", "https://a.z13.web.core.windows.net/"),
        ("https://Issuer.Example.com/Path", "https://Issuer.Example.com/Path/"),  # no case change
    ],
)
def test_normalize_issuer(given: str, expected: str) -> None:
    assert qs.normalize_issuer(given) == expected
    assert qs.normalize_issuer(expected) == expected
    doc = qs.discovery_document(expected)
    assert doc["jwks_uri"] == expected + "openid/v1/jwks"


@pytest.mark.parametrize("bad", ["http://a.example.com/", "a.example.com/x", "https://a.example.com/?x=1", "https://u@a/", " https://a/"])
def test_normalize_issuer_refuses(bad: str) -> None:
    with pytest.raises(qs.RefusedError):
        qs.normalize_issuer(bad)


def test_issuer_from_storage_account_and_blob_location() -> None:
    iss = qs.issuer_from_storage_account("capzwiissuer", "oidc")
    assert iss == "https://capzwiissuer.blob.core.windows.net/oidc/"
    assert qs.blob_location(iss) == qs.BlobLocation("capzwiissuer", "oidc", "")
    assert qs.blob_location("https://acct.z6.web.core.windows.net/mgmt/") == qs.BlobLocation("acct", "$web", "mgmt/")
    assert qs.blob_location("https://issuer.example.com/") is None
    with pytest.raises(capz_wi.OptionsError):
        qs.issuer_from_storage_account("acct", "Bad_Container")


# --- kind config ------------------------------------------------------------------------------------------------


def test_kind_config_carries_exactly_the_quick_start_fields() -> None:
    key, pub = HERE / "test-only-sa.key", HERE / "test-only-sa.pub"
    text = qs.kind_config(ISSUER[:-1], str(key), str(pub), key.read_bytes(), pub.read_bytes())
    yaml = YAML(typ="safe", pure=True)
    doc = yaml.load(text)
    assert doc == {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "nodes": [
            {
                "role": "control-plane",
                "extraMounts": [
                    {"hostPath": str(pub), "containerPath": "/etc/kubernetes/pki/sa.pub"},
                    {"hostPath": str(key), "containerPath": "/etc/kubernetes/pki/sa.key"},
                ],
                "kubeadmConfigPatches": [doc["nodes"][0]["kubeadmConfigPatches"][0]],
            }
        ],
    }
    (patch,) = doc["nodes"][0]["kubeadmConfigPatches"]
    assert yaml.load(patch) == {  # unversioned: kind translates it for kubeadm v1beta3 and v1beta4
        "kind": "ClusterConfiguration",
        "apiServer": {
            "extraArgs": {
                "service-account-issuer": ISSUER,
                "service-account-key-file": "/etc/kubernetes/pki/sa.pub",
                "service-account-signing-key-file": "/etc/kubernetes/pki/sa.key",
            }
        },
        "controllerManager": {"extraArgs": {"service-account-private-key-file": "/etc/kubernetes/pki/sa.key"}},
    }


def test_kind_config_refuses_relative_paths_and_mismatched_keys() -> None:
    key, pub, other = (HERE / n for n in ("test-only-sa.key", "test-only-sa.pub", "test-only-rotated.pub"))
    with pytest.raises(qs.RefusedError, match="absolute"):
        qs.kind_config(ISSUER, "sa.key", str(pub), key.read_bytes(), pub.read_bytes())
    with pytest.raises(qs.RefusedError, match="not a key pair"):
        qs.kind_config(ISSUER, str(key), str(other), key.read_bytes(), other.read_bytes())


# --- federated credentials --------------------------------------------------------------------------------------


def test_federated_credentials_subjects_and_audience() -> None:
    creds = qs.federated_credentials("https://capzwiissuer.blob.core.windows.net/oidc")
    assert [c.subject for c in creds] == [
        "system:serviceaccount:capz-system:capz-manager",
        "system:serviceaccount:capz-system:azureserviceoperator-default",
    ]
    assert all(c.issuer == ISSUER and c.audiences == ("api://AzureADTokenExchange",) for c in creds)
    assert len({c.name for c in creds}) == 2


# --- keys command -----------------------------------------------------------------------------------------------


def test_keys_writes_a_private_key_0600_and_a_matching_public_key(tmp_path: Path) -> None:
    proc = run_cli(["keys", "--out-dir", str(tmp_path / "k"), "--bits", "3072"])
    assert proc.returncode == 0, proc.stderr
    key, pub = tmp_path / "k" / "sa.key", tmp_path / "k" / "sa.pub"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert proc.stdout.decode().splitlines() == [
        f"export SERVICE_ACCOUNT_SIGNING_KEY_FILE={key.resolve()}",
        f"export SERVICE_ACCOUNT_KEY_FILE={pub.resolve()}",
    ]
    assert pub.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert qs.check_pair(key.read_bytes(), pub.read_bytes(), "sa.key", "sa.pub").key_size == 3072
    assert b"PRIVATE" not in proc.stdout + proc.stderr
    assert sorted(p.name for p in (tmp_path / "k").iterdir()) == ["sa.key", "sa.pub"]  # no temporary left


def test_keys_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    assert run_cli(["keys", "--out-dir", str(tmp_path)]).returncode == 0
    before = (tmp_path / "sa.key").read_bytes()
    proc = run_cli(["keys", "--out-dir", str(tmp_path)])
    assert proc.returncode == 1 and proc.stdout == b""
    assert proc.stderr.decode() == f"capz-wi: error: {tmp_path / 'sa.key'} already exists; pass --force to replace it, or choose another --out-dir\n"
    assert (tmp_path / "sa.key").read_bytes() == before
    forced = run_cli(["keys", "--out-dir", str(tmp_path), "--force"])
    assert forced.returncode == 0
    assert (tmp_path / "sa.key").read_bytes() != before
    assert stat.S_IMODE((tmp_path / "sa.key").stat().st_mode) == 0o600


def test_private_key_is_created_with_mode_0600_exclusively(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key file is opened with O_CREAT|O_EXCL and 0600 itself (not chmod-ed afterwards), under any umask."""
    from capz_wi.cli import quickstart as cli_qs

    opened: list[tuple[str, int, int]] = []
    real_open = os.open

    def spy(path, flags, mode=0o777, *a, **k):  # records the real call, then performs it
        opened.append((str(path), flags, mode))
        return real_open(path, flags, mode, *a, **k)

    monkeypatch.setattr(os, "open", spy)
    old = os.umask(0)
    try:
        assert cli_qs.keys(str(tmp_path), 2048, False) == 0
    finally:
        os.umask(old)
    key_opens = [(f, m) for p, f, m in opened if "sa.key" in p]
    assert key_opens and all(m == 0o600 and f & os.O_EXCL and f & os.O_CREAT for f, m in key_opens)
    assert stat.S_IMODE((tmp_path / "sa.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "sa.pub").stat().st_mode) == 0o644


def test_library_does_not_import_cryptography_or_typer_on_import() -> None:
    import subprocess
    import sys

    code = "import sys, capz_wi.quickstart; print('cryptography' in sys.modules, 'typer' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_unwritable_output_is_one_line_exit_1(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    proc = run_cli(["keys", "--out-dir", str(tmp_path / "file" / "keys")])
    assert proc.returncode == 1 and proc.stdout == b""
    assert proc.stderr.decode() == f"capz-wi: error: cannot write {tmp_path / 'file' / 'keys' / 'sa.key'}: Not a directory; check the directory and its permissions\n"


def test_stale_temporary_files_do_not_block_writing(tmp_path: Path) -> None:
    (tmp_path / ".sa.key.1234.tmp").write_text("stale")
    assert run_cli(["keys", "--out-dir", str(tmp_path)]).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".sa.key.1234.tmp", "sa.key", "sa.pub"]


def test_exported_members_are_documented_and_sorted() -> None:
    assert list(qs.__all__) == sorted(qs.__all__)
    for name in qs.__all__:
        obj = getattr(qs, name)
        if callable(obj):
            assert obj.__doc__ and obj.__doc__.strip(), name
    public = {n for n in dir(qs) if not n.startswith("_") and not isinstance(getattr(qs, n), type(qs))}
    assert public <= set(qs.__all__) | {"annotations"}
