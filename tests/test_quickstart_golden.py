"""Golden tests: the exact stdout, stderr, exit code and written files of every quick-start helper command.

The commands run as a user runs them (``python -m capz_wi``), on the test-only keys copied to a temporary
directory; that directory is written ``<TMP>`` in the expected files so they do not depend on the checkout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.golden import compare_tree, file_tree, run_cli

HERE = FIXTURES / "quickstart-helpers"
EXPECTED = HERE / "expected"
BLOB = "https://capzwiissuer.blob.core.windows.net/oidc"
SUB = "00000000-1111-2222-3333-444444444444"

CASES: dict[str, list[str]] = {
    "discovery-storage-account": [
        "discovery", "--storage-account", "capzwiissuer", "--container", "oidc",
        "--public-key", "{keys}/test-only-sa.pub", "--out-dir", "{out}",
    ],
    "discovery-issuer-normalised": [
        "discovery", "--issuer", BLOB + "//", "--public-key", "{keys}/test-only-sa.key", "--out-dir", "{out}",
    ],
    "discovery-static-website-rotation": [
        "discovery", "--static-website", "https://capzwiissuer.z13.web.core.windows.net",
        "--public-key", "{keys}/test-only-sa.pub", "--public-key", "{keys}/test-only-rotated.pub", "--out-dir", "{out}",
    ],
    "discovery-ec-other-host": [
        "discovery", "--issuer", "https://issuer.example.com//clusters/mgmt",
        "--public-key", "{keys}/test-only-ec-p256.pub", "--out-dir", "{out}",
    ],
    "kind-config": [
        "kind-config", "--issuer", BLOB, "--signing-key", "{keys}/test-only-sa.key", "--public-key", "{keys}/test-only-sa.pub",
    ],
    "kind-config-name-static-website": [
        "kind-config", "--static-website", "https://capzwiissuer.z13.web.core.windows.net/",
        "--signing-key", "{keys}/test-only-sa.key", "--public-key", "{keys}/test-only-sa.pub",
        "--name", "azure-workload-identity",
    ],
    "federated-credentials": [
        "federated-credentials", "--issuer", BLOB, "--identity-name", "capz-wi-identity", "--resource-group", "capz-wi-rg",
    ],
    "federated-credentials-app": [
        "federated-credentials", "--storage-account", "capzwiissuer", "--container", "oidc",
        "--app-id", "55555555-6666-7777-8888-999999999999",
    ],
    "federated-credentials-json-namespace": [
        "federated-credentials", "--issuer", BLOB, "--namespace", "capz", "-o", "json",
    ],
    "azure-setup": [
        "azure-setup", "--subscription-id", SUB, "--resource-group", "capz-wi-rg", "--identity-name", "capz-wi-identity",
        "--storage-account", "capzwiissuer", "--container", "oidc", "--location", "westeurope",
        "--discovery-dir", "{out}",
    ],
    "doctor-consistent": [
        "doctor", "--issuer", BLOB + "/", "--kind-config", "{keys}/doctor/kind.yaml", "--discovery-dir", "{keys}/doctor/discovery",
        "--federated-credentials", "{keys}/doctor/fic.json", "--public-key", "{keys}/test-only-sa.pub",
        "--manifest", "{keys}/doctor/manifest.yaml", "--role-assignments", "{keys}/doctor/roles.json",
        "--client-id", "55555555-6666-7777-8888-999999999999",
    ],
    "doctor-problems": [
        "doctor", "--issuer", BLOB + "/", "--kind-config", "{keys}/doctor/kind.yaml", "--discovery-dir", "{keys}/doctor/discovery",
        "--federated-credentials", "{keys}/doctor/fic-broken.json", "--public-key", "{keys}/test-only-rotated.pub",
        "--manifest", "{keys}/doctor/manifest.yaml", "--role-assignments", "{keys}/doctor/roles-reader.json",
        "--client-id", "12345678-1234-1234-1234-123456789012",
    ],
    "error-kind-config-http": [
        "kind-config", "--issuer", "http://capzwiissuer.blob.core.windows.net/oidc/",
        "--signing-key", "{keys}/test-only-sa.key", "--public-key", "{keys}/test-only-sa.pub",
    ],
    "error-kind-config-not-a-pair": [
        "kind-config", "--issuer", BLOB, "--signing-key", "{keys}/test-only-sa.key", "--public-key", "{keys}/test-only-rotated.pub",
    ],
    "error-kind-config-missing-key": [
        "kind-config", "--issuer", BLOB, "--signing-key", "{keys}/absent.key", "--public-key", "{keys}/test-only-sa.pub",
    ],
    "error-discovery-two-issuers": [
        "discovery", "--issuer", BLOB, "--static-website", "https://capzwiissuer.z13.web.core.windows.net/",
        "--public-key", "{keys}/test-only-sa.pub", "--out-dir", "{out}",
    ],
    "error-discovery-not-a-key": [
        "discovery", "--issuer", BLOB, "--public-key", "{keys}/README.md", "--out-dir", "{out}",
    ],
    "error-discovery-bad-account": [
        "discovery", "--storage-account", "Capz_WI", "--container", "oidc", "--public-key", "{keys}/test-only-sa.pub",
        "--out-dir", "{out}",
    ],
    "error-federated-credentials-uppercase-namespace": [
        "federated-credentials", "--issuer", BLOB, "--namespace", "CAPZ-system", "-o", "json",
    ],
    "error-azure-setup-bad-subscription": [
        "azure-setup", "--subscription-id", "not-a-guid", "--resource-group", "rg", "--identity-name", "id",
        "--storage-account", "capzwiissuer", "--container", "oidc",
    ],
    "error-keys-bad-bits": ["keys", "--out-dir", "{out}", "--bits", "1024"],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, tmp_path: Path, update_golden: bool) -> None:
    keys = tmp_path / "keys"
    shutil.copytree(HERE, keys, ignore=shutil.ignore_patterns("expected"))
    out = tmp_path / "out"
    args = [a.format(keys=keys, out=out) for a in CASES[case]]
    proc = run_cli(args)

    def norm(data: bytes) -> bytes:
        return data.replace(str(tmp_path).encode(), b"<TMP>")

    actual = {"stdout": norm(proc.stdout), "stderr": norm(proc.stderr), "exit-code": f"{proc.returncode}\n".encode()}
    actual.update({f"files/{k}": norm(v) for k, v in file_tree(out).items()})
    compare_tree(actual, EXPECTED / case, update_golden)
    if proc.returncode != 0 and not case.startswith("doctor"):  # refusals: one line, no stdout, nothing written
        assert proc.stdout == b"" and not out.exists()
        assert len(proc.stderr.splitlines()) == 1 and b"Traceback" not in proc.stderr
