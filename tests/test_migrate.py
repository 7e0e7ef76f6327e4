"""``capz-wi migrate``: golden cases under tests/fixtures/migrate/<case>/ and behaviour the cases do not pin down.

A case holds ``input.yaml`` (an exported ``kubectl get -o yaml`` List, written for this project), ``options.yaml``
and ``expected-stderr.txt`` (findings, then the plan); ``expected.yaml`` holds the exact manifest to apply
(absent when nothing is applied) and ``expected-exit.txt`` a non-zero exit code. ``pytest --update-golden``
rewrites them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import capz_wi
from capz_wi._migrate import MAX_NAME, migrate, new_name
from tests.conftest import CLIENT_ID, FIXTURES, IDENTITY, TENANT_ID
from tests.golden import Case, cli_args, run_cli
from tests.test_migrate_corpus import objects, union_text

CASES = [Case(d.name, d) for d in sorted((FIXTURES / "migrate").iterdir()) if (d / "input.yaml").exists()]
OPTS = capz_wi.Options(identity_id=IDENTITY, client_id=CLIENT_ID, tenant_id=TENANT_ID)


def expected_exit(case: Case) -> int:
    p = case.dir / "expected-exit.txt"
    return int(p.read_text()) if p.exists() else 0


def api_stderr(case: Case) -> tuple[str, str]:
    """(manifest, stderr text) as the library gives them, in the CLI's stderr layout."""
    try:
        result = migrate(case.input, case.options, file="input.yaml")
    except capz_wi.InputError as exc:
        return "", f"{exc.pos}: error: {exc.message}; {exc.hint}\n"
    lines = "".join(f"{f}\n" for f in result.findings)
    if not result.ok:
        return "", lines
    return result.text, lines + result.render_plan()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_api(case: Case, update_golden: bool) -> None:
    text, stderr = api_stderr(case)
    if update_golden:
        (case.dir / "expected-stderr.txt").write_text(stderr)
        if text:
            (case.dir / "expected.yaml").write_text(text)
        elif (case.dir / "expected.yaml").exists():
            (case.dir / "expected.yaml").unlink()
        return
    assert stderr == (case.dir / "expected-stderr.txt").read_text()
    assert text.encode() == (case.expected or b"")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_cli(case: Case) -> None:
    proc = run_cli(["migrate", "input.yaml", *cli_args(case.options_data)], cwd=case.dir)
    assert proc.returncode == expected_exit(case), proc.stderr.decode()
    assert proc.stderr.decode() == (case.dir / "expected-stderr.txt").read_text()
    assert proc.stdout == (case.expected or b"")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_plan_flag_prints_only_the_plan(case: Case) -> None:
    proc = run_cli(["migrate", "-", "--plan", *cli_args(case.options_data)], stdin=case.input)
    assert proc.returncode == expected_exit(case)
    assert proc.stdout == b""
    assert proc.stderr.decode() == (case.dir / "expected-stderr.txt").read_text().replace("input.yaml", "<stdin>")


OUTPUT_CASES = [c for c in CASES if c.expected is not None]


@pytest.mark.parametrize("case", OUTPUT_CASES, ids=[c.name for c in OUTPUT_CASES])
def test_migrated_cluster_needs_nothing(case: Case) -> None:
    """Idempotent: the cluster after the apply (old objects kept, emitted ones replacing theirs) migrates to
    nothing, and says so."""
    assert case.expected is not None
    after = union_text(case.input.decode(), case.expected.decode())
    result = migrate(after, case.options, file="after.yaml")
    assert result.text == "" and not result.changed
    assert "nothing to change" in result.render_plan()
    proc = run_cli(["migrate", "-", *cli_args(case.options_data)], stdin=after.encode())
    assert proc.returncode == 0 and proc.stdout == b""
    assert proc.stderr.decode() == "capz-wi migrate: <stdin>: nothing to change: the objects in use already use workload identity\n"


@pytest.mark.parametrize("case", OUTPUT_CASES, ids=[c.name for c in OUTPUT_CASES])
def test_emitted_objects_are_complete_and_clean(case: Case) -> None:
    """What is emitted needs no further transform, carries no server-set field, and no old object is emitted
    under its old name with a changed immutable field."""
    assert case.expected is not None
    again = capz_wi.transform(case.expected, case.options, file="expected.yaml")
    assert again.changes == []
    before = objects(case.input.decode())
    for key, obj in objects(case.expected.decode()).items():
        meta = obj["data"]["metadata"]
        assert "status" not in obj["data"]
        assert not {"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"} & set(meta)
        assert "kubectl.kubernetes.io/last-applied-configuration" not in (meta.get("annotations") or {})
        if key[0] == "AzureMachineTemplate":
            assert key not in before
        if key[0] == "AzureClusterIdentity" and key in before:
            assert obj["data"]["spec"]["type"] == before[key]["data"]["spec"]["type"]


