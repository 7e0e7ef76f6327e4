"""Unit tests of capz_wi._outputs: the pure renderings behind --diff and -o json/patch/kustomize."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import jsonpatch
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from capz_wi import InputError, ObjectRef, transform
from capz_wi._outputs import (
    ObjectPair,
    colorize_diff,
    kustomize_overlay,
    make_patch,
    object_patches,
    pair_objects,
    parse_objects,
    resource_names,
    secret_value_lines,
    unified_diff,
    v1_list,
)
from tests.conftest import ROOT, corpus_ids, corpus_templates, need_shared

# --------------------------------------------------------------------------------------------------------------
# diff


def test_diff_labels_and_hunks() -> None:
    d = unified_diff("a: 1\nb: 2\n", "a: 1\nb: 3\n", "dir/x.yaml")
    assert d == "--- a/dir/x.yaml\n+++ b/dir/x.yaml\n@@ -1,2 +1,2 @@\n a: 1\n-b: 2\n+b: 3\n"


def test_diff_plain_labels_for_absolute_paths_and_stdin() -> None:
    assert unified_diff("a\n", "b\n", "/tmp/x.yaml").startswith("--- /tmp/x.yaml\n+++ /tmp/x.yaml\n")
    assert unified_diff("a\n", "b\n", "<stdin>").startswith("--- <stdin>\n+++ <stdin>\n")


def test_diff_empty_when_equal_and_marks_missing_final_newline() -> None:
    assert unified_diff("a: 1\n", "a: 1\n", "x") == ""
    d = unified_diff("a: 1", "a: 2", "x")
    assert d.endswith("-a: 1\n\\ No newline at end of file\n+a: 2\n\\ No newline at end of file\n")


def test_diff_keeps_crlf() -> None:
    d = unified_diff("a: 1\r\nb: 2\r\n", "a: 1\r\nb: 3\r\n", "x")
    assert "-b: 2\r\n+b: 3\r\n" in d


def test_colorize_diff() -> None:
    d = unified_diff("a: 1\nb: 2\n", "a: 1\nb: 3\n", "x")
    c = colorize_diff(d)
    assert c.splitlines() == [
        "\x1b[1m--- a/x\x1b[0m",
        "\x1b[1m+++ b/x\x1b[0m",
        "\x1b[36m@@ -1,2 +1,2 @@\x1b[0m",
        " a: 1",
        "\x1b[31m-b: 2\x1b[0m",
        "\x1b[32m+b: 3\x1b[0m",
    ]


# --------------------------------------------------------------------------------------------------------------
# objects: YAML 1.2 core schema

SNIPPET = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: x}
data:
  octal_like: 0644
  quoted: "0644"
  yes_word: yes
  on_word: on
  exp: 1e3
  inf: -.inf
  hex: 0x1F
  oct: 0o17
  tilde: ~
  empty:
  cap_true: True
  tagged: !!str 5
  anchored: &x !!int "7"
  alias: *x
  block: |
    123
  folded: >-
    true
  underscore: 1_000
  date: 2001-12-14
  base: &b {k: 1}
  merged: {<<: *b, j: 2}
"""


def test_scalars_follow_the_yaml_1_2_core_schema() -> None:
    [(ref, obj)] = parse_objects(SNIPPET)
    assert ref == ObjectRef("v1", "ConfigMap", "x", None)
    assert obj["data"] == {
        "octal_like": 644, "quoted": "0644", "yes_word": "yes", "on_word": "on", "exp": 1000.0, "inf": -math.inf,
        "hex": 31, "oct": 15, "tilde": None, "empty": None, "cap_true": True, "tagged": "5", "anchored": 7,
        "alias": 7, "block": "123\n", "folded": "true", "underscore": "1_000", "date": "2001-12-14",
        "base": {"k": 1}, "merged": {"j": 2, "k": 1},
    }


