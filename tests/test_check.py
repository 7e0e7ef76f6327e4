"""``capz-wi check``: the library result, the CLI's exit codes and formats (SARIF validated against the OASIS
schema), schema loading from CRDs, the docs, and the import cost."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import capz_wi
from capz_wi._crds import load_crds, to_json_schema
from capz_wi.checks import CHECKS, get
from capz_wi.checks.allowed_namespaces import matches
from capz_wi.cli import main
from capz_wi.cli._render import render_text
from tests.conftest import CORPUS, CRDS, ROOT, SHARED, need_shared

CASES = ROOT / "tests" / "fixtures" / "check"
SARIF_SCHEMA = SHARED / "reference" / "schemas" / "sarif-schema-2.1.0.json"
DOCS = ROOT / "docs" / "checks.md"


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


# -- library ----------------------------------------------------------------------------------------------------


def test_result_is_sorted_and_splits_by_severity() -> None:
    text = (CASES / "orphan-secret-triggers" / "input.yaml").read_text()
    result = capz_wi.check(text, file="x.yaml")
    keys = [(f.pos.file, f.pos.index, f.pos.line, f.pos.column, f.code) for f in result.findings]
    assert keys == sorted(keys)
    assert [f.code for f in result.errors] == ["CWI002"] and [f.code for f in result.warnings] == ["CWI003"]
    assert not result.ok
    with pytest.raises(AttributeError):
        result.findings = []  # type: ignore[misc]
    f = result.errors[0]
    assert (f.rule, f.hint.startswith("remove spec.clientSecret"), f.object.kind) == ("client-secret", True, "AzureClusterIdentity")


def test_secret_values_never_appear(capsys: pytest.CaptureFixture[str]) -> None:
    path = CASES / "orphan-secret-triggers" / "input.yaml"
    for fmt in ("text", "json", "sarif"):
        code, out, err = cli(["check", str(path), "-o", fmt], capsys)
        assert code == 1
        assert "c2VjcmV0LXZhbHVl" not in out + err and "secret-value" not in out + err


def test_identity_in_another_file_resolves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = (CASES / "identity-type-clean" / "input.yaml").read_text().split("---\n")
    (tmp_path / "a.yaml").write_text(docs[0])  # the AzureCluster
    (tmp_path / "b.yaml").write_text(docs[1] + "---\n" + docs[2])
    code, out, _ = cli(["check", str(tmp_path), "-o", "json"], capsys)
    assert (code, json.loads(out)) == (0, [])
    code, out, _ = cli(["check", str(tmp_path / "a.yaml"), "-o", "json"], capsys)
    assert code == 1 and [(f["code"], f["file"], f["line"]) for f in json.loads(out)] == [
        ("CWI004", str(tmp_path / "a.yaml"), 10)
    ]


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    data = (CASES / "identity-type-triggers" / "input.yaml").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _ = cli(["check", "-o", "json"], capsys)
    assert code == 1 and [(f["code"], f["file"], f["line"], f["column"]) for f in json.loads(out)] == [
        ("CWI001", "<stdin>", 22, 3)
    ]


def test_selector_matching() -> None:
    labels = {"team": "a", "kubernetes.io/metadata.name": "ns"}
    assert matches({"matchLabels": {"team": "a"}}, labels)
    assert not matches({"matchLabels": {"team": "b"}}, labels)
    assert matches({"matchExpressions": [{"key": "team", "operator": "In", "values": ["a", "b"]}]}, labels)
    assert not matches({"matchExpressions": [{"key": "team", "operator": "NotIn", "values": ["a"]}]}, labels)
    assert matches({"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]}, labels)
    assert not matches({"matchExpressions": [{"key": "env", "operator": "Exists"}]}, labels)
    assert not matches({"matchExpressions": [{"key": "team", "operator": "Gt", "values": ["1"]}]}, labels)


def test_allowed_namespaces_null_and_empty_list() -> None:
    base = (CASES / "identity-type-clean" / "input.yaml").read_text()
    for value, what in (("null", "null, which admits no namespace"), ("{list: []}", "does not admit namespace default")):
        result = capz_wi.check(base.replace("allowedNamespaces: {}", f"allowedNamespaces: {value}"))
        assert [(f.code, what in f.message) for f in result.findings] == [("CWI005", True)]


def test_selector_admitting_by_metadata_name_label() -> None:
    base = (CASES / "identity-type-clean" / "input.yaml").read_text()
    sel = "allowedNamespaces:\n    selector:\n      matchLabels:\n        kubernetes.io/metadata.name: default"
    ns = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n"
    assert capz_wi.check(base.replace("allowedNamespaces: {}", sel) + ns).findings == []
    # without the Namespace object the selector cannot be evaluated offline: a warning, not an error
    result = capz_wi.check(base.replace("allowedNamespaces: {}", sel))
    assert [(f.code, f.severity) for f in result.findings] == [("CWI005", "warning")] and result.ok


def test_template_mode_option_allows_placeholders() -> None:
    text = (CASES / "placeholder-triggers" / "input.yaml").read_text()
    assert capz_wi.check(text, capz_wi.Options(template_mode=True)).findings == []


def test_registry() -> None:
    codes = [c.CODE for c in CHECKS]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    assert len({c.ID for c in CHECKS}) == len(CHECKS)
    assert all(re.fullmatch(r"CWI\d{3}", c) for c in codes)
    assert get("CWI001").ID == "identity-type" and get("provider-id").CODE == "CWI008"
    with pytest.raises(KeyError):
        get("CWI999")
    for c in CHECKS:
        assert c.SEVERITY in ("error", "warning", "info") and c.HINT and c.__doc__


# -- schemas ----------------------------------------------------------------------------------------------------

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            required: [size, mode]
            properties:
              size: {x-kubernetes-int-or-string: true}
              mode: {type: string, default: fast, enum: [fast, slow]}
              note: {type: string, nullable: true}
              tags: {type: array, items: {type: string}, x-kubernetes-list-type: set}
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items: {type: object, properties: {name: {type: string}, port: {type: integer}}}
              extra: {type: object, x-kubernetes-preserve-unknown-fields: true, properties: {a: {type: string}}}
  - name: v0
    served: false
    schema: {openAPIV3Schema: {type: object}}
"""
COMPONENTS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NAMESPACE}\n---\n" + CRD


