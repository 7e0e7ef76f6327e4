"""The KRM function in-process and as a process: functionConfig shapes and validation, results, fidelity, errors.

The runners (kustomize, kpt) are exercised in test_krm_e2e.py and test_krm_golden.py; here the ResourceLists are
written the way kpt writes them (items indented under ``- ``, comments and quoting kept).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from capz_wi import _schema, krm
from capz_wi._options import ALIASES
from tests.conftest import CLIENT_ID, IDENTITY, ROOT, TENANT_ID
from tests.golden import Case, cases, run_cli
from tests.krm.helpers import item_texts, load_all, load_yaml, run_fn, split_docs, wrap

SPEC = f"identityID: {IDENTITY}\nclientID: {CLIENT_ID}\ntenantID: {TENANT_ID}\n"

IDENTITY_DOC = """\
# the identity
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureClusterIdentity
metadata:
  name: cluster-identity   # two spaces before this comment
  namespace: default
  annotations:
    internal.config.kubernetes.io/path: 'cluster.yaml'
    internal.config.kubernetes.io/index: '2'
spec:
  type: ServicePrincipal
  clientID: 11111111-2222-3333-4444-555555555555
  tenantID: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
  clientSecret: {name: cluster-identity-secret, namespace: default}
  allowedNamespaces: {}
"""
SECRET_DOC = """\
apiVersion: v1
kind: Secret
metadata:
  name: cluster-identity-secret
  namespace: default
stringData:
  clientSecret: PLANTED-SECRET-krm
"""
MACHINE_DOC = """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureMachineTemplate
metadata:
  name: md-0
  namespace: default
spec:
  template:
    spec:
      vmSize: Standard_B2s   # size
      osDisk: {diskSizeGB: 128, osType: Linux}
"""
UNTOUCHED_DOC = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: scalars   # odd scalars stay as written
data:
  mode: 0644
  on: yes
  when: 2024-01-02
  ratio: 1:20
"""
KUSTOMIZATION_DOC = "resources:\n- cluster.yaml   # no apiVersion/kind: passed through\n"
LOCAL_CONFIG_DOC = """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureClusterIdentity
metadata:
  name: local
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  type: ServicePrincipal
"""
DOCS = [IDENTITY_DOC, SECRET_DOC, MACHINE_DOC, UNTOUCHED_DOC, KUSTOMIZATION_DOC, LOCAL_CONFIG_DOC]


def transformer(spec: str = SPEC) -> str:
    body = "".join("  " + ln + "\n" for ln in spec.splitlines())
    return (
        "apiVersion: fn.capz-wi.dev/v1alpha1\nkind: WorkloadIdentityTransformer\nmetadata:\n  name: capz-wi\n"
        + ("spec:\n" + body if body else "")
    )


def configmap(data: dict[str, str]) -> str:
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\ndata:\n" + "".join(
        f"  {k}: {json.dumps(v)}\n" for k, v in data.items()
    ) if data else "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\ndata: {}\n"


def run(text: str) -> tuple[krm.Output, dict[str, Any]]:
    out = krm.process(text.encode())
    assert out.text.strip(), "stdout must never be empty"
    return out, load_yaml(out.text)


def without_results(text: str) -> str:
    return text[: text.index("\nresults:")] + "\n" if "\nresults:" in text else text


# ---------------------------------------------------------------------------------------------------------------
# schema


@pytest.mark.parametrize("path", _schema.COMMITTED)
def test_committed_schema_is_generated_from_options(path: str) -> None:
    """The schema files are stale when this fails: run python -m capz_wi._schema."""
    assert (ROOT / path).read_text() == _schema.dumps(_schema.generate())


def test_schema_fields_are_the_option_aliases() -> None:
    spec = _schema.generate()["$defs"]["WorkloadIdentityTransformerSpec"]
    assert set(spec["properties"]) == set(ALIASES.values())
    assert spec["additionalProperties"] is False


# ---------------------------------------------------------------------------------------------------------------
# transform


