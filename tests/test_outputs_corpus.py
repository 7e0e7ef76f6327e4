"""The -o patch and -o kustomize outputs, verified by applying them, over every CAPZ template of ../shared/corpus.

- patch: every entry of ``capz-wi transform -o patch``, applied with ``jsonpatch`` to the parsed input object,
  gives exactly the parsed output object; unchanged objects have no entry; removed objects are ``delete`` entries.
- kustomize: ``kustomize build`` of the ``-o kustomize`` overlay gives exactly the transform's objects, keyed by
  kind/namespace/name. Both sides are parsed with the same YAML 1.2 reader (``capz_wi._outputs.parse_objects``);
  no further normaliser is needed: kustomize re-serialises (sorted keys, no comments, its own quoting), but it keeps
  every scalar's type under YAML 1.2 (a quoted ``"0644"`` stays a string), so parsed objects compare equal as they are.
  Raw templates (``${VAR}`` placeholders) build too: kustomize treats the placeholders as plain strings, and the
  overlay quotes regex metacharacters in target names (``\\$\\{CLUSTER_NAME\\}``), so raw and rendered are both run.

The CLI runs in-process (``capz_wi.cli.main``): the same code path as the console script, ~80 templates without
~80 interpreter start-ups on a shared machine. ``--prune-secret`` is on so that removals are exercised as well.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonpatch
import pytest

from capz_wi._outputs import parse_objects
from capz_wi.cli import main
from tests.conftest import CLIENT_ID, IDENTITY, TENANT_ID, corpus_ids, corpus_templates, need_shared, need_tool

TEMPLATES = corpus_templates()
ARGS = ["--identity-id", IDENTITY, "--client-id", CLIENT_ID, "--tenant-id", TENANT_ID, "--prune-secret", "-q"]


def _cli(capsysbinary: pytest.CaptureFixture[bytes], *args: str) -> bytes:
    rc = main(["transform", *args, *ARGS])
    out, err = capsysbinary.readouterr()
    assert rc == 0, err.decode()
    return out


def _key(pairs: list[Any]) -> dict[tuple[str, str | None, str], dict[str, Any]]:
    out = {}
    for ref, obj in pairs:
        key = (ref.kind, ref.namespace, ref.name)
        assert key not in out, f"duplicate {key}"
        out[key] = obj
    return out


def test_corpus_is_there() -> None:
    need_shared()
    assert len(TEMPLATES) >= 40, TEMPLATES  # raw and rendered, two CAPZ versions


@pytest.mark.parametrize("template", TEMPLATES, ids=corpus_ids(TEMPLATES))
def test_patch_applies_to_the_input_and_gives_the_output(template: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    need_shared()
    entries = json.loads(_cli(capsysbinary, str(template), "-o", "patch"))
    output = _cli(capsysbinary, str(template)).decode()
    before = parse_objects(template.read_text(encoding="utf-8"), template.name)
    after = _key(parse_objects(output, template.name))
    by_target = {}
    for e in entries:
        t = e["target"]
        key = (t["kind"], t["namespace"], t["name"])
        assert key not in by_target
        by_target[key] = e
    rebuilt = {}
    for ref, obj in before:
        key = (ref.kind, ref.namespace, ref.name)
        entry = by_target.pop(key, None)
        if entry is None:
            rebuilt[key] = obj  # no entry: the transform left it as it was
        elif entry.get("delete"):
            assert "patch" not in entry and key not in after
        else:
            assert entry["target"]["apiVersion"] == ref.api_version and entry["patch"]
            rebuilt[key] = jsonpatch.apply_patch(obj, entry["patch"])
    assert by_target == {}, "entries for objects not in the input"
    assert rebuilt == after


@pytest.mark.parametrize("template", TEMPLATES, ids=corpus_ids(TEMPLATES))
def test_kustomize_build_of_the_overlay_gives_the_output(
    template: Path, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    need_shared()
    kustomize = need_tool("kustomize")
    overlay = tmp_path / "overlay"
    assert _cli(capsysbinary, str(template), "-o", "kustomize", "--out-dir", str(overlay)) == b""
    assert (overlay / template.name).read_bytes() == template.read_bytes()
    output = _cli(capsysbinary, str(template)).decode()
    built = subprocess.run([kustomize, "build", str(overlay)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert _key(parse_objects(built.stdout, "kustomize")) == _key(parse_objects(output, template.name))


# The golden fixtures add what the corpus lacks: kind: List, ASO credential Secrets, CRLF and comments, ClusterClass.
from tests.golden import cases, cli_args  # noqa: E402

FIXTURE_CASES = [c for c in cases() if c.expected is not None]


@pytest.mark.parametrize("case", FIXTURE_CASES, ids=[c.name for c in FIXTURE_CASES])
def test_fixture_patch_and_overlay(case: Any, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    kustomize = need_tool("kustomize")
    src = tmp_path / "input.yaml"
    src.write_bytes(case.input)
    opts = cli_args(case.options_data)

    def cli(*args: str) -> bytes:
        rc = main(["transform", str(src), *opts, "-q", *args])
        out, err = capsysbinary.readouterr()
        assert rc == 0, err.decode()
        return out

    assert cli() == case.expected
    after = _key(parse_objects(case.expected.decode(), "expected.yaml"))
    rebuilt = {}
    entries = {(e["target"]["kind"], e["target"]["namespace"], e["target"]["name"]): e for e in json.loads(cli("-o", "patch"))}
    for ref, obj in parse_objects(case.input.decode("utf-8-sig"), "input.yaml"):
        key = (ref.kind, ref.namespace, ref.name)
        e = entries.pop(key, None)
        if e is None or not e.get("delete"):
            rebuilt[key] = jsonpatch.apply_patch(obj, e["patch"]) if e else obj
    assert entries == {} and rebuilt == after
    cli("-o", "kustomize", "--out-dir", str(tmp_path / "overlay"))
    built = subprocess.run([kustomize, "build", str(tmp_path / "overlay")], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert _key(parse_objects(built.stdout, "kustomize")) == after