def _widget(spec: str, version: str = "v1") -> str:
    return f"apiVersion: example.com/{version}\nkind: Widget\nmetadata:\n  name: w\nspec:\n{spec}"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("  size: 3\n", []),  # int-or-string; mode has a default, so it is not required
        ("  size: 50%\n  note: null\n", []),  # nullable
        ("  size: 1\n  extra: {a: x, anything: [1]}\n", []),  # preserve-unknown-fields
        ("  size: [1]\n", [("spec.size", 6)]),
        ("  mode: fast\n", [("spec.size", 5)]),  # required, no default: at the parent
        ("  size: 1\n  mode: medium\n", [("spec.mode", 7)]),
        ("  size: 1\n  colour: red\n", [("spec.colour", 7)]),  # unknown field, at the key
        ("  size: 1\n  tags: [a, b, a]\n", [("spec.tags.2", 7)]),  # list-type set
        ("  size: 1\n  ports:\n  - {name: a, port: 1}\n  - {name: a, port: 2}\n", [("spec.ports.1", 9)]),
        ("  size: 1\n  ports:\n  - {name: a, port: '1'}\n", [("spec.ports.0.port", 8)]),  # quoted: a string
    ],
)
def test_crd_validation(spec: str, expected: list[tuple[str, int]]) -> None:
    result = capz_wi.check(_widget(spec), crds=COMPONENTS)
    assert [(f.pos.path, f.pos.line) for f in result.findings] == expected
    assert all(f.code == "CWI100" for f in result.findings)


