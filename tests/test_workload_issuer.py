"""``capz-wi workload-issuer``: golden cases (v1beta1 map, v1beta2 list, placeholder, ClusterClass template,
every refusal), the Secret's key material, the JWKS, file modes, no key material on stdout/stderr, every corpus
template with a KubeadmControlPlane, and README's section run step by step."""

from __future__ import annotations

import base64
import json
import shutil
import stat
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from ruamel.yaml import YAML

import capz_wi.quickstart as qs
from tests.conftest import FIXTURES, corpus_ids, corpus_templates, need_shared
from tests.golden import compare_tree, file_tree, run_cli
from tests.test_quickstart_readme import capz_wi_lines, run_walkthrough, section

KEYS = FIXTURES / "quickstart-helpers"
CASES = FIXTURES / "workload-issuer"
ISSUER = "https://capzwiworkload.blob.core.windows.net/wl-issuer/"
KEY_PEM = (KEYS / "test-only-sa.key").read_bytes()
PUB_PEM = (KEYS / "test-only-sa.pub").read_bytes()
_safe = YAML(typ="safe", pure=True)


def _run_case(case: str, tmp_path: Path) -> tuple[dict[str, bytes], Path]:
    out = tmp_path / "out"
    args = [
        a.format(keys=KEYS, out=out, case=CASES / case)
        for a in (CASES / case / "args").read_text().splitlines()
    ]
    proc = run_cli(args)

    def norm(data: bytes) -> bytes:
        return data.replace(str(tmp_path).encode(), b"<TMP>").replace(str(FIXTURES).encode(), b"<FIXTURES>")

    actual = {"stdout": norm(proc.stdout), "stderr": norm(proc.stderr), "exit-code": f"{proc.returncode}\n".encode()}
    actual.update({f"files/{k}": norm(v) for k, v in file_tree(out).items()})
    return actual, out


@pytest.mark.parametrize("case", sorted(d.name for d in CASES.iterdir() if (d / "args").is_file()))
def test_golden(case: str, tmp_path: Path, update_golden: bool) -> None:
    actual, out = _run_case(case, tmp_path)
    compare_tree(actual, CASES / case / "expected", update_golden)
    if case.startswith("error-"):
        assert actual["exit-code"] == b"1\n" and actual["stdout"] == b"" and not out.exists()
        assert len(actual["stderr"].splitlines()) == 1
    else:
        assert actual["exit-code"] == b"0\n"
        assert stat.S_IMODE((out / "secret.yaml").stat().st_mode) == 0o600
        # idempotent: the output, run through again, changes nothing
        again = qs.workload_issuer([qs.ManifestSource("o", actual["stdout"])], ISSUER if "static" not in str(
            (CASES / case / "args").read_text()) else "https://capzwiworkload.z13.web.core.windows.net/",
            KEY_PEM, PUB_PEM, cluster_names=("x",))
        assert again.changes == [] and again.texts[0].encode() == actual["stdout"]


def _edited_args(text: str) -> object:
    docs = [d for d in _safe.load_all(text) if d]
    out = []
    for d in docs:
        if d["kind"] == "KubeadmControlPlane":
            out.append(d["spec"]["kubeadmConfigSpec"]["clusterConfiguration"]["apiServer"]["extraArgs"])
        if d["kind"] == "KubeadmControlPlaneTemplate":
            out.append(d["spec"]["template"]["spec"]["kubeadmConfigSpec"]["clusterConfiguration"]["apiServer"]["extraArgs"])
    return out


def test_forms_follow_the_api_version() -> None:
    def run(case: str) -> object:
        src = (CASES / case / "input.yaml").read_text()
        result = qs.workload_issuer([qs.ManifestSource(case, src)], ISSUER, KEY_PEM, PUB_PEM, cluster_names=("wl",))
        return _edited_args(result.texts[0])

    assert run("v1beta1-map") == [{"cloud-provider": "external", "service-account-issuer": ISSUER}]
    assert run("v1beta2-list") == [[
        {"name": "cloud-provider", "value": "external"},
        {"name": "profiling", "value": "false"},
        {"name": "service-account-issuer", "value": ISSUER},
    ]]
    assert run("v1beta2-existing-issuer") == [[
        {"name": "service-account-issuer", "value": ISSUER},
        {"name": "cloud-provider", "value": "external"},
    ]]
    assert run("placeholder") == [{"cloud-provider": "external", "service-account-issuer": ISSUER}]
    assert run("no-extra-args") == [{"service-account-issuer": ISSUER}]


def test_secret_holds_the_pair_and_the_jwks_verifies_its_tokens(tmp_path: Path) -> None:
    src = (CASES / "v1beta1-map" / "input.yaml").read_text()
    result = qs.workload_issuer([qs.ManifestSource("in.yaml", src)], ISSUER, KEY_PEM, PUB_PEM)
    (secret,) = list(_safe.load_all(result.secret))
    assert secret["metadata"] == {
        "name": "wl-1-sa", "namespace": "team-a", "labels": {"cluster.x-k8s.io/cluster-name": "wl-1"},
    }
    assert secret["type"] == "cluster.x-k8s.io/secret"
    crt = base64.b64decode(secret["data"]["tls.crt"])
    key = serialization.load_pem_private_key(base64.b64decode(secret["data"]["tls.key"]), password=None)
    pub = serialization.load_pem_public_key(crt)
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(*spki) == pub.public_bytes(*spki)  # a pair
    keyset = json.loads(result.discovery[qs.JWKS_PATH])
    assert [k["kid"] for k in keyset["keys"]] == [qs.key_id(pub)]
    assert json.loads(result.discovery[qs.DISCOVERY_PATH])["issuer"] == ISSUER
    claims = {"iss": ISSUER, "sub": "system:serviceaccount:kube-system:azure-cloud-provider",
              "aud": "api://AzureADTokenExchange", "exp": int(time.time()) + 600}
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": keyset["keys"][0]["kid"]})
    jwk = jwt.PyJWKSet.from_dict(keyset)[jwt.get_unverified_header(token)["kid"]]
    assert jwt.decode(token, jwk.key, algorithms=["RS256"], audience="api://AzureADTokenExchange", issuer=ISSUER) == claims


