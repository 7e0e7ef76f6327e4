"""No secret value ever reaches a report: marker values are planted in every place a secret lives and every output
that is not the manifest itself is searched for them (plain and base64).

Planted: a clientSecret-backed Secret (``stringData`` and ``data``), an ASO credential Secret's
``AZURE_CLIENT_SECRET``, a literal string written where ``clientSecret`` should be a reference (a common mistake),
and the same values in broken inputs, whose error messages must not quote them either.
Searched: library changes/findings, CLI stderr (summary, --check, --in-place), --diff, -o patch, capz-wi check
(text, json, sarif) and the library's ``check`` findings, KRM results (transform and check mode) and stderr.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest

import capz_wi
from capz_wi.cli import main as cli_main
from tests.test_reliability_adapters import ENV_VARS, OPTIONS, call, load_all, run_krm, wrap_resource_list

MARKERS = ["S3CR3T-stringdata-7f3a91", "S3CR3T-data-0c55e2", "S3CR3T-aso-b41d07", "S3CR3T-literal-9e62aa"]
ENCODED = [base64.b64encode(m.encode()).decode() for m in MARKERS]
NEEDLES = MARKERS + ENCODED + [e.rstrip("=") for e in ENCODED]

STREAM = f"""apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureClusterIdentity
metadata:
  name: cluster-identity
  namespace: default
spec:
  type: ServicePrincipal
  allowedNamespaces: {{}}
  clientID: 11111111-2222-3333-4444-555555555555
  tenantID: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
  clientSecret:
    name: cluster-identity-secret
    namespace: default
---
apiVersion: v1
kind: Secret
metadata:
  name: cluster-identity-secret
  namespace: default
type: Opaque
stringData:
  clientSecret: {MARKERS[0]}
data:
  clientSecretB64: {ENCODED[1]}
---
apiVersion: v1
kind: Secret
metadata:
  name: aso-credential
  namespace: default
stringData:
  AZURE_CLIENT_ID: 11111111-2222-3333-4444-555555555555
  AZURE_TENANT_ID: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
  AZURE_SUBSCRIPTION_ID: 00000000-1111-2222-3333-444444444444
  AZURE_CLIENT_SECRET: "{MARKERS[2]}"
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureClusterIdentity
metadata:
  name: literal-identity
  namespace: default
spec:
  type: ManualServicePrincipal
  clientID: 11111111-2222-3333-4444-555555555555
  tenantID: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
  clientSecret: {MARKERS[3]}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureMachineTemplate
metadata:
  name: md-0
  namespace: default
spec:
  template:
    spec:
      vmSize: Standard_B2s
""".encode()

#: Broken inputs whose bad spot sits inside or right next to a secret value.
BROKEN = {
    "bad-escape-in-secret": STREAM.replace(f'"{MARKERS[2]}"'.encode(), f'"{MARKERS[2]}\\q"'.encode()),
    "invalid-utf8-in-secret": STREAM.replace(MARKERS[0].encode(), MARKERS[0].encode() + b"\xff"),
    "nul-in-secret": STREAM.replace(MARKERS[0].encode(), MARKERS[0].encode() + b"\x00"),
    "unclosed-quote-in-secret": STREAM.replace(f'"{MARKERS[2]}"'.encode(), f'"{MARKERS[2]}'.encode()),
    "duplicate-secret-key": STREAM.replace(
        f"  clientSecret: {MARKERS[0]}\n".encode(), f"  clientSecret: {MARKERS[0]}\n  clientSecret: {MARKERS[0]}\n".encode()
    ),
    "secret-as-key": STREAM.replace(b"type: Opaque\n", f"type: Opaque\n{MARKERS[0]}: [unclosed\n".encode()),
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def assert_clean(text: str | bytes, where: str) -> None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    leaked = [n for n in NEEDLES if n in text]
    assert not leaked, f"{where} shows a secret value: {leaked}"


def test_markers_are_in_the_input() -> None:
    """The search can fail: every marker is in the input, and the manifest output keeps the Secrets' values."""
    text = STREAM.decode()
    assert all(m in text for m in (MARKERS[0], ENCODED[1], MARKERS[2], MARKERS[3]))
    result = capz_wi.transform(STREAM, capz_wi.Options.from_mapping(OPTIONS))
    assert MARKERS[0] in result.text  # the backing Secret is kept (reported) unless --prune-secret
    assert MARKERS[2] not in result.text  # the ASO credential loses AZURE_CLIENT_SECRET
    assert MARKERS[3] not in result.text  # the literal clientSecret is removed