def test_crd_version_not_served() -> None:
    result = capz_wi.check(_widget("  size: 1\n", "v0"), crds=CRD)
    assert [(f.code, f.pos.path) for f in result.findings] == [("CWI100", "apiVersion")]
    assert "not served (served: example.com/v1)" in result.findings[0].message


def test_crd_schema_translation() -> None:
    schemas = load_crds(COMPONENTS)
    assert set(schemas.schemas) == {("example.com", "v1", "Widget")}
    js = to_json_schema(schemas.schemas[("example.com", "v1", "Widget")], strict=True)
    spec = js["properties"]["spec"]
    assert spec["required"] == ["size"] and spec["additionalProperties"] is False
    assert "additionalProperties" not in spec["properties"]["extra"]
    assert spec["properties"]["note"]["type"] == ["string", "null"]


def test_no_crd_is_an_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(capz_wi.InputError):
        capz_wi.check(_widget("  size: 1\n"), crds="apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    (tmp_path / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    code, out, err = cli(["check", "--crds", str(tmp_path), str(CASES / "schema-clean" / "input.yaml")], capsys)
    assert (code, out) == (1, "") and err.startswith(f"{tmp_path / 'ns.yaml'}:1:1: error: no CustomResourceDefinition")


def test_real_crds_load() -> None:
    need_shared()
    for version in ("v1.10.0", "v1.26.0"):
        text = "".join("---\n" + f.read_text() for f in sorted((CRDS / version).glob("*.yaml")))
        kinds = {k for _, _, k in load_crds(text).schemas}
        assert {"AzureClusterIdentity", "AzureCluster", "AzureMachineTemplate", "AzureMachinePool"} <= kinds


# -- CLI --------------------------------------------------------------------------------------------------------


def test_exit_codes_and_strict(capsys: pytest.CaptureFixture[str]) -> None:
    warn_only = str(CASES / "ci-default-identity-triggers" / "input.yaml")
    assert cli(["check", warn_only], capsys)[0] == 0
    assert cli(["check", "--strict", warn_only], capsys)[0] == 1
    assert cli(["check", "--strict", str(CASES / "schema-clean" / "input.yaml")], capsys)[0] == 0


@pytest.mark.parametrize("args", [["-o", "xml"], ["--crds", "/nonexistent/crds"], ["--bogus"]])
def test_usage_errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(["check", *args, str(CASES / "schema-clean" / "input.yaml")], capsys)
    assert (code, out) == (2, "") and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("Error: ")  # click's usage message (with its Usage: lines)


def test_bad_input_is_one_located_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: [\n")
    code, out, err = cli(["check", str(CASES / "schema-clean" / "input.yaml"), str(bad)], capsys)
    assert (code, out) == (1, "")
    assert re.fullmatch(rf"{re.escape(str(bad))}:\d+:\d+: error: YAML syntax error: .+; .+\n", err)


def test_text_colour_only_when_asked() -> None:
    result = capz_wi.check((CASES / "identity-type-triggers" / "input.yaml").read_text(), file="f.yaml")
    plain = render_text(result.findings)
    coloured = render_text(result.findings, colour=True)
    assert "\x1b[" not in plain and "\x1b[31m" in coloured
    assert re.sub(r"\x1b\[\d+m", "", coloured) == plain


def _sarif(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    code, out, err = cli(["check", "-o", "sarif", *args], capsys)
    assert err == ""
    return json.loads(out)


def test_sarif_validates_against_the_oasis_schema(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    need_shared()
    import io

    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text())
    validator = jsonschema.Draft4Validator(schema)
    template = CORPUS / "v1.10.0" / "rendered" / "cluster-template.yaml"
    logs = [
        _sarif([str(template)], capsys),
        _sarif([str(CASES / "allowed-namespaces-triggers" / "input.yaml"), str(CASES / "placeholder-triggers" / "input.yaml")], capsys),
        _sarif([str(CASES / "schema-clean" / "input.yaml")], capsys),
    ]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(template.read_bytes())))
    logs.append(_sarif([], capsys))
    for log in logs:
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
        assert errors == [], [e.message for e in errors]
    # the findings are there, on the lines the JSON output gives
    code, out, _ = cli(["check", "-o", "json", str(template)], capsys)
    findings = json.loads(out)
    results = logs[0]["runs"][0]["results"]
    assert [
        (r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["region"]["startLine"],
         r["locations"][0]["physicalLocation"]["region"]["startColumn"],
         r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for r in results
    ] == [(f["code"], f["severity"], f["line"], f["column"], str(template)) for f in findings]
    assert {r["ruleId"] for r in results} == {"CWI001", "CWI002", "CWI006"}
    rules = logs[0]["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.CODE for c in CHECKS]
    assert all(r["help"]["text"] and r["shortDescription"]["text"] for r in rules)
    assert all(results[i]["ruleIndex"] == [r["id"] for r in rules].index(results[i]["ruleId"]) for i in range(len(results)))
    assert logs[2]["runs"][0]["results"] == []
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in logs[3]["runs"][0]["results"]} == {"stdin"}


# -- docs and import cost ---------------------------------------------------------------------------------------


def _doc_sections() -> dict[str, str]:
    """``## CWI001 `identity-type``` headings -> the heading plus its section."""
    text = DOCS.read_text()
    parts = re.split(r"^(?=## CWI\d{3} )", text, flags=re.M)
    return {p[3:9]: p for p in parts[1:]}


def test_docs_document_every_code_with_a_triggering_example() -> None:
    sections = _doc_sections()
    assert set(sections) == {c.CODE for c in CHECKS}
    for chk in CHECKS:
        body = sections[chk.CODE]
        assert body.startswith(f"## {chk.CODE} `{chk.ID}`\n"), chk.CODE
        assert f"\n**{chk.SEVERITY}**: " in body, chk.CODE
        examples = re.findall(r"```yaml\n(.*?)```", body, flags=re.S)
        assert examples, f"{chk.CODE} has no example"
        result = capz_wi.check(examples[0])
        assert chk.CODE in {f.code for f in result.findings}, f"the {chk.CODE} example does not trigger it"
        if chk.CODE == "CWI100":  # "with --crds of any CAPZ release"
            need_shared()
            for version in sorted(p.name for p in CRDS.iterdir()):
                crds = "".join("---\n" + f.read_text() for f in sorted((CRDS / version).glob("*.yaml")))
                assert "CWI100" in {f.code for f in capz_wi.check(examples[0], crds=crds).findings}, version


def test_check_without_schema_kinds_does_not_import_jsonschema() -> None:
    code = (
        "import sys, capz_wi, capz_wi.checks\n"
        "capz_wi.check('apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: x}\\n')\n"
        "assert 'jsonschema' not in sys.modules and 'typer' not in sys.modules, sorted(sys.modules)\n"
        "import capz_wi.cli.check\n"
        "assert 'jsonschema' not in sys.modules\n"
        "capz_wi.check('apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\\nkind: AzureMachine\\nmetadata: {name: x}\\nspec: {}\\n')\n"
        "assert 'jsonschema' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_long_schema_messages_are_cut_to_one_line() -> None:
    crd = CRD.replace("tags: {type: array, items: {type: string}, x-kubernetes-list-type: set}",
                      "tags: {type: array, items: {type: string}, maxItems: 1}")
    tags = ", ".join("x" * 30 for _ in range(20))
    result = capz_wi.check(_widget(f"  size: 1\n  tags: [{tags}]\n"), crds=crd)
    [f] = result.findings
    assert f.pos.path == "spec.tags" and f.message.startswith("spec.tags: ['xxx")
    assert "\n" not in f.message and f.message.endswith("... (the given CRDs)") and len(f.message) < 240


def test_directory_without_yaml_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("no manifests here\n")
    code, out, err = cli(["check", str(tmp_path)], capsys)
    assert (code, out) == (1, "") and err == f"{tmp_path}:1:1: error: no *.yaml or *.yml files found; give files, or directories that contain manifests\n"