def test_no_key_material_on_stdout_or_stderr(tmp_path: Path) -> None:
    actual, out = _run_case("v1beta1-map", tmp_path)
    secret = (out / "secret.yaml").read_bytes()
    key_b64 = base64.b64encode(KEY_PEM)
    assert key_b64 in secret
    body = b"".join(KEY_PEM.splitlines()[1:-1])
    for stream in (actual["stdout"], actual["stderr"]):
        assert key_b64[:40] not in stream and body[:40] not in stream and b"PRIVATE KEY" not in stream
    assert b"holds the clusters' private service-account key" in actual["stderr"]


@pytest.mark.parametrize("path", corpus_templates(), ids=corpus_ids(corpus_templates()))
def test_corpus_templates_get_the_issuer(path: Path) -> None:
    need_shared()
    src = path.read_text()
    docs = src.split("\n---\n")
    if "kind: KubeadmControlPlane" not in src:
        return  # AKS flavors have no KubeadmControlPlane: nothing to edit (asserted by the refusal test)
    has_cluster = any(d["kind"] == "Cluster" for d in _safe.load_all(src) if d)
    result = qs.workload_issuer(
        [qs.ManifestSource(str(path), src)], ISSUER, KEY_PEM, PUB_PEM,
        cluster_names=() if has_cluster else ("corpus-cluster",),
    )
    out_docs = result.texts[0].split("\n---\n")
    assert len(out_docs) == len(docs)
    edited = 0
    for before, after in zip(docs, out_docs):
        obj = _safe.load(before)
        if not (isinstance(obj, dict) and obj.get("kind") in ("KubeadmControlPlane", "KubeadmControlPlaneTemplate")):
            assert after == before  # untouched documents are byte-identical
        else:
            edited += 1
            assert _safe.load(after) == _with_issuer(obj)
            assert after.startswith(before.split("extraArgs:")[0])  # bytes before the first edit are kept
    assert edited >= 1 and len(result.changes) == edited
    assert result.clusters


def _with_issuer(doc: dict) -> dict:
    spec = doc["spec"] if doc["kind"] == "KubeadmControlPlane" else doc["spec"]["template"]["spec"]
    api = spec["kubeadmConfigSpec"].setdefault("clusterConfiguration", {}).setdefault("apiServer", {})
    api.setdefault("extraArgs", {})["service-account-issuer"] = ISSUER
    return doc


def test_corpus_without_control_plane_is_refused() -> None:
    need_shared()
    aks = [p for p in corpus_templates() if "kind: KubeadmControlPlane" not in p.read_text()]
    assert aks
    for p in aks:
        with pytest.raises(qs.RefusedError, match="no KubeadmControlPlane"):
            qs.workload_issuer([qs.ManifestSource(str(p), p.read_text())], ISSUER, KEY_PEM, PUB_PEM)


def test_readme_section_runs_step_by_step(tmp_path: Path) -> None:
    text = section("Workload identity inside workload clusters")
    lines = capz_wi_lines(text)
    assert [line.split("capz-wi ", 1)[1].split()[0] for line in lines] == ["keys", "workload-issuer"]
    shutil.copy(FIXTURES / "quickstart-default" / "input.yaml", tmp_path / "my-cluster.yaml")
    proc = run_walkthrough(lines, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE((tmp_path / "my-cluster-sa.yaml").stat().st_mode) == 0o600
    assert (tmp_path / "my-cluster-discovery" / "openid" / "v1" / "jwks").is_file()
    out = (tmp_path / "my-cluster-wi.yaml").read_text()
    assert "service-account-issuer: https://" in out


def test_cluster_and_control_plane_in_separate_files_and_stdin(tmp_path: Path) -> None:
    docs = (CASES / "v1beta1-map" / "input.yaml").read_text().split("\n---\n")
    (tmp_path / "cluster.yaml").write_text(docs[0] + "\n")
    cp = "---\n".join(d.rstrip("\n") + "\n" for d in docs[1:])
    args = ["workload-issuer", "--issuer", ISSUER, "--signing-key", str(KEYS / "test-only-sa.key"),
            "--public-key", str(KEYS / "test-only-sa.pub"), "--secret-out", str(tmp_path / "s.yaml"),
            "--discovery-dir", str(tmp_path / "d"), "-q", str(tmp_path / "cluster.yaml"), "-"]
    proc = run_cli(args, stdin=cp.encode())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == docs[0] + "\n---\n" + cp.replace(
        "cloud-provider: external   # out-of-tree cloud provider\n",
        f"cloud-provider: external   # out-of-tree cloud provider\n          service-account-issuer: {ISSUER}\n",
    )
    assert _safe.load((tmp_path / "s.yaml").read_text())["metadata"]["name"] == "wl-1-sa"
