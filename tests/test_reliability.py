"""The catalogue of broken and unusual inputs (issue 8), one table run through every adapter.

Broken input: exit 1 (2 for options), exactly one ``file:line:column: error: message; hint`` line (the KRM function:
an error result, and its line on stderr), no traceback, nothing on stdout (the KRM function: still one
ResourceList), and with ``--in-place`` every file byte-identical and no temporary file left behind.
Valid but unusual input: exit 0, the same bytes from every adapter, the expected edits, the form kept (BOM, CRLF,
final newline, untouched lines), and a second run changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import capz_wi
from tests.test_reliability_adapters import (
    ADAPTERS,
    BOM,
    ENV_VARS,
    OPTIONS,
    Outcome,
    assert_converted,
    assert_form_kept,
    function_config,
    load_all,
    objects,
    run_krm,
)

AMT = b"""apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureMachineTemplate
metadata:
  name: md-0
spec:
  template:
    spec:
      osDisk:
        diskSizeGB: 128
      vmSize: Standard_B2s
"""
CM = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  key: value\n"
SA_MERGE = b"""apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureMachineTemplate
metadata:
  name: md-0
x-defaults: &defaults
  vmSize: Standard_B2s
  identity: SystemAssigned
spec:
  template:
    spec:
      <<: *defaults
      osDisk: {diskSizeGB: 128}
"""
BOMB = b"""apiVersion: v1
kind: ConfigMap
metadata:
  name: lol
data:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
#: A payload that creates the marker directory when constructed by an unsafe loader (test_python_tag_is_live).
PYTAG = b'!!python/object/apply:os.mkdir ["@MARKER@"]'
DEEP = 10_000
RESOURCE_LIST = b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
SAME = object()


def doc(*parts: bytes) -> bytes:
    return b"---\n".join(parts)


def amt_with(extra: bytes) -> bytes:
    """The AzureMachineTemplate with more fields under spec.template.spec."""
    return AMT + extra


@dataclass
class Case:
    """One catalogue entry. ``error`` is a substring of the expected message (None: valid input), ``at`` its
    (line, column) in input.yaml (column None: any), ``check`` validates a valid output, ``machines`` the number of
    AzureMachineTemplates that must come out converted. ``krm`` overrides the KRM function's expectation, and
    ``krm_raw`` sends the bytes to the function as they are instead of as the items of a ResourceList."""

    id: str
    data: bytes
    error: str | None = None
    at: tuple[int, int | None] | None = None
    exit: int = 1
    machines: int = 0
    check: Callable[[bytes, bytes], None] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    krm: Any = SAME
    krm_raw: bytes | None = None
    only: tuple[str, ...] = ()  # restrict to these adapters (the functionConfig cases are the function's own)
    refusal: bool = False  # a refused edit (an error finding): the CLI may add its summary lines


def unchanged(before: bytes, after: bytes) -> None:
    assert after == before


def form_kept(before: bytes, after: bytes) -> None:
    assert_form_kept(before, after)


