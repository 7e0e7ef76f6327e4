"""The KRM function's ``workloadIssuer`` (issue 10): the issuer edit on the items, key files read from mounts."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from ruamel.yaml import YAML

from capz_wi import krm
from tests.conftest import FIXTURES, IDENTITY
from tests.krm.helpers import item_texts, split_docs, wrap

KEYS = FIXTURES / "quickstart-helpers"
ISSUER = "https://capzwiissuer.z6.web.core.windows.net/workload//"
NORMAL = "https://capzwiissuer.z6.web.core.windows.net/workload/"
QUICKSTART = (FIXTURES / "quickstart-default" / "input.yaml").read_text()
_y = YAML(typ="safe", pure=True)


def run(config: str, docs: list[str] | None = None) -> krm.Output:
    return krm.process(wrap(docs if docs is not None else split_docs(QUICKSTART), config).encode())


def config(**fields: str) -> str:
    fields = {"identityID": IDENTITY, **fields}
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fn\ndata:\n" + "".join(
        f"  {k}: {v!r}\n" for k, v in fields.items()
    )


def kcp(out: krm.Output) -> dict:
    items = [_y.load(t) for t in item_texts(out.text)]
    return next(i for i in items if i["kind"] == "KubeadmControlPlane")


def test_sets_the_issuer_on_the_control_plane_and_reports_the_kid() -> None:
    out = run(config(workloadIssuer=ISSUER, signingKeyFile=str(KEYS / "test-only-sa.key"),
                     publicKeyFile=str(KEYS / "test-only-sa.pub")))
    assert out.exit_code == 0, out.stderr
    args = kcp(out)["spec"]["kubeadmConfigSpec"]["clusterConfiguration"]["apiServer"]["extraArgs"]
    assert args == {"service-account-issuer": NORMAL}
    pub = serialization.load_pem_public_key((KEYS / "test-only-sa.pub").read_bytes())
    der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    kid = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    messages = [r.message for r in out.results]
    assert any(kid in m for m in messages), messages
    private = (KEYS / "test-only-sa.key").read_text()
    body = private.splitlines()[1]
    assert body not in out.text and all(body not in m for m in messages)
    assert "kind: Secret\n  metadata:\n    name: azwi-quickstart-sa" not in out.text, "the key never travels in items"


def test_other_items_stay_byte_identical() -> None:
    docs = split_docs(QUICKSTART)
    out = run(config(workloadIssuer=NORMAL), docs)
    before, after = item_texts(wrap(docs)), item_texts(out.text)
    changed = [i for i, (b, a) in enumerate(zip(before, after)) if a != b]
    kinds = sorted(_y.load(after[i])["kind"] for i in changed)
    assert kinds == ["AzureClusterIdentity", "AzureMachineTemplate", "AzureMachineTemplate", "KubeadmControlPlane"]


def test_keys_that_are_not_a_pair_are_an_error_and_nothing_changes() -> None:
    docs = split_docs(QUICKSTART)
    out = run(config(workloadIssuer=NORMAL, signingKeyFile=str(KEYS / "test-only-sa.key"),
                     publicKeyFile=str(KEYS / "test-only-rotated.pub")), docs)
    assert out.exit_code == 1
    assert len(out.stderr) == 1 and "pair" in out.stderr[0]
    assert item_texts(out.text) == item_texts(wrap(docs))


def test_no_control_plane_is_refused() -> None:
    docs = [d for d in split_docs(QUICKSTART) if "KubeadmControlPlane\n" not in d]
    out = run(config(workloadIssuer=NORMAL), docs)
    assert out.exit_code == 1 and "no item is a KubeadmControlPlane" in out.stderr[0]


def test_plain_http_issuer_is_a_config_error() -> None:
    out = run(config(workloadIssuer="http://example.com/"))
    assert out.exit_code == 1 and "workloadIssuer" in out.stderr[0] and "https" in out.stderr[0]


def test_unreadable_key_file_is_an_error(tmp_path: Path) -> None:
    out = run(config(workloadIssuer=NORMAL, signingKeyFile=str(tmp_path / "missing.key"),
                     publicKeyFile=str(KEYS / "test-only-sa.pub")))
    assert out.exit_code == 1 and "cannot read" in out.stderr[0] and "Traceback" not in out.stderr[0]