def test_transform_splices_edits_and_keeps_everything_else() -> None:
    src = wrap(DOCS, transformer())
    out, rl = run(src)
    assert out.exit_code == 0, out.stderr
    items = item_texts(out.text)
    assert len(items) == len(DOCS)
    ident = items[0]
    assert "  type: WorkloadIdentity\n" in ident and f"  clientID: {CLIENT_ID}\n" in ident
    assert "clientSecret" not in ident
    assert "  name: cluster-identity   # two spaces before this comment\n" in ident
    assert ident.startswith("# the identity\n")
    assert "      identity: UserAssigned\n" in items[2] and "vmSize: Standard_B2s   # size" in items[2]
    # no edit needed, or not a resource, or local config: byte-identical
    for i in (1, 3, 4, 5):
        assert items[i] == DOCS[i]
    # annotations the runner added are kept
    assert rl["items"][0]["metadata"]["annotations"]["internal.config.kubernetes.io/index"] == "2"
    assert rl["items"][3]["data"]["ratio"] == "1:20"
    # functionConfig and everything before results: the input with the edits only
    assert out.text.startswith("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")


def test_results_one_info_per_change_with_field_and_file() -> None:
    out, rl = run(wrap(DOCS, transformer()))
    infos = [r for r in rl["results"] if r["severity"] == "info"]
    by_path = {r["field"]["path"]: r for r in infos if r["resourceRef"]["kind"] == "AzureClusterIdentity"}
    assert by_path["spec.type"]["field"] == {
        "path": "spec.type", "currentValue": "ServicePrincipal", "proposedValue": "WorkloadIdentity"
    }
    assert by_path["spec.type"]["resourceRef"] == {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "AzureClusterIdentity",
        "name": "cluster-identity", "namespace": "default",
    }
    assert by_path["spec.type"]["file"] == {"path": "cluster.yaml", "index": 2}
    assert by_path["spec.type"]["tags"] == {"rule": "identity-type"}
    assert by_path["spec.clientID"]["field"]["proposedValue"] == CLIENT_ID
    machine = [r for r in infos if r["resourceRef"]["kind"] == "AzureMachineTemplate"]
    assert {r["field"]["path"] for r in machine} >= {"spec.template.spec.identity"}
    assert "file" not in machine[0], "no path annotation, no file"
    warnings = [r for r in rl["results"] if r["severity"] == "warning"]
    assert any(r["tags"]["rule"] == "no-client-secret" and "pruneSecret: true" in r["message"] for r in warnings)
    assert out.stderr == []
    # the change results match the library's changes one to one
    import capz_wi

    lib = capz_wi.transform("---\n".join(DOCS[:4]), capz_wi.Options.from_mapping(load_yaml(SPEC)))
    assert [(r["resourceRef"]["kind"], r["field"]["path"]) for r in infos] == [
        (c.object.kind, c.path) for c in lib.changes
    ]


def test_secret_values_never_reach_results() -> None:
    out, _ = run(wrap(DOCS, transformer(SPEC + "pruneSecret: true\n")))
    results = out.text[out.text.index("\nresults:") :]
    assert "PLANTED-SECRET" not in results
    assert "PLANTED-SECRET" not in "".join(out.stderr)
    # the Secret is gone from the items, and only it
    assert [d["kind"] for d in load_yaml(out.text)["items"] if isinstance(d, dict) and "kind" in d] == [
        "AzureClusterIdentity", "AzureMachineTemplate", "ConfigMap", "AzureClusterIdentity"
    ]


def test_configmap_data_is_the_same_config_as_strings() -> None:
    spec = load_yaml(SPEC)
    extra = "pruneSecret: true\nroles: [control-plane, worker]\nonly: [md-0]\nmaxBytes: 1000000\n"
    as_kind, _ = run(wrap(DOCS, transformer(SPEC + extra)))
    data = {**spec, "pruneSecret": "true", "roles": "control-plane, worker", "only": "md-0", "maxBytes": "1000000",
            "workerIdentityID": ""}
    as_cm, _ = run(wrap(DOCS, configmap(data)))
    assert as_cm.exit_code == as_kind.exit_code == 0
    assert item_texts(as_cm.text) == item_texts(as_kind.text)
    machine = next(t for t in item_texts(as_kind.text) if "kind: AzureMachineTemplate" in t)
    assert "identity: UserAssigned" in machine  # md-0 has no referrer: edited whatever the roles


@pytest.mark.parametrize("config", ["absent", "null", "empty-mapping", "cm-empty", "kind-no-spec"])
def test_missing_or_empty_config_means_defaults(config: str) -> None:
    fc = {"absent": "", "cm-empty": configmap({}), "kind-no-spec": transformer("")}.get(config, "")
    src = wrap([IDENTITY_DOC, UNTOUCHED_DOC], fc)
    src += {"null": "functionConfig: null\n", "empty-mapping": "functionConfig: {}\n"}.get(config, "")
    out, rl = run(src)
    assert out.exit_code == 0, out.stderr
    assert "  type: WorkloadIdentity\n" in item_texts(out.text)[0]