CATALOGUE = [
    # --- YAML that does not parse -----------------------------------------------------------------------------
    Case("unclosed-double-quote", CM.replace(b"name: cm", b'name: "cm'), "YAML syntax error", (7, 1)),
    Case("unclosed-single-quote", CM + b"  other: 'open\n", "YAML syntax error", (8, 1)),
    Case("bad-indentation", b"apiVersion: v1\nkind: ConfigMap\n metadata: x\n", "mapping values are not allowed", (3, 10)),
    Case("tab-indentation", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n", "cannot start any token", (4, 1)),
    Case("duplicate-top-level-key", CM + b"kind: Secret\n", "duplicate key 'kind'", (7, 1)),
    Case("duplicate-key-in-edited-object", amt_with(b"      vmSize: Standard_D4s_v3\n"), "duplicate key 'vmSize'", (11, 7)),
    Case("invalid-utf8", CM.replace(b"value", b"val\xffue"), "invalid UTF-8 byte 0xff", (6, 11)),
    Case("truncated-utf8", CM + b"  e: caf\xc3", "invalid UTF-8 byte 0xc3", (7, 9)),
    Case("nul-byte", CM.replace(b"value", b"va\x00lue"), "NUL character", (6, 10)),
    Case("lone-carriage-return", CM.replace(b"key: value\n", b"key: value\rother: x\n"), "carriage return (CR)", (6, 13)),
    # --- YAML that parses but is not a stream of objects ------------------------------------------------------
    Case("document-is-a-scalar", doc(CM, b"just a string\n"), "not a Kubernetes object", (8, 1),
         krm="not a KRM ResourceList", krm_raw=b"just a string\n"),
    Case("document-is-a-list", doc(b"- a\n- b\n", CM), "not a Kubernetes object", (1, 1),
         krm="not a KRM ResourceList", krm_raw=b"- a\n- b\n"),
    Case("document-without-kind", b"apiVersion: v1\nmetadata:\n  name: x\n", "document has no kind", (1, 1),
         krm=None),  # the function passes items without apiVersion/kind through (kpt sends kustomization.yaml)
    Case("list-item-is-a-scalar", b"apiVersion: v1\nkind: List\nitems:\n- 42\n", "List item is not a Kubernetes object",
         (4, 3), krm=None),
    # --- resource limits --------------------------------------------------------------------------------------
    Case("deep-flow-nesting-10000", CM + b"  deep: " + b"[" * DEEP + b"]" * DEEP + b"\n", "nesting deeper than", (7, None)),
    Case("deep-block-nesting-10000", CM + b"  deep:\n  " + b"- " * DEEP + b"x\n", "nesting deeper than", (8, None)),
    Case("alias-bomb", doc(AMT, BOMB), "aliases expand this document", (12, 1)),
    Case("alias-bomb-in-edited-field", amt_with(b"      userAssignedIdentities: &x [[*x]]\n"), "recursive alias", (11, 31)),
    Case("over-max-bytes", doc(CM, AMT), "over the limit of 200", (1, 1), options={"maxBytes": 200}),
    # --- refused edits and options ----------------------------------------------------------------------------
    Case("system-assigned-through-merge-key", SA_MERGE, "identity is SystemAssigned", (7, 3), refusal=True),
    Case("invalid-option-value", AMT, "GUID", None, exit=2, options={"clientID": "not-a-guid"}),
    Case("unknown-option", AMT, "", None, exit=2, options={"bogusField": "x"}),
    # --- KRM envelopes ----------------------------------------------------------------------------------------
    Case("truncated-resource-list", RESOURCE_LIST + b'items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: "cm',
         "YAML syntax error", (7, 1), krm_raw=RESOURCE_LIST + b'items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: "cm'),
    Case("resource-list-items-not-a-list", RESOURCE_LIST + b"items:\n  a: b\n", None, check=unchanged,
         krm="items must be a list", krm_raw=RESOURCE_LIST + b"items:\n  a: b\n"),
    Case("function-config-wrong-kind", b"", only=("krm",), krm="unsupported functionConfig",
         krm_raw=RESOURCE_LIST + b"items: []\nfunctionConfig:\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: x\n"),
    Case("function-config-unknown-field", b"", only=("krm",), krm="bogusField",
         krm_raw=RESOURCE_LIST + b"items: []\n" + function_config({**OPTIONS, "bogusField": "x"}).encode()),
    Case("function-config-python-tag", b"", only=("krm",), krm="spec",
         krm_raw=RESOURCE_LIST + b"items: []\nfunctionConfig:\n  apiVersion: fn.capz-wi.dev/v1alpha1\n"
         b"  kind: WorkloadIdentityTransformer\n  metadata:\n    name: x\n  spec: " + PYTAG + b"\n"),
    # --- valid but unusual: processed, form kept --------------------------------------------------------------
    Case("empty-input", b"", check=lambda before, after: (assert_form_kept(before, after), _eq(after, b""))),
    Case("only-comments", b"# nothing here\n# at all\n", check=unchanged),
    Case("only-document-markers", b"---\n---\n# c\n...\n", check=unchanged),
    Case("utf8-bom", BOM + doc(CM, AMT), machines=1, check=form_kept),
    Case("crlf-line-endings", doc(CM, AMT).replace(b"\n", b"\r\n"), machines=1, check=form_kept),
    Case("no-final-newline", doc(CM, AMT).rstrip(b"\n"), machines=1, check=form_kept),
    Case("kind-list", b"apiVersion: v1\nkind: List\nitems:\n" + b"".join(
        (b"- " if i == 0 else b"  ") + line + b"\n" for i, line in enumerate(AMT.splitlines())
    ), machines=1, check=form_kept),
    Case("anchor-on-edited-mapping", AMT.replace(b"    spec:\n", b"    spec: &machine\n") + b"x-copy: *machine\n",
         machines=1, check=form_kept),
    Case("edited-mapping-is-an-alias", b"""apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureMachineTemplate
metadata:
  name: md-0
x-machine: &machine
  vmSize: Standard_B2s
spec:
  template:
    spec: *machine
""", machines=1, check=form_kept),
    Case("merge-key-in-edited-object", SA_MERGE.replace(b"SystemAssigned", b"None"), machines=1, check=form_kept),
    Case("one-megabyte-single-line", doc(CM.replace(b"value", b"v" * (1 << 20)), AMT), machines=1, check=form_kept),
    Case("unknown-tags-in-untouched-document", doc(
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: !custom cm\ndata: !!map\n  bin: !!binary aGk=\n", AMT
    ), machines=1, check=form_kept),
    Case("python-tag-in-untouched-document", doc(CM + b"  payload: " + PYTAG + b"\n", AMT), machines=1, check=form_kept),
    Case("python-tag-in-edited-object", amt_with(b"      payload: " + PYTAG + b"\n"), machines=1, check=form_kept),
    Case("flow-style-json-document", b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}\n',
         check=unchanged),
]