def test_lists_are_flattened() -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: A, metadata: {name: a}}\n" \
           "- {apiVersion: v1, kind: B, metadata: {name: b, namespace: n}}\n"
    assert [(r.kind, r.namespace, o["metadata"]["name"]) for r, o in parse_objects(text)] == [
        ("A", None, "a"), ("B", "n", "b")
    ]


@pytest.mark.parametrize("template", corpus_templates(), ids=corpus_ids(corpus_templates()))
def test_objects_equal_ruamel_yaml_1_2_over_the_corpus(template: Path) -> None:
    """An independent YAML 1.2 reader (ruamel's pure safe loader) reads every corpus template the same way."""
    need_shared()
    text = template.read_text(encoding="utf-8")
    reference = [d for d in YAML(typ="safe", pure=True).load_all(text) if d is not None]
    assert [o for _, o in parse_objects(text)] == reference


def test_v1_list() -> None:
    assert v1_list([{"a": 1}]) == {"apiVersion": "v1", "kind": "List", "items": [{"a": 1}]}


# --------------------------------------------------------------------------------------------------------------
# patches

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["a", "b", "0644", ""]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["x", "y", "z/w", "~t"]), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["spec", "metadata", "a/b", "~"]), JSON), st.dictionaries(st.sampled_from(["spec", "metadata", "a/b", "~"]), JSON))
def test_make_patch_turns_before_into_after(before: dict, after: dict) -> None:
    result = jsonpatch.apply_patch(before, make_patch(before, after))
    assert json.dumps(result, sort_keys=True) == json.dumps(after, sort_keys=True)  # typed: True is not 1


def test_make_patch_recovers_from_jsonpatch_move_ordering() -> None:
    # stefankoegl/python-json-patch#160: chained moves in an order that does not reproduce the target
    src = {"a": [{"id": [1]}, {"id": [2]}], "b": [{"id": 5}]}
    dst = {"a": [{"id": []}, {"id": [1]}], "b": [{"id": 5, "newKey": 2}]}
    assert jsonpatch.apply_patch(src, make_patch(src, dst)) == dst


def test_make_patch_is_the_same_under_any_hash_seed() -> None:
    code = (
        "import json; from capz_wi._outputs import make_patch;"
        "a={'k1':'v','k2':'v','k5':{'s1':1,'s2':2,'s4':4}};"
        "b={'k1':'x','k2':'y','k5':{'s1':1,'s2':2,'s5':5},'k6':{'s':1},'k7':2};"
        "print(json.dumps(make_patch(a,b)))"
    )
    outs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                       env={"PYTHONHASHSEED": str(seed), "PATH": "/usr/bin:/bin"}).stdout
        for seed in range(6)
    }
    assert len(outs) == 1, outs  # the same bytes under six hash seeds
    ops = make_patch({"k1": "v", "k5": {"s4": 4}}, {"k1": "x", "k5": {"s5": 5}, "k6": 1})
    assert ops == [
        {"op": "add", "path": "/k6", "value": 1},
        {"op": "replace", "path": "/k1", "value": "x"},
        {"op": "remove", "path": "/k5/s4"},
        {"op": "add", "path": "/k5/s5", "value": 5},
    ]


def test_object_patches_skip_unchanged_and_mark_deletions() -> None:
    ref = ObjectRef("v1", "Secret", "s", "ns")
    pairs = [
        ObjectPair(ObjectRef("v1", "A", "a"), {"k": 1}, {"k": 1}),
        ObjectPair(ObjectRef("v1", "B", "b"), {"k": 1}, {"k": 2}),
        ObjectPair(ref, {"k": 1}, None),
    ]
    assert object_patches(pairs) == [
        {"target": {"apiVersion": "v1", "kind": "B", "namespace": None, "name": "b"},
         "patch": [{"op": "replace", "path": "/k", "value": 2}]},
        {"target": {"apiVersion": "v1", "kind": "Secret", "namespace": "ns", "name": "s"}, "delete": True},
    ]


