"""``capz-wi doctor``: passes a consistent set made by the other commands, and catches each kind of mismatch
in its own test, with the position of the offending value and a fix."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CLIENT_ID, FIXTURES
from tests.golden import run_cli

HERE = FIXTURES / "quickstart-helpers"
MANIFEST = FIXTURES / "quickstart-default" / "expected.yaml"  # transform output: WI identity, clientID CLIENT_ID
ISSUER = "https://capzwiissuer.blob.core.windows.net/oidc/"
SUB = "00000000-1111-2222-3333-444444444444"
LINE = re.compile(r"^(?P<where>.+?): error: (?P<message>.+); (?P<fix>.+) \[(?P<rule>[a-z-]+)\]$")


@dataclass
class Setup:
    dir: Path
    kind: Path
    discovery: Path
    fic: Path
    roles: Path
    key: Path
    pub: Path

    def args(self) -> list[str]:
        return [
            "doctor", "--issuer", ISSUER, "--kind-config", str(self.kind), "--discovery-dir", str(self.discovery),
            "--federated-credentials", str(self.fic), "--manifest", str(MANIFEST),
            "--role-assignments", str(self.roles), "--client-id", CLIENT_ID,
        ]


def _ok(args: list[str]) -> bytes:
    proc = run_cli(args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    """A consistent set, every file produced by the other capz-wi commands (role list as az prints it)."""
    key, pub = tmp_path / "sa.key", tmp_path / "sa.pub"
    shutil.copy(HERE / "test-only-sa.key", key)
    shutil.copy(HERE / "test-only-sa.pub", pub)
    kind = tmp_path / "kind.yaml"
    kind.write_bytes(_ok(["kind-config", "--storage-account", "capzwiissuer", "--container", "oidc",
                          "--signing-key", str(key), "--public-key", str(pub)]))
    _ok(["discovery", "--issuer", ISSUER[:-1], "--public-key", str(pub), "--out-dir", str(tmp_path / "discovery")])
    fic = tmp_path / "fic.json"
    fic.write_bytes(_ok(["federated-credentials", "--issuer", ISSUER, "-o", "json"]))
    roles = tmp_path / "roles.json"
    roles.write_text(json.dumps([
        {"principalId": "11111111-2222-3333-4444-555555555555", "roleDefinitionName": "Contributor",
         "scope": f"/subscriptions/{SUB}"},
    ], indent=2))
    return Setup(tmp_path, kind, tmp_path / "discovery", fic, roles, key, pub)


def _problems(args: list[str]) -> list[dict[str, str]]:
    proc = run_cli(args)
    assert proc.returncode == 1 and proc.stdout == b""
    lines = proc.stderr.decode().splitlines()
    assert lines[-1] == f"capz-wi: doctor: {len(lines) - 1} problem(s)"
    out = []
    for line in lines[:-1]:
        m = LINE.match(line)
        assert m, line
        out.append(m.groupdict())
    return out


def test_consistent_set_passes(setup: Setup) -> None:
    proc = run_cli(setup.args())
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"capz-wi: doctor: consistent\n")


def test_kind_config_alone_with_its_mounted_keys_passes(setup: Setup) -> None:
    proc = run_cli(["doctor", "--kind-config", str(setup.kind), "--discovery-dir", str(setup.discovery)])
    assert proc.returncode == 0, proc.stderr


def test_trailing_slash_mismatch(setup: Setup) -> None:
    creds = json.loads(setup.fic.read_text())
    creds[1]["issuer"] = ISSUER.rstrip("/")
    setup.fic.write_text(json.dumps(creds, indent=2))
    (p,) = _problems(setup.args())
    assert p["rule"] == "issuer-mismatch"
    assert p["where"] == f"{setup.fic}:12:15"  # the issuer value of the second credential
    assert p["message"].endswith(f"issuer {ISSUER.rstrip('/')!r} differs from {ISSUER!r} (--issuer): trailing slash")
    assert repr(ISSUER) in p["fix"]


def test_trailing_slash_mismatch_in_kind_config_is_located_inside_the_patch(setup: Setup) -> None:
    text = setup.kind.read_text().replace(f"service-account-issuer: {ISSUER}", f"service-account-issuer: {ISSUER[:-1]}")
    setup.kind.write_text(text)
    (p,) = _problems(setup.args())
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "service-account-issuer" in t)
    col = text.splitlines()[line - 1].index("https") + 1
    assert (p["rule"], p["where"]) == ("issuer-mismatch", f"{setup.kind}:{line}:{col}")
    assert "trailing slash" in p["message"]


def test_wrong_subject(setup: Setup) -> None:
    creds = json.loads(setup.fic.read_text())
    creds[0]["subject"] = "system:serviceaccount:capz-system:capz-controller-manager"
    setup.fic.write_text(json.dumps(creds, indent=2))
    problems = _problems(setup.args())
    assert [(p["rule"], p["where"]) for p in problems] == [
        ("credential-subject", f"{setup.fic}:5:16"),
        ("credential-subject", f"{setup.fic}:1:1"),
    ]
    assert "'system:serviceaccount:capz-system:capz-controller-manager' is not the CAPZ or ASO service account" in problems[0]["message"]
    assert problems[1]["message"] == "no federated credential has subject 'system:serviceaccount:capz-system:capz-manager'"


def test_subject_with_uppercase_letters(setup: Setup) -> None:
    creds = json.loads(setup.fic.read_text())
    creds[1]["subject"] = "system:serviceaccount:capz-system:AzureServiceOperator-default"
    setup.fic.write_text(json.dumps(creds, indent=2))
    problems = _problems(setup.args())
    assert problems[0]["rule"] == "credential-subject" and "uppercase" in problems[0]["message"]
    assert "case-sensitively" in problems[0]["fix"]


def test_wrong_audience(setup: Setup) -> None:
    creds = json.loads(setup.fic.read_text())
    creds[0]["audiences"] = ["api://AzureADTokenExchange/"]
    setup.fic.write_text(json.dumps(creds, indent=2))
    (p,) = _problems(setup.args())
    assert (p["rule"], p["where"]) == ("credential-audience", f"{setup.fic}:6:18")
    assert "lack 'api://AzureADTokenExchange'" in p["message"]


def test_missing_key(setup: Setup) -> None:
    # the JWKS was published for another key than the one the cluster signs with
    _ok(["discovery", "--issuer", ISSUER, "--public-key", str(HERE / "test-only-rotated.pub"),
         "--out-dir", str(setup.discovery)])
    (p,) = _problems(setup.args())
    assert (p["rule"], p["where"]) == ("jwks-missing-key", f"{setup.discovery}/openid/v1/jwks:2:11")
    assert f"lacks the key the cluster signs with ({setup.pub}" in p["message"]


def test_key_under_another_kid(setup: Setup) -> None:
    jwks = setup.discovery / "openid" / "v1" / "jwks"
    data = json.loads(jwks.read_text())
    data["keys"][0]["kid"] = "made-up"
    jwks.write_text(json.dumps(data, indent=2))
    (p,) = _problems(setup.args())
    assert p["rule"] == "jwks-missing-key" and "under kid 'made-up'" in p["message"]


def test_missing_discovery_file_and_mounted_key(setup: Setup) -> None:
    (setup.discovery / "openid" / "v1" / "jwks").unlink()
    setup.key.unlink()
    problems = _problems(["doctor", "--kind-config", str(setup.kind), "--discovery-dir", str(setup.discovery)])
    assert {(p["rule"], p["where"]) for p in problems} == {
        ("discovery-missing", f"{setup.key}:1:1"),
        ("discovery-missing", f"{setup.discovery}/openid/v1/jwks:1:1"),
    }


def test_jwks_uri_not_under_the_issuer(setup: Setup) -> None:
    path = setup.discovery / ".well-known" / "openid-configuration"
    doc = json.loads(path.read_text())
    doc["jwks_uri"] = "https://elsewhere.example.com/openid/v1/jwks"
    path.write_text(json.dumps(doc, indent=2))
    (p,) = _problems(setup.args())
    assert (p["rule"], p["where"]) == ("jwks-uri", f"{path}:3:15")


def test_uppercase_issuer_host(setup: Setup) -> None:
    upper = ISSUER.replace("capzwiissuer", "CapzWiIssuer")
    problems = _problems(["doctor", "--issuer", upper])
    assert [p["rule"] for p in problems] == ["issuer-form"]
    assert "uppercase" in problems[0]["message"]


def test_client_id_of_another_identity(setup: Setup) -> None:
    args = setup.args()
    args[args.index("--client-id") + 1] = "12345678-1234-1234-1234-123456789012"
    (p,) = _problems(args)
    assert (p["rule"], p["where"]) == ("identity-client-id", f"{MANIFEST}:128:3")


def test_missing_contributor_role(setup: Setup) -> None:
    setup.roles.write_text(json.dumps([
        {"principalId": "p", "roleDefinitionName": "Reader", "scope": f"/subscriptions/{SUB}"},
        {"principalId": "p", "roleDefinitionName": "Contributor", "scope": f"/subscriptions/{SUB}/resourceGroups/other"},
    ]))
    (p,) = _problems(setup.args())
    assert p["rule"] == "role-assignment" and "AuthorizationFailed" in p["message"]
    assert f"--scope /subscriptions/{SUB}" in p["fix"]


def test_contributor_on_the_cluster_resource_group_is_enough(setup: Setup) -> None:
    setup.roles.write_text(json.dumps([
        {"principalId": "p", "roleDefinitionName": "Owner", "scope": f"/subscriptions/{SUB}/resourceGroups/AZWI-quickstart"},
    ]))
    assert run_cli(setup.args()).returncode == 0


def test_nothing_to_check_is_a_usage_error() -> None:
    proc = run_cli(["doctor"])
    assert proc.returncode == 2 and proc.stdout == b"" and len(proc.stderr.splitlines()) == 1


def test_kind_patch_in_kubeadm_v1beta4_list_form_is_read() -> None:
    import capz_wi.quickstart as qs

    kind = (
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n  kubeadmConfigPatches:\n"
        "  - |\n    apiVersion: kubeadm.k8s.io/v1beta4\n    kind: ClusterConfiguration\n    apiServer:\n      extraArgs:\n"
        "      - name: service-account-issuer\n        value: https://capzwiissuer.blob.core.windows.net/oidc\n"
    )
    (p,) = qs.doctor(qs.DoctorInput(issuer=ISSUER, kind_config=qs.TextFile("kind.yaml", kind)))
    assert (p.rule, str(p.pos)) == ("issuer-mismatch", "kind.yaml:12:16")
    assert p.message.endswith("trailing slash")