def _eq(a: bytes, b: bytes) -> None:
    assert a == b


IDS = [c.id for c in CATALOGUE]
assert len(set(IDS)) == len(IDS)
PARAMS = [
    pytest.param(case, adapter, id=f"{case.id}-{adapter}")
    for case in CATALOGUE
    for adapter in ADAPTERS
    if not case.only or adapter in case.only
]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def test_catalogue_size(record_property: Callable[[str, object], None]) -> None:
    """The catalogue covers every entry the issue names, over every adapter."""
    assert len(CATALOGUE) >= 40 and set(ADAPTERS) == {"library", "cli", "cli-in-place", "krm"}
    record_property("summary", f"reliability catalogue: {len(CATALOGUE)} inputs x {len(ADAPTERS)} adapters = {len(PARAMS)} tests")


@pytest.mark.parametrize(("case", "adapter"), PARAMS)
def test_catalogue(case: Case, adapter: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    data = case.data.replace(b"@MARKER@", str(marker).encode())
    options = {**OPTIONS, **case.options}
    if adapter == "krm" and case.krm_raw is not None:
        outcome = run_krm(options, case.krm_raw.replace(b"@MARKER@", str(marker).encode()), tmp_path, raw=True)
    else:
        outcome = ADAPTERS[adapter](options, data, tmp_path)
    assert "Traceback" not in outcome.stderr
    assert not marker.exists(), "a language-specific tag was constructed"
    expected = case.error if adapter != "krm" or case.krm is SAME else case.krm
    if adapter == "krm":
        _check_krm(case, expected, outcome)
    elif expected is None:
        _check_valid(case, options, data, outcome)
    else:
        _check_refused(case, expected, adapter, outcome)


def _check_refused(case: Case, expected: str, adapter: str, o: Outcome) -> None:
    assert o.code == case.exit, o.stderr
    assert o.stdout == b""
    assert o.files_intact, "--in-place changed or left a file after a failure"
    if adapter == "cli" or adapter == "cli-in-place":
        assert len(o.stderr.strip().splitlines()) == len(o.errors) or case.exit == 2, o.stderr
    if case.exit == 2 and adapter != "library" and not expected:
        assert "No such option" in o.stderr  # an unknown flag is click's usage error
        return
    assert len(o.errors) == 1, o.errors or o.stderr
    line = o.errors[0]
    assert expected in line
    assert "; " in line, "the message says what to do"
    if case.at is not None:
        name = "<stdin>" if adapter == "cli" else "input.yaml"
        row, col = case.at
        assert line.startswith(f"{name}:{row}:{col if col is not None else ''}"), line
        assert ": error: " in line


def _check_valid(case: Case, options: dict[str, Any], data: bytes, o: Outcome) -> None:
    assert o.code == 0, o.stderr
    assert o.files_intact or o.output is not None
    assert o.output is not None
    reference = capz_wi.transform(data, capz_wi.Options.from_mapping(options), file="input.yaml").text.encode()
    assert o.output == reference, "adapters disagree"
    if case.check is not None:
        case.check(data, o.output)
    if case.machines:
        assert_converted(objects(load_all(o.output)), case.machines)
    again = capz_wi.transform(o.output, capz_wi.Options.from_mapping(options), file="output.yaml")
    assert again.changes == [] and again.removed == [] and again.text.encode() == o.output


def _check_krm(case: Case, expected: str | None, o: Outcome) -> None:
    assert o.resource_list is not None and o.resource_list.get("kind") == "ResourceList", o.stdout[:200]
    if expected is None:
        assert o.code == 0, o.stderr
        assert o.errors == [] and "error" not in o.stderr
        items = o.resource_list.get("items") or []
        if case.machines:
            assert_converted(objects(items), case.machines)
        return
    assert o.code == 1
    assert len(o.errors) == 1 and expected in o.errors[0], o.errors
    if case.refusal:  # a refused edit names the offending item and field
        (result,) = [r for r in o.resource_list["results"] if r["severity"] == "error"]
        assert result["resourceRef"]["kind"] and result["field"]["path"].startswith("spec."), result
    lines = o.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "error" in lines[0], o.stderr


def test_wrap_resource_list_keeps_documents() -> None:
    """The KRM adapter's envelope: each document becomes one item, unchanged in content."""
    from tests.test_reliability_adapters import wrap_resource_list

    for data in (doc(CM, AMT), BOM + doc(CM, AMT).replace(b"\n", b"\r\n")):
        rl = load_all(wrap_resource_list(data, OPTIONS))[0]
        assert rl["items"] == load_all(data)
        assert rl["functionConfig"]["spec"]["identityID"] == OPTIONS["identityID"]


def test_python_tag_payload_is_live(tmp_path: Path) -> None:
    """The catalogue's payload is real: an unsafe loader (PyYAML's) runs it and creates the marker, so the marker
    checks above, which find no marker after every adapter, prove that capz-wi never constructs it."""
    import yaml

    marker = tmp_path / "pwned"
    payload = PYTAG.replace(b"@MARKER@", str(marker).encode())
    yaml.unsafe_load(b"apiVersion: v1\nkind: ConfigMap\ndata:\n  payload: " + payload + b"\n")
    assert marker.is_dir()
    marker.rmdir()
    result = capz_wi.transform(amt_with(b"      payload: " + payload + b"\n"), capz_wi.Options.from_mapping(OPTIONS))
    assert result.changed and not marker.exists()


NETWORK_REFS = doc(
    b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
    b"- https://github.com/kubernetes-sigs/cluster-api-provider-azure//templates?ref=main\n",
    b"%TAG !remote! https://example.com/tags/\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: refs\n"
    b"  annotations:\n    schema: https://example.com/schema.json\ndata:\n  x: !remote!thing value\n"
    b"  y: !<https://example.com/z> value\n  $ref: http://169.254.169.254/metadata/identity\n",
    AMT,
)


def test_never_opens_a_network_connection(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """URLs, remote tags and kustomize remote resources are data: no adapter resolves, connects or looks anything up."""
    import socket

    from capz_wi.cli import main as cli_main
    from tests.test_reliability_adapters import call

    attempts: list[str] = []

    def refuse(name: str) -> Callable[..., Any]:
        def _refuse(*args: Any, **kwargs: Any) -> Any:
            attempts.append(f"{name}{args[:2]}")
            raise OSError("network disabled by the test")

        return _refuse

    for name in ("getaddrinfo", "create_connection", "gethostbyname"):
        monkeypatch.setattr(socket, name, refuse(name))
    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    result = capz_wi.transform(NETWORK_REFS, capz_wi.Options.from_mapping(OPTIONS))
    assert result.changed and b"169.254.169.254" in result.text.encode()
    for argv in (["transform", "-", "--identity-id", OPTIONS["identityID"]], ["check", "-"]):
        code, out, err = call(cli_main, argv, NETWORK_REFS)
        assert code in (0, 1) and "internal error" not in err, err
    # A ResourceList is one document: no %TAG directive inside it, the rest as items.
    items = NETWORK_REFS.replace(b"%TAG !remote! https://example.com/tags/\n---\n", b"").replace(b"!remote!thing ", b"")
    o = run_krm(OPTIONS, items, tmp_path)
    assert o.code == 0, o.stderr
    assert attempts == []