def test_several_files_make_one_cluster(tmp_path: Path) -> None:
    """The identity and the cluster may live in different files: references are resolved across them."""
    src = (FIXTURES / "migrate" / "aks" / "input.yaml").read_text()
    head, _, identity = src.partition("- apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\n  kind: AzureClusterIdentity\n")
    (tmp_path / "a.yaml").write_text(head + "kind: List\n")
    (tmp_path / "b.yaml").write_text("apiVersion: v1\nitems:\n- apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\n  kind: AzureClusterIdentity\n" + identity)
    proc = run_cli(["migrate", "a.yaml", "b.yaml", "--client-id", CLIENT_ID], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    out = objects(proc.stdout.decode())
    assert out[("AzureClusterIdentity", "default", "aks-identity-wi")]["data"]["spec"]["type"] == "WorkloadIdentity"
    amcp = out[("AzureManagedControlPlane", "default", "aks-prod")]["data"]
    assert amcp["spec"]["identityRef"]["name"] == "aks-identity-wi"
    assert proc.stderr.decode().startswith("capz-wi migrate: a.yaml, b.yaml: apply 2 object(s)")


def test_suffix_option_names_the_copies() -> None:
    src = (FIXTURES / "migrate" / "default" / "input.yaml").read_bytes()
    result = migrate(src, OPTS, suffix="-wi2", file="in.yaml")
    created = sorted(s.object.name for s in result.steps if s.action == "create")
    assert created == ["cluster-identity-wi2", "prod-east-control-plane-wi2", "prod-east-md-0-wi2", "prod-east-md-0-wi2"]
    assert "name: prod-east-md-0-wi2-azure-json" in result.text


@pytest.mark.parametrize("suffix", ["", "-WI", "-wi-", "_wi", "-w i"])
def test_invalid_suffix_is_a_usage_error(suffix: str) -> None:
    proc = run_cli(["migrate", "-", "--suffix", suffix, "--identity-id", IDENTITY], stdin=b"apiVersion: v1\nkind: List\nitems: []\n")
    assert proc.returncode == 2
    assert proc.stdout == b""
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1 and "suffix" in lines[0] and "Traceback" not in lines[0]


def test_long_names_are_truncated_with_a_hash() -> None:
    old = "a" * 240
    name = new_name(old, "-wi", "AzureMachineTemplate")
    assert len(name) <= MAX_NAME["AzureMachineTemplate"] and len(name + "-azure-json") <= 253
    assert name.endswith("-wi") and name != new_name("a" * 239 + "b", "-wi", "AzureMachineTemplate")
    assert new_name(old, "-wi", "AzureMachineTemplate") == name  # deterministic: reruns give the same names
    assert new_name("a" * 250, "-wi", "AzureClusterIdentity").__len__() == 253
    assert new_name("short", "-wi", "AzureMachineTemplate") == "short-wi"


def test_long_template_name_end_to_end() -> None:
    src = (FIXTURES / "migrate" / "default" / "input.yaml").read_text().replace("prod-east-md-0", "p" * 245)
    result = migrate(src, OPTS, file="in.yaml")
    amt = [s.object.name for s in result.steps if s.action == "create" and s.object.kind == "AzureMachineTemplate"]
    long = [n for n in amt if n.startswith("ppp")]
    assert len(long) == 1 and len(long[0]) == 242
    assert f"name: {long[0]}-azure-json" in result.text


def test_refused_edit_writes_nothing() -> None:
    """A SystemAssigned machine template in use is refused as in the transform: exit 1, the located error on
    stderr, nothing on stdout; --replace-system-assigned migrates it."""
    src = (FIXTURES / "migrate" / "default" / "input.yaml").read_text()
    marker = "        sshPublicKey: \"\"\n        vmSize: Standard_D2s_v3\n"
    assert src.count(marker) == 1
    src = src.replace(marker, "        identity: SystemAssigned\n" + marker)
    line = src[: src.index("identity: SystemAssigned")].count("\n") + 1
    proc = run_cli(["migrate", "-", "--identity-id", IDENTITY], stdin=src.encode())
    assert proc.returncode == 1 and proc.stdout == b""
    err = proc.stderr.decode()
    assert err.startswith(f"<stdin>:{line}:9: error: AzureMachineTemplate clusters/prod-east-control-plane: identity is SystemAssigned")
    assert "Traceback" not in err and "capz-wi migrate:" not in err  # no plan for a refused migration
    ok = run_cli(["migrate", "-", "--identity-id", IDENTITY, "--replace-system-assigned"], stdin=src.encode())
    assert ok.returncode == 0
    emitted = objects(ok.stdout.decode())
    spec = emitted[("AzureMachineTemplate", "clusters", "prod-east-control-plane-wi")]["data"]["spec"]["template"]["spec"]
    assert spec["identity"] == "UserAssigned"


def test_bad_yaml_is_one_located_line() -> None:
    proc = run_cli(["migrate", "-", "--identity-id", IDENTITY], stdin=b"apiVersion: v1\nitems:\n- kind: [\n")
    assert proc.returncode == 1 and proc.stdout == b""
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("<stdin>:4:1: error: YAML syntax error")


def test_missing_identity_is_an_options_error() -> None:
    src = (FIXTURES / "migrate" / "default" / "input.yaml").read_bytes()
    proc = run_cli(["migrate", "-"], stdin=src)
    assert proc.returncode == 2 and proc.stdout == b""
    assert len(proc.stderr.decode().splitlines()) == 1 and "identity" in proc.stderr.decode()


def test_library_result_is_structured() -> None:
    result = capz_wi.migrate((FIXTURES / "migrate" / "default" / "input.yaml").read_bytes(), OPTS, file="in.yaml")
    order = [(s.order, s.action, s.object.kind) for s in result.steps if s.order]
    assert order == [
        (1, "create", "AzureClusterIdentity"),
        (2, "repoint", "AzureCluster"),
        (3, "create", "AzureMachineTemplate"),
        (4, "create", "AzureMachineTemplate"),
        (5, "create", "KubeadmConfigTemplate"),
        (6, "repoint", "KubeadmControlPlane"),
        (7, "repoint", "MachineDeployment"),
    ]
    assert result.immutable[0].startswith("AzureClusterIdentity.spec.type:")
    assert all(i.split(":")[0] in ("AzureClusterIdentity.spec.type", "AzureMachineTemplate.spec.template.spec") for i in result.immutable)
    assert any("/metadata/finalizers" in c for c in result.cleanup)
    # apply order: everything a step references is created in an earlier step or already exists
    created = {(s.object.kind, s.object.name): s.order for s in result.steps if s.action == "create"}
    emitted = objects(result.text)
    for step in (s for s in result.steps if s.order):
        obj = emitted[(step.object.kind, step.object.namespace or "default", step.object.name)]["data"]
        for ref in (obj["spec"].get("identityRef"), (obj["spec"].get("machineTemplate") or {}).get("infrastructureRef")):
            if ref and (ref["kind"], ref["name"]) in created:
                assert created[(ref["kind"], ref["name"])] < step.order


def test_azure_machines_in_the_export_are_left_to_the_rollout() -> None:
    """AzureMachine identity fields are immutable and the rollout replaces the machines: they are never emitted,
    and one that the transform would refuse (SystemAssigned) does not block the migration."""
    src = (FIXTURES / "migrate" / "default" / "input.yaml").read_text()
    machines = """- apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
  kind: AzureMachine
  metadata:
    labels:
      cluster.x-k8s.io/control-plane: ""
    name: prod-east-control-plane-x7k2p
    namespace: clusters
  spec:
    identity: SystemAssigned
    vmSize: Standard_D2s_v3
- apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
  kind: AzureMachine
  metadata:
    name: prod-east-md-0-9f8d7-abcde
    namespace: clusters
  spec:
    vmSize: Standard_B2s
kind: List
"""
    with_machines = src.replace("kind: List\n", machines, 1)
    plain = migrate(src, OPTS, file="in.yaml")
    result = migrate(with_machines, OPTS, file="in.yaml")
    assert result.ok and result.text == plain.text
    rows = [(s.action, s.object.name, s.details) for s in result.steps if s.object.kind == "AzureMachine"]
    assert rows == [("unchanged", "prod-east-md-0-9f8d7-abcde", ("identity fields immutable; replaced by the rollout",))]


def test_new_identity_without_client_id_is_warned_about() -> None:
    src = (FIXTURES / "migrate" / "aks" / "input.yaml").read_bytes()
    result = migrate(src, capz_wi.Options(identity_id=IDENTITY), file="in.yaml")
    warnings = [str(f) for f in result.findings]
    line = src[: src.index(b"    clientID: 1111")].count(b"\n") + 1
    assert warnings == [
        f"in.yaml:{line}:5: warning: AzureClusterIdentity default/aks-identity: no --client-id given: aks-identity-wi "
        "keeps clientID 11111111-2222-3333-4444-555555555555 of the service principal; pass the client ID of the "
        "identity that has the federated credentials (migrate)"
    ]
    assert result.ok and "clientID: 11111111-2222-3333-4444-555555555555" in result.text