@pytest.mark.parametrize("prune", [False, True])
def test_library_reports(prune: bool) -> None:
    result = capz_wi.transform(STREAM, capz_wi.Options.from_mapping({**OPTIONS, "pruneSecret": prune}))
    assert result.ok and result.changes
    assert_clean("\n".join(map(str, result.changes)), "Change")
    assert_clean(repr(result.changes), "Change values")
    assert_clean("\n".join(map(str, result.findings)) + repr(result.findings), "Finding")
    assert_clean(repr(result.removed), "removed")


def test_library_check_findings() -> None:
    found = capz_wi.check(STREAM, capz_wi.Options.from_mapping(OPTIONS))
    assert found.findings
    assert_clean("\n".join(map(str, found.findings)) + repr(found.findings), "check finding")


FLAGS = ["--identity-id", OPTIONS["identityID"], "--client-id", OPTIONS["clientID"], "--tenant-id", OPTIONS["tenantID"]]
CLI_RUNS = {
    "summary": (["transform", "-"], "stderr"),
    "summary-prune": (["transform", "-", "--prune-secret"], "stderr"),
    "diff": (["transform", "-", "--diff"], "both"),
    "diff-prune": (["transform", "-", "--diff", "--prune-secret"], "both"),
    "check-diff": (["transform", "-", "--check", "--diff", "--prune-secret"], "both"),
    "patch": (["transform", "-", "-o", "patch", "--prune-secret"], "both"),
    "check-text": (["check", "-"], "both"),
    "check-json": (["check", "-", "-o", "json"], "both"),
    "check-sarif": (["check", "-", "-o", "sarif"], "both"),
}


@pytest.mark.parametrize("name", list(CLI_RUNS))
def test_cli_outputs(name: str) -> None:
    argv, streams = CLI_RUNS[name]
    flags = FLAGS if argv[0] == "transform" else []
    code, out, err = call(cli_main, [*argv, *flags], STREAM)
    assert code in (0, 1), err
    assert err.strip() or out.strip(), "nothing to search"
    assert_clean(err, f"{name} stderr")
    if streams == "both":
        assert_clean(out, f"{name} stdout")


def test_cli_in_place_and_check(tmp_path: Path) -> None:
    target = tmp_path / "cluster.yaml"
    target.write_bytes(STREAM)
    code, out, err = call(cli_main, ["transform", "--check", str(target), *FLAGS], b"")
    assert code == 1 and "would change" in err
    assert_clean(err, "--check stderr")
    code, out, err = call(cli_main, ["transform", "--in-place", "--prune-secret", str(target), *FLAGS], b"")
    assert code == 0 and "rewritten" in err
    assert_clean(err + out.decode(), "--in-place output")
    assert MARKERS[0] not in target.read_text()  # pruned from the file itself


@pytest.mark.parametrize("mode", ["transform", "check"])
def test_krm_results(mode: str, tmp_path: Path) -> None:
    o = run_krm({**OPTIONS, "mode": mode, "pruneSecret": True}, STREAM, tmp_path)
    assert o.resource_list is not None and o.resource_list["results"], o.stderr
    assert_clean(json.dumps(o.resource_list["results"]), f"KRM {mode} results")
    assert_clean(o.stderr, f"KRM {mode} stderr")


@pytest.mark.parametrize("name", list(BROKEN))
def test_errors_never_quote_secrets(name: str, tmp_path: Path) -> None:
    data = BROKEN[name]
    with pytest.raises(capz_wi.CapzWiError) as err:
        capz_wi.transform(data, capz_wi.Options.from_mapping(OPTIONS), file="in.yaml")
    assert_clean(str(err.value), f"{name}: library error")
    code, out, stderr = call(cli_main, ["transform", "-", *FLAGS], data)
    assert code == 1 and out == b"" and stderr.strip()
    assert_clean(stderr, f"{name}: CLI stderr")
    o = run_krm(OPTIONS, data, tmp_path)
    assert o.code == 1 and o.resource_list is not None
    assert_clean(json.dumps(o.resource_list.get("results")), f"{name}: KRM results")
    assert_clean(o.stderr, f"{name}: KRM stderr")
    code, out, stderr = call(cli_main, ["check", "-"], data)
    assert code == 1
    assert_clean(stderr + out.decode("utf-8", "replace"), f"{name}: check output")


def test_unsafe_values_in_wrapped_list_are_still_items() -> None:
    """The KRM envelope used above really carries the Secrets (so the KRM searches are meaningful)."""
    items = load_all(wrap_resource_list(STREAM, OPTIONS))[0]["items"]
    assert any(i.get("stringData", {}).get("clientSecret") == MARKERS[0] for i in items)