def test_pair_objects_lines_up_removed_objects() -> None:
    from tests.conftest import IDENTITY

    import capz_wi

    text = (ROOT / "tests" / "fixtures" / "quickstart-default" / "input.yaml").read_text()
    r = transform(text, capz_wi.Options(identity_id=IDENTITY, prune_secret=True))
    pairs = pair_objects(text, r.text, r.removed)
    assert [p.ref.kind for p in pairs if p.after is None] == ["Secret"]
    assert len(pairs) == len(parse_objects(text))


# --------------------------------------------------------------------------------------------------------------
# kustomize overlay


def test_resource_names() -> None:
    assert resource_names(["<stdin>", "a/cluster.yaml", "b/cluster.yaml", "kustomization.yaml", "x.yml"]) == [
        "resources.yaml", "cluster.yaml", "cluster-2.yaml", "kustomization-2.yaml", "x.yml"
    ]


def test_overlay_quotes_regex_metacharacters_in_target_names() -> None:
    before = {"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "AzureMachineTemplate",
              "metadata": {"name": "${CLUSTER_NAME}-md-0", "namespace": "default"}, "spec": {}}
    after = {**before, "spec": {"a": "b"}}
    ref = ObjectRef(before["apiVersion"], before["kind"], "${CLUSTER_NAME}-md-0", "default")
    files = kustomize_overlay([("<stdin>", "text", [ObjectPair(ref, before, after)])])
    assert files["resources.yaml"] == "text"
    k = files["kustomization.yaml"]
    assert '    - {"op": "add", "path": "/spec/a", "value": "b"}\n' in k
    parsed = YAML(typ="safe", pure=True).load(k)
    assert parsed["patches"][0]["target"] == {
        "group": "infrastructure.cluster.x-k8s.io", "version": "v1beta1", "kind": "AzureMachineTemplate",
        "name": "\\$\\{CLUSTER_NAME\\}-md-0", "namespace": "default",
    }
    assert parsed["patches"][0]["patch"] == '- {"op": "add", "path": "/spec/a", "value": "b"}'


def test_overlay_refuses_two_changed_objects_with_one_identity() -> None:
    ref = ObjectRef("v1", "ConfigMap", "same", "ns")
    pair = ObjectPair(ref, {"k": 1}, {"k": 2})
    with pytest.raises(InputError, match="appears twice"):
        kustomize_overlay([("a.yaml", "", [pair]), ("b.yaml", "", [pair])])


# --------------------------------------------------------------------------------------------------------------
# secrets in diffs

SECRETS_OLD = """\
apiVersion: v1
kind: Secret
metadata: {name: s}
stringData:
  AZURE_CLIENT_SECRET: hunter2
  cert: |
    -----BEGIN-----
    abc
  flow: {x: y}
data: {k: c2VjcmV0}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data:
  plain: visible-old
"""


def test_diff_redacts_secret_values_but_keeps_the_hunks() -> None:
    new = SECRETS_OLD.replace("hunter2", "hunter3").replace("abc", "abd").replace("visible-old", "visible-new")
    d = unified_diff(SECRETS_OLD, new, "s.yaml")
    for secret in ("hunter", "abc", "abd", "BEGIN", "c2VjcmV0", "x: y"):
        assert secret not in d
    assert "-  AZURE_CLIENT_SECRET: <redacted>\n+  AZURE_CLIENT_SECRET: <redacted>\n" in d
    assert "-    <redacted>\n+    <redacted>\n" in d  # the changed block-scalar line, redacted on both sides
    assert "-  plain: visible-old\n+  plain: visible-new\n" in d  # not a Secret: shown
    assert "hunter2" in unified_diff(SECRETS_OLD, new, "s.yaml", redact=False)


def test_secret_value_lines() -> None:
    assert secret_value_lines(SECRETS_OLD) == {4: 23, 5: 8, 6: 0, 7: 0, 8: 8, 9: 10}
    assert secret_value_lines("not: [valid") == {}