BAD_CONFIGS = [
    # (functionConfig, field path named in the one error result)
    (transformer(SPEC.replace("clientID", "clientId")), "spec.clientId"),
    (transformer(SPEC + "colour: blue\n"), "spec.colour"),
    (transformer(SPEC.replace(CLIENT_ID, "not-a-guid")), "spec.clientID"),
    (transformer(SPEC.replace("/subscriptions/", "/subscription/")), "spec.identityID"),
    (transformer(SPEC + "roles: [workers]\n"), "spec.roles.0"),
    (transformer(SPEC + "pruneSecret: yes please\n"), "spec.pruneSecret"),
    (transformer(SPEC + "providerIDForm: short\n"), "spec.providerIDForm"),
    (transformer(SPEC).replace("v1alpha1", "v1beta9"), "apiVersion"),
    (transformer(SPEC).replace("metadata:", "sepc: {}\nmetadata:"), "sepc"),
    (transformer(SPEC + "subscriptionID: 00000000-1111-2222-3333-444444444444\nidentityName: x\n"),
     "spec.identityName"),
    (configmap({"clientId": CLIENT_ID}), "data.clientId"),
    (configmap({"tenantID": "nope"}), "data.tenantID"),
    (configmap({"pruneSecret": "maybe"}), "data.pruneSecret"),
    (configmap({"maxBytes": "lots"}), "data.maxBytes"),
    ("apiVersion: example.com/v1\nkind: SomethingElse\nmetadata:\n  name: x\n", "kind"),
]


@pytest.mark.parametrize("config,path", BAD_CONFIGS, ids=[p for _, p in BAD_CONFIGS])
def test_bad_config_is_one_error_naming_the_field(config: str, path: str) -> None:
    src = wrap(DOCS, config)
    out, rl = run(src)
    assert out.exit_code == 1
    assert len(rl["results"]) == 1
    (result,) = rl["results"]
    assert result["severity"] == "error" and result["field"]["path"] == path
    assert without_results(out.text) == src, "items pass through unchanged"
    assert len(out.stderr) == 1 and f"{path}: " in out.stderr[0] and "\n" not in out.stderr[0]


def test_options_error_from_the_engine_is_a_config_result() -> None:
    """No identity at all, with machines to edit: the core's OptionsError becomes an error result."""
    out, rl = run(wrap([MACHINE_DOC], configmap({"clientID": CLIENT_ID})))
    assert out.exit_code == 1
    (result,) = rl["results"]
    assert result["severity"] == "error" and result["field"]["path"].startswith("data")
    assert result["resourceRef"]["kind"] == "ConfigMap"


def test_refused_edit_is_an_error_result_and_no_edit() -> None:
    sa = MACHINE_DOC.replace("      vmSize", "      identity: SystemAssigned\n      vmSize")
    src = wrap([IDENTITY_DOC, sa], transformer())
    out, rl = run(src)
    assert out.exit_code == 1
    errors = [r for r in rl["results"] if r["severity"] == "error"]
    assert len(errors) == 1 and errors[0]["tags"] == {"rule": "machine-identity"}
    assert errors[0]["resourceRef"]["name"] == "md-0"
    assert errors[0]["field"]["path"] == "spec.template.spec.identity"
    assert "replaceSystemAssigned: true" in errors[0]["message"]
    assert without_results(out.text) == src
    assert len(out.stderr) == 1 and "AzureMachineTemplate default/md-0" in out.stderr[0]
    ok, _ = run(wrap([IDENTITY_DOC, sa], transformer(SPEC + "replaceSystemAssigned: true\n")))
    assert ok.exit_code == 0


# ---------------------------------------------------------------------------------------------------------------
# input


@pytest.mark.parametrize(
    "data,needle",
    [
        (b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- a: [1, 2\n", "<ResourceList>:5:1"),
        (b"", "not a KRM ResourceList"),
        (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "not a KRM ResourceList"),
        (b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {a: 1}\n", "items must be a list"),
        (b"\xff\xfe", "invalid UTF-8"),
    ],
    ids=["yaml-syntax", "empty", "not-a-resource-list", "items-not-a-list", "not-utf8"],
)
def test_unusable_input_still_gives_a_resource_list_and_exit_1(data: bytes, needle: str) -> None:
    proc = run_fn(data)
    assert proc.returncode == 1
    rl = load_yaml(proc.stdout.decode())
    assert rl["kind"] == "ResourceList" and rl["items"] == []
    assert [r["severity"] for r in rl["results"]] == ["error"]
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_engine_input_error_names_the_item_and_file() -> None:
    """An edit the engine cannot make (spec is a list, kustomize lets it through) is an error result on that item."""
    doc = IDENTITY_DOC[: IDENTITY_DOC.index("spec:")] + "spec: [a]\n"
    out, rl = run(wrap([doc], transformer()))
    assert out.exit_code == 1
    errors = [r for r in rl["results"] if r["severity"] == "error"]
    assert errors, rl["results"]
    assert errors[0]["resourceRef"]["name"] == "cluster-identity"
    assert errors[0]["file"] == {"path": "cluster.yaml", "index": 2}


def test_json_input_gives_block_yaml_with_the_same_objects() -> None:
    yaml_out, yaml_rl = run(wrap(DOCS[:3], transformer()))
    as_json = json.dumps(load_yaml(wrap(DOCS[:3], transformer())))
    json_out, json_rl = run(as_json)
    assert json_out.exit_code == 0
    assert not json_out.text.lstrip().startswith("{") and "\nitems:\n- " in json_out.text
    assert json_rl == yaml_rl


def test_existing_results_are_replaced_and_other_keys_kept() -> None:
    src = wrap(DOCS[:1], transformer()).replace("items:\n", "results:\n- message: old\n  severity: info\nitems:\n")
    out, rl = run(src)
    assert "old" not in [r["message"] for r in rl["results"]]
    assert out.text.count("results:") == 1
    assert rl["functionConfig"]["kind"] == "WorkloadIdentityTransformer"


def test_list_items_are_transformed_and_pruned_inside_the_list() -> None:
    lst = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        "".join(("- " if i == 0 else "  ") + ln for i, ln in enumerate(d.splitlines(keepends=True)))
        for d in (IDENTITY_DOC, SECRET_DOC)
    )
    out, rl = run(wrap([lst, MACHINE_DOC], transformer(SPEC + "pruneSecret: true\n")))
    assert out.exit_code == 0, out.stderr
    assert [i["kind"] for i in rl["items"]] == ["List", "AzureMachineTemplate"]
    assert [i["kind"] for i in rl["items"][0]["items"]] == ["AzureClusterIdentity"]
    assert rl["items"][0]["items"][0]["spec"]["type"] == "WorkloadIdentity"


def test_render_block_quotes_and_nulls() -> None:
    text = krm.render_block(
        {"a": None, "b": "on", "c": "1:20", "d": "0644", "e": True, "f": 3, "g": [], "h": {"i": ["x", {"j": "y"}]}}
    )
    assert text == (
        'a: null\nb: "on"\nc: "1:20"\nd: "0644"\ne: true\nf: 3\ng: []\nh:\n  i:\n  - x\n  - j: "y"\n'
    )
    assert load_yaml(text)["h"] == {"i": ["x", {"j": "y"}]}


def test_new_strings_yaml11_would_misread_are_quoted_in_results() -> None:
    out, rl = run(wrap([IDENTITY_DOC.replace("ServicePrincipal", "'on'")], transformer()))
    assert '    currentValue: "on"\n' in out.text
    assert "&" not in out.text[out.text.index("\nresults:") :] and "*id" not in out.text


# ---------------------------------------------------------------------------------------------------------------
# mode: check


def test_check_mode_reports_findings_and_edits_nothing() -> None:
    src = wrap(DOCS, transformer(SPEC + "mode: check\n"))
    out, rl = run(src)
    assert without_results(out.text) == src
    assert out.exit_code == 1
    ident = [r for r in rl["results"] if r.get("resourceRef", {}).get("name") == "cluster-identity"]
    assert {"CWI001", "CWI002"} <= {r["tags"]["code"] for r in ident}
    assert all(r["file"] == {"path": "cluster.yaml", "index": 2} for r in ident)
    assert any(r["severity"] == "error" and r["field"]["path"] == "spec.type" for r in ident)
    assert len(out.stderr) == len([r for r in rl["results"] if r["severity"] == "error"])
    assert "(CWI001)" in "".join(out.stderr)


def test_check_mode_passes_on_the_transform_output() -> None:
    """What the function writes in transform mode is what its check mode accepts."""
    docs = DOCS[:3]
    transformed, _ = run(wrap(docs, transformer(SPEC + "pruneSecret: true\n")))
    again = wrap(item_texts(transformed.text), transformer(SPEC + "mode: check\n"))
    out, rl = run(again)
    assert out.exit_code == 0, out.stderr
    assert [r for r in rl.get("results") or [] if r["severity"] == "error"] == []
    assert without_results(out.text) == again


# ---------------------------------------------------------------------------------------------------------------
# the function and the CLI agree


def _parity_cases() -> list[Case]:
    return [c for c in cases() if (c.dir / "options.yaml").exists()]


@pytest.mark.parametrize("case", _parity_cases(), ids=lambda c: c.name)
def test_function_and_cli_give_the_same_item_bytes(case: Case) -> None:
    """Each fixture wrapped in a ResourceList (as kpt does): every item's text equals the CLI's document text."""
    text = case.input.decode("utf-8")
    docs = split_docs(text)
    out, rl = run(wrap(docs, transformer(json.dumps(case.options_data))))
    cli = run_cli(["transform", "-", "--quiet", *_cli_args(case.options_data)], stdin=case.input)
    if case.expected is None:
        assert cli.returncode != 0 and out.exit_code == 1
        assert without_results(out.text) == wrap(docs, transformer(json.dumps(case.options_data)))
        return
    assert out.exit_code == 0, out.stderr
    assert cli.returncode == 0
    # wrap() ends every item with a newline: compare the ends loosely, everything else byte for byte
    strip = lambda texts: [t.rstrip("\r\n") for t in texts]  # noqa: E731
    assert strip(item_texts(out.text)) == strip(split_docs(cli.stdout.decode("utf-8")))
    assert [r for r in rl["results"] if r["severity"] == "info"] != [] or case.report["changes"] == []


def _cli_args(options: dict[str, Any]) -> list[str]:
    from tests.golden import cli_args

    return cli_args(options)


def test_capz_wi_fn_is_the_same_function() -> None:
    src = wrap(DOCS, transformer()).encode()
    via_cli = subprocess.run([sys.executable, "-m", "capz_wi", "fn"], input=src, capture_output=True, cwd=ROOT)
    via_krm = run_fn(src)
    assert via_cli.returncode == via_krm.returncode == 0
    assert via_cli.stdout == via_krm.stdout


def test_function_imports_neither_typer_nor_pydantic() -> None:
    """Cold start: no CLI framework, and the packaged schema instead of generating it with pydantic."""
    code = (
        "import sys, capz_wi.krm\n"
        "assert 'typer' not in sys.modules and 'click' not in sys.modules, 'typer'\n"
        "out = capz_wi.krm.process(sys.stdin.buffer.read())\n"
        "assert out.exit_code == 0 and 'jsonschema' in sys.modules, out.stderr\n"
        "assert 'pydantic' not in sys.modules, 'pydantic'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, input=wrap(DOCS, transformer()).encode())
    assert proc.returncode == 0


def test_help_and_version_do_not_read_stdin() -> None:
    proc = subprocess.run([sys.executable, "-m", "capz_wi.krm", "--help"], capture_output=True, cwd=ROOT, timeout=30)
    assert proc.returncode == 0 and b"ResourceList" in proc.stdout


def test_schema_file_is_valid_json_schema() -> None:
    import jsonschema

    schema = json.loads((ROOT / "krm-function" / "schema" / "functionconfig.schema.json").read_text())
    jsonschema.validators.validator_for(schema).check_schema(schema)
    sample = load_all((ROOT / "krm-function" / "examples" / "render-kptfile-pipeline" / "capz-wi.yaml").read_text())[0]
    assert list(jsonschema.validators.validator_for(schema)(schema).iter_errors(sample)) == []


def test_readme_samples_are_valid_configs() -> None:
    """Each functionConfig sample in krm-function/README.md is accepted by the function."""
    readme = (ROOT / "krm-function" / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in readme.split("```yaml\n")[1:]]
    configs = [d for b in blocks for d in load_all(b) if isinstance(d, dict) and d.get("kind") in (
        "WorkloadIdentityTransformer", "ConfigMap")]
    assert {c["kind"] for c in configs} == {"WorkloadIdentityTransformer", "ConfigMap"}
    for c in configs:
        krm.options_from_config(c)
