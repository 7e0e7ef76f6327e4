"""The fast paths change speed, not results (issue 7).

* The typer-free dispatcher (``capz_wi/cli/_fast.py``) gives the same stdout bytes, stderr and exit code as the
  typer app (``main(args, fast=False)``, the reference) on every golden fixture, under several spellings of the
  same options, with the environment variables, and on error paths; and it declines what it does not know.
* Over every template of the ../shared corpus, the golden fixtures and the benchmark workload, the optimised engine
  gives exactly the result of the pre-optimisation code, which is kept here as reference implementations (linear
  scans, uncached properties, the generic resolver, the per-key duplicate check, the GC left alone) and swapped in
  with monkeypatch.

Speed itself is measured by ``bench/run.py``, never asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import capz_wi
from capz_wi import _edits
from capz_wi import _yamlio as y
from capz_wi._document import Resource
from capz_wi.cli import _fast, main
from capz_wi.rules import _base, no_client_secret
from tests.conftest import CLIENT_ID, FIXTURES, IDENTITY, ROOT, TENANT_ID, corpus_ids, corpus_templates, need_shared
from tests.golden import Case, cases, cli_args, clean_env

ENV_NAMES = (
    "AZURE_SUBSCRIPTION_ID", "AZURE_TENANT_ID", "RESOURCE_GROUP", "USER_ASSIGNED_IDENTITY_NAME",
    "AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY", "AZURE_CLIENT_ID",
)
QUICK = FIXTURES / "quickstart-default" / "input.yaml"
CASES = cases()
OTHER_GUID = "12345678-1234-1234-1234-123456789abc"


@pytest.fixture(autouse=True)
def _no_quickstart_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def _both(args: list[str], capfdbinary: pytest.CaptureFixture[bytes]) -> tuple[tuple[int, bytes, bytes], tuple[int, bytes, bytes]]:
    """(exit code, stdout, stderr) of the fast path and of the typer reference, in this process."""
    assert _fast.parse(args) is not None, f"the fast path declined {args}"
    fast_rc = main(args)
    fast = capfdbinary.readouterr()
    ref_rc = main(args, fast=False)
    ref = capfdbinary.readouterr()
    return (fast_rc, fast.out, fast.err), (ref_rc, ref.out, ref.err)


def _spellings(args: list[str]) -> Iterator[tuple[str, list[str]]]:
    """The same invocation written differently: as given, ``--opt=value``, options before the paths, with -q."""
    yield "plain", args
    joined: list[str] = []
    i = 0
    while i < len(args):
        if args[i] in _fast.VALUE_OPTIONS or args[i] in _fast.MULTI_OPTIONS:
            joined.append(f"{args[i]}={args[i + 1]}")
            i += 2
        else:
            joined.append(args[i])
            i += 1
    yield "equals", joined
    paths = [a for a in joined[1:] if not a.startswith("-")]
    yield "options-first", ["transform", *[a for a in joined[1:] if a.startswith("-")], *paths]
    yield "quiet", [*args, "-q"]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fast_dispatch_matches_typer_on_golden_fixtures(case: Case, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    base = ["transform", str(case.dir / "input.yaml"), *cli_args(case.options_data)]
    for name, args in _spellings(base):
        fast, ref = _both(args, capfdbinary)
        assert fast == ref, name
    assert ref[0] == case.report["exitCode"]  # and it is the golden outcome, not a shared failure


#: (id, extra args after the quick-start path, environment)
VARIANTS: list[tuple[str, list[str], dict[str, str]]] = [
    ("identity-only", ["--identity-id", IDENTITY], {}),
    ("client-from-env", ["--identity-id", IDENTITY], {"AZURE_CLIENT_ID": CLIENT_ID}),
    ("client-env-order", ["--identity-id", IDENTITY],
     {"AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY": OTHER_GUID, "AZURE_CLIENT_ID": CLIENT_ID}),
    ("client-env-empty-first", ["--identity-id", IDENTITY],
     {"AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY": "", "AZURE_CLIENT_ID": CLIENT_ID}),
    ("client-flag-beats-env", ["--identity-id", IDENTITY, "--client-id", CLIENT_ID], {"AZURE_CLIENT_ID": OTHER_GUID}),
    ("tenant-from-env", ["--identity-id", IDENTITY], {"AZURE_TENANT_ID": TENANT_ID}),
    ("identity-from-env", [], {"AZURE_SUBSCRIPTION_ID": "00000000-1111-2222-3333-444444444444",
                               "RESOURCE_GROUP": "capz-wi-rg", "USER_ASSIGNED_IDENTITY_NAME": "capz-wi-identity"}),
    ("identity-parts-flags", ["--subscription-id", "00000000-1111-2222-3333-444444444444", "--resource-group", "rg-1",
                              "--identity-name", "id-one"], {"RESOURCE_GROUP": "ignored-rg"}),
    ("last-value-wins", ["--identity-id", "/subscriptions/x/bad", "--identity-id", IDENTITY], {}),
    ("roles", ["--identity-id", IDENTITY, "--role", "worker", "--role", "control-plane"], {}),
    ("role-worker", ["--identity-id", IDENTITY, "--role", "worker"], {}),
    ("only", ["--identity-id", IDENTITY, "--only", "azwi-quickstart-md-0"], {}),
    ("per-role-identities", ["--control-plane-identity-id", IDENTITY, "--worker-identity-id",
                             IDENTITY.replace("capz-wi-identity", "workers-identity")], {}),
    ("flags", ["--identity-id", IDENTITY, "--template-mode", "--replace-identities", "--replace-system-assigned",
               "--prune-secret", "--provider-id-form", "bare"], {}),
    ("bad-guid", ["--identity-id", IDENTITY, "--client-id", "not-a-guid"], {}),
    ("bad-env-guid", ["--identity-id", IDENTITY], {"AZURE_TENANT_ID": "nope"}),
    ("bad-form", ["--identity-id", IDENTITY, "--provider-id-form", "weird"], {}),
    ("bad-role", ["--identity-id", IDENTITY, "--role", "boss"], {}),
    ("no-identity", [], {}),
    ("too-large", ["--identity-id", IDENTITY, "--max-bytes", "100"], {}),
    ("zero-bytes", ["--identity-id", IDENTITY, "--max-bytes", "0"], {}),
    ("missing-file", ["missing.yaml", "--identity-id", IDENTITY], {}),
    ("two-files", [str(FIXTURES / "machinepool" / "input.yaml"), "--identity-id", IDENTITY], {}),
    ("directory", [str(FIXTURES / "error-not-a-resource"), "--identity-id", IDENTITY], {}),
]


@pytest.mark.parametrize("extra,env", [v[1:] for v in VARIANTS], ids=[v[0] for v in VARIANTS])
def test_fast_dispatch_matches_typer_on_options_and_env(
    extra: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for spelling, args in _spellings(["transform", str(QUICK), *extra]):
        fast, ref = _both(args, capfdbinary)
        assert fast == ref, spelling


def test_variants_cover_success_and_every_error_exit(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    """The variants above are not all alike: they reach exit 0, 1 and 2."""
    codes = set()
    for _, extra, env in VARIANTS:
        if not env:
            codes.add(main(["transform", str(QUICK), *extra]))
    capfdbinary.readouterr()
    assert codes == {0, 1, 2}


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["rules"],
        ["--version"],
        ["--debug", "transform", str(QUICK)],
        ["transform", "--help"],
        ["transform", "-h"],
        ["transform", "--diff", str(QUICK)],
        ["transform", "--check", str(QUICK)],
        ["transform", "-o", "json", str(QUICK)],
        ["transform", "--in-place", str(QUICK)],
        ["transform", "--", str(QUICK)],
        ["transform", "--quiet=1", str(QUICK)],
        ["transform", "-qq", str(QUICK)],
        ["transform", "--identity-id"],
        ["transform", "--identity-id", "--quiet"],
        ["transform", "--identity-id="],
        ["transform", "--max-bytes", "1e6"],
        ["transform", "--max-bytes", "-5"],
        ["transform", "--no-such-option"],
        ["transform", "--identity"],  # click does not expand prefixes either
    ],
    ids=lambda a: " ".join(a) or "(none)",
)
def test_fast_parse_declines_what_it_does_not_know(args: list[str]) -> None:
    assert _fast.parse(args) is None


def test_fast_parse_reads_values_and_environment() -> None:
    env = {"AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY": "", "AZURE_CLIENT_ID": CLIENT_ID, "RESOURCE_GROUP": "rg"}
    plain = _fast.parse(["transform", "a.yaml", "--role=worker", "-q", "-", "--role", "control-plane",
                         "--max-bytes", "1024", "--only", "m"], env)
    assert plain is not None
    assert plain.paths == ["a.yaml", "-"] and plain.quiet
    kw = plain.kwargs
    assert kw["role"] == ["worker", "control-plane"] and kw["only"] == ["m"] and kw["max_bytes"] == 1024
    assert kw["client_id"] == CLIENT_ID and kw["resource_group"] == "rg" and kw["identity_id"] is None
    assert kw["provider_id_form"] == "azure" and kw["prune_secret"] is False


def test_fast_path_process_loads_no_heavy_library() -> None:
    """A whole ``capz-wi transform`` process (stdin to stdout) never imports typer, click, pydantic and the rest,
    and its bytes equal the typer path's."""
    heavy = ["typer", "click", "pydantic", "jsonschema", "jsonpatch", "cryptography", "rich"]
    code = (
        "import sys\n"
        "from capz_wi.cli import main\n"
        "rc = main(sys.argv[2:], fast=sys.argv[1] == 'fast')\n"
        f"loaded = sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))\n"
        "sys.stderr.write('LOADED=' + ','.join(loaded) + '\\n')\n"
        "sys.exit(rc)\n"
    )
    args = ["transform", "-", "--identity-id", IDENTITY, "--client-id", CLIENT_ID]
    runs = {}
    for mode in ("fast", "typer"):
        runs[mode] = subprocess.run(
            [sys.executable, "-c", code, mode, *args], input=QUICK.read_bytes(), capture_output=True,
            env=clean_env(), cwd=ROOT, timeout=120,
        )
    fast, ref = runs["fast"], runs["typer"]
    assert fast.returncode == ref.returncode == 0
    assert fast.stdout == ref.stdout and fast.stdout.startswith(b"apiVersion")
    assert fast.stderr.splitlines()[:-1] == ref.stderr.splitlines()[:-1]
    assert fast.stderr.splitlines()[-1] == b"LOADED="
    assert b"typer" in ref.stderr.splitlines()[-1]  # the check can fail: the reference path does load them


# ---------------------------------------------------------------------------------------------------------------
# The engine: optimised vs the pre-optimisation reference implementations


def ref_lookup(node: y.Node | None, key: str) -> tuple[y.ScalarNode, y.Node] | None:
    for k, v in y.pairs(node):
        if k.value == key:
            return k, v
    return None


def ref_find(self: _base.Context, kind: str, name: str, namespace: str, *, group: str | None = None) -> Resource | None:
    for r in self.objects:
        if r.kind == kind and r.name == name and r.effective_namespace == namespace:
            if group is None or r.group == group:
                return r
    return None


def ref_used_elsewhere(secret: Resource, identity: Resource, ctx: _base.Context) -> bool:
    for r in ctx.objects:
        if r is identity or r is secret:
            continue
        if r.kind == "AzureClusterIdentity":
            if r.value("spec", "clientSecret", "name") == secret.name:
                continue
        annotations = r.data("metadata", "annotations") or {}
        if isinstance(annotations, dict) and secret.name in annotations.values():
            return True
    return False


def ref_check_duplicates(stream: y.Stream, doc: y.Doc) -> None:
    seen: set[int] = set()
    todo: list[y.Node] = [doc.root] if doc.root is not None else []
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, y.MappingNode):
            keys: set[str] = set()
            for k, v in node.value:
                if isinstance(k, y.ScalarNode):
                    if k.value in keys and k.value != "<<":
                        raise capz_wi.InputError(
                            f"duplicate key {k.value!r}",
                            stream.pos(k, doc.index),
                            "remove one of the two; Kubernetes rejects duplicate fields",
                        )
                    keys.add(k.value)
                if not isinstance(v, y.ScalarNode):
                    todo.append(v)
        elif isinstance(node, y.SequenceNode):
            todo.extend(c for c in node.value if not isinstance(c, y.ScalarNode))


def ref_remove_document(self: _edits._Splicer, res: Resource) -> None:
    x = self.x
    if res.item is not None:
        self.remove_item(_edits._root_resource(res), ("items", res.item))
        return
    docs = res.stream.docs
    i = docs.index(res.doc)
    prev_end = 0
    for d in reversed(docs[:i]):
        if d.root is not None:
            prev_end = x.after_line(x.content_end(d.root))
            break
    end = x.after_line(x.content_end(res.node))
    if i == 0 or prev_end == 0:
        nxt = x.t.find("---", end)
        end = x.after_line(nxt + 3) if nxt != -1 and x.prefix_blank(nxt) else end
        self.add(0 if prev_end == 0 else prev_end, end, "")
    else:
        self.add(prev_end, end, "")


class NoPause:
    def __enter__(self) -> NoPause:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


UNCACHED = {
    "api_version": lambda self: y.scalar(y.get(self.node, "apiVersion")) or "",
    "kind": lambda self: y.scalar(y.get(self.node, "kind")) or "",
    "group": lambda self: self.api_version.split("/", 1)[0] if "/" in self.api_version else "",
    "name": lambda self: y.scalar(y.get(self.node, "metadata", "name")) or "",
    "namespace": lambda self: y.scalar(y.get(self.node, "metadata", "namespace")),
    "effective_namespace": lambda self: self.namespace or "default",
    "ref": lambda self: capz_wi.ObjectRef(self.api_version, self.kind, self.name, self.namespace),
}


def use_reference(mp: pytest.MonkeyPatch) -> None:
    """Swap every optimised piece for its pre-optimisation form."""
    mp.setattr(y, "lookup", ref_lookup)
    mp.setattr(y, "check_duplicates", ref_check_duplicates)
    mp.setattr(y, "_Composer", y._Loader)  # the generic resolver, called per node
    mp.setattr(y, "_max_brackets", lambda text: text.count("[") + text.count("{"))
    mp.setattr(y, "SAFE_COMPOSE_DEPTH", -1)  # every suspicious input gets the event pass before composing
    mp.setattr(y, "PausedGC", NoPause)
    mp.setattr(y, "_implicit_non_string", y._implicit_non_string.__wrapped__)
    mp.setattr(_edits._Splicer, "remove_document", ref_remove_document)
    mp.setattr(_base.Context, "find", ref_find)
    mp.setattr(no_client_secret, "_used_elsewhere", ref_used_elsewhere)
    for name, fget in UNCACHED.items():
        mp.setattr(Resource, name, property(fget))


OPTION_SETS = [
    capz_wi.Options(identity_id=IDENTITY),
    capz_wi.Options(identity_id=IDENTITY, client_id=CLIENT_ID, tenant_id=TENANT_ID, prune_secret=True),
    capz_wi.Options(template_mode=True, replace_identities=True, replace_system_assigned=True, provider_id_form="bare"),
    capz_wi.Options(identity_id=IDENTITY, roles=("worker",), only=("md-0", "machinepool-0")),
]


def outcome(data: bytes, file: str) -> list[Any]:
    """Everything a transform reports, for every option set: text, changes, findings, removed, or the error."""
    out: list[Any] = []
    for opts in OPTION_SETS:
        try:
            r = capz_wi.transform(data, opts, file=file)
            out.append((r.text, r.changes, r.findings, r.removed))
        except capz_wi.CapzWiError as exc:
            out.append((type(exc).__name__, str(exc)))
    return out


SECRET = """\
---
apiVersion: v1
kind: Secret
metadata:
  name: bench-identity-secret
  namespace: bench-ns
stringData:
  clientSecret: s3cret
"""


def _bench_stream() -> bytes:
    """Three clusters of the benchmark workload, each with the Secret behind its clientSecret (so that
    ``pruneSecret`` removes documents in the middle and at the end of the stream)."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import run as bench  # bench/run.py
    finally:
        sys.path.pop(0)
    return _with_secrets(bench.stream(3))


def _with_secrets(text: str) -> bytes:
    out = []
    for i, cluster in enumerate(text.split("---\napiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\n")):
        out.append(cluster + SECRET.replace("bench-identity", f"bench-identity-{i:04d}").replace(
            "bench-ns", f"bench-ns-{i:04d}"))
    return "---\napiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\n".join(out).encode()


SOURCES = [*(c.dir / "input.yaml" for c in CASES)]


@pytest.mark.parametrize("path", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_engine_matches_reference_on_fixtures(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = path.read_bytes()
    fast = outcome(data, path.name)
    with monkeypatch.context() as mp:
        use_reference(mp)
        ref = outcome(data, path.name)
    assert fast == ref


def test_engine_matches_reference_on_bench_workload(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _bench_stream()
    fast = outcome(data, "bench.yaml")
    with monkeypatch.context() as mp:
        use_reference(mp)
        ref = outcome(data, "bench.yaml")
    assert fast == ref
    assert len(fast[0][1]) == 3 * 6  # 6 changes per cluster: the workload exercises the rules
    assert len(fast[1][3]) == 3  # pruneSecret removed the three Secrets


CORPUS = corpus_templates()


@pytest.mark.parametrize("path", CORPUS, ids=corpus_ids(CORPUS))
def test_engine_matches_reference_on_corpus(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need_shared()
    data = path.read_bytes()
    fast = outcome(data, path.name)
    with monkeypatch.context() as mp:
        use_reference(mp)
        ref = outcome(data, path.name)
    assert fast == ref


def test_corpus_is_present_for_the_reference_comparison() -> None:
    need_shared()
    assert len(CORPUS) > 20


def _tree(node: y.Node | None) -> Any:
    if node is None:
        return None
    head = (type(node).__name__, str(node.tag), node.start_mark.index, node.end_mark.index, getattr(node, "style", None))
    if isinstance(node, y.ScalarNode):
        return (*head, node.value)
    if isinstance(node, y.SequenceNode):
        return (*head, node.flow_style, [_tree(c) for c in node.value])
    return (*head, node.flow_style, [(_tree(k), _tree(v)) for k, v in node.value])


def _compose(text: str, loader: Any) -> list[Any]:
    ld = loader(text)
    docs = []
    try:
        while ld.check_node():
            docs.append(_tree(ld.get_node()))
    finally:
        ld.dispose()
    return docs


@pytest.mark.parametrize("path", CORPUS, ids=corpus_ids(CORPUS))
def test_composer_and_lookup_match_reference_on_corpus(path: Path) -> None:
    """The resolver shortcut composes the very same nodes; ``lookup`` finds what ``pairs`` finds, for every key
    of every mapping and for keys that are absent."""
    need_shared()
    text = path.read_text()
    assert _compose(text, y._Composer) == _compose(text, y._Loader)
    stream = y.load_stream(text, path.name)
    todo = [d.root for d in stream.docs if d.root is not None]
    checked = 0
    while todo:
        node = todo.pop()
        if isinstance(node, y.MappingNode):
            for key in [str(k.value) for k, _ in node.value] + ["<<", "no-such-key"]:
                assert y.lookup(node, key) == ref_lookup(node, key)
                checked += 1
            todo.extend(v for _, v in node.value)
        elif isinstance(node, y.SequenceNode):
            todo.extend(node.value)
    assert checked > 10


MERGE = """\
base: &base {kind: AzureMachine, name: from-base, extra: 1}
m:
  <<: *base
  name: own
  '<<': quoted-is-a-key
n:
  <<: [*base, {other: 2}]
"""


def test_lookup_with_merge_keys_matches_reference() -> None:
    root = y.load_stream(MERGE).docs[0].root
    for node in (y.get(root, "m"), y.get(root, "n"), y.get(root, "base")):
        for key in ("kind", "name", "extra", "other", "<<", "missing"):
            assert y.lookup(node, key) == ref_lookup(node, key)
    assert y.scalar(y.get(root, "m", "name")) == "own" and y.scalar(y.get(root, "n", "other")) == "2"


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: 2\na: 3\n",
        "m:\n  x: [1, {y: 1, y: 2}]\n",
        "<<: {a: 1}\n<<: {b: 2}\nc: 1\n",
        "---\na: 1\n---\nb: {c: 1, d: [x], c: 2}\n",
    ],
)
def test_duplicate_check_matches_reference(text: str) -> None:
    def error(check: Any) -> str | None:
        s = y.Stream(text=text, file="t.yaml")
        ld = y._Loader(text)
        while ld.check_node():
            s.docs.append(y.Doc(len(s.docs), ld.get_node()))
        ld.dispose()
        try:
            for d in s.docs:
                check(s, d)
        except capz_wi.InputError as exc:
            return str(exc)
        return None

    assert error(y.check_duplicates) == error(ref_check_duplicates)


def test_depth_check_trigger_is_per_document_and_still_refuses_deep_input(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many small documents with brackets no longer pay for the event pass; a deep document is still refused
    at the same position as with the old whole-stream trigger."""
    many = "".join(f"---\na{i}: [x, {{y: [1]}}]\n" for i in range(200))
    assert many.count("[") > y.MAX_DEPTH and y._max_brackets(many) <= y.MAX_DEPTH
    deep = many + "---\nz: " + "[" * (y.MAX_DEPTH + 5) + "]" * (y.MAX_DEPTH + 5) + "\n"
    assert y._max_brackets(deep) > y.MAX_DEPTH
    with pytest.raises(capz_wi.InputError) as fast:
        y.load_stream(deep, "d.yaml")
    monkeypatch.setattr(y, "_max_brackets", lambda text: text.count("[") + text.count("{"))
    monkeypatch.setattr(y, "SAFE_COMPOSE_DEPTH", -1)
    with pytest.raises(capz_wi.InputError) as ref:
        y.load_stream(deep, "d.yaml")
    assert str(fast.value) == str(ref.value) and "nesting deeper" in str(fast.value)


def test_paused_gc_restores_the_collector_state() -> None:
    import gc

    assert gc.isenabled()
    with y.PausedGC():
        assert not gc.isenabled()
        with y.PausedGC():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    capz_wi.transform(QUICK.read_bytes(), capz_wi.Options(identity_id=IDENTITY))
    assert gc.isenabled()


def test_bench_patches_make_the_same_edits_as_the_transform() -> None:
    """bench/run.py's yardstick (kubectl kustomize with JSON 6902 patches) applies exactly capz-wi's edits: applied
    with jsonpatch to the parsed objects, they give the objects capz-wi outputs."""
    import jsonpatch  # a runtime dependency of capz-wi
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import run as bench
    finally:
        sys.path.pop(0)
    text = bench.stream(4)
    patches = bench.json6902(text)
    from capz_wi._engine import _to_json

    def objects(t: str) -> list[dict[str, Any]]:
        return [_to_json(d.root) for d in y.load_stream(t).docs if d.root is not None]

    before = objects(text)
    after = objects(capz_wi.transform(text, capz_wi.Options(identity_id=bench.IDENTITY)).text)
    patched = []
    for obj in before:
        for p in patches:
            t = p["target"]
            if obj["kind"] == t["kind"] and obj["apiVersion"] == f"{t['group']}/{t['version']}" and \
                    t.get("name", obj["metadata"]["name"]) == obj["metadata"]["name"]:
                obj = jsonpatch.apply_patch(obj, json.loads(p["patch"]))
        patched.append(obj)
    assert patched == after and before != after


def test_fast_tables_match_the_typer_command() -> None:
    """Drift guard: every option the fast path accepts exists on the typer ``transform`` command with the same
    kind (flag, value, repeatable), the same environment variables and the same default. An option added to the
    typer command only is safe (the fast path declines it); one that changed there must change here too.
    (Duck-typed: typer ships its own copy of click.)"""
    import typer.main

    from capz_wi.cli import build_app

    command = typer.main.get_command(build_app()).commands["transform"]  # type: ignore[attr-defined]
    options = {opt: p for p in command.params if hasattr(p, "is_flag") for opt in [*p.opts, *p.secondary_opts]}
    defaults = {"provider_id_form": "azure", "max_bytes": _fast.DEFAULT_MAX_BYTES}

    def envvars(p: Any) -> tuple[str, ...]:
        return (p.envvar,) if isinstance(p.envvar, str) else tuple(p.envvar or ())

    for flag, (param, env) in _fast.VALUE_OPTIONS.items():
        p = options[flag]
        assert (p.name, p.is_flag, p.multiple, envvars(p), p.default) == (param, False, False, env, defaults.get(param))
    for flag, param in _fast.MULTI_OPTIONS.items():
        p = options[flag]
        assert (p.name, p.is_flag, p.multiple, envvars(p)) == (param, False, True, ())
    for flag, param in _fast.FLAG_OPTIONS.items():
        p = options[flag]
        assert (p.name, p.is_flag, p.multiple, envvars(p), p.default, p.secondary_opts) == (param, True, False, (), False, [])
    arguments = [p for p in command.params if not hasattr(p, "is_flag")]
    assert [(p.name, p.nargs) for p in arguments] == [("paths", -1)]
    assert len(options) > len(_fast.VALUE_OPTIONS) + len(_fast.MULTI_OPTIONS) + len(_fast.FLAG_OPTIONS)  # -o, --diff...


M = y.MAX_DEPTH
DEEP_CASES = {
    "flow-just-deep-enough": "a: " + "[" * M + "]" * M + "\n",
    "flow-one-too-deep": "a: " + "[" * M + "]" * M + "\n".replace("\n", "") + "\nb: " + "{x: " * M + "1" + "}" * M + "\n",
    "block-too-deep": "".join("  " * i + f"k{i}:\n" for i in range(M + 3)) + "  " * (M + 3) + "v: 1\n",
    "second-document": "a: [1, [2]]\n---\n" + "x: " + "[" * (M + 2) + "]" * (M + 2) + "\n",
    "deep-then-syntax-error": "x: " + "[" * (M + 2) + "]" * (M + 2) + "\ny: [unclosed\n",
    "syntax-error-then-deep": "y: [unclosed\nz: 1\n---\nx: " + "[" * (M + 2) + "]" * (M + 2) + "\n",
    "undefined-alias-then-deep": "a: *nothing\n---\nx: " + "[" * (M + 2) + "]" * (M + 2) + "\n",
    "alias-deeper-than-anchor": "a: &d " + "[" * (M - 5) + "]" * (M - 5) + "\nb: " + "[" * 10 + "*d" + "]" * 10 + "\n",
    "anchor-itself-too-deep-later": "b: " + "[" * 3 + "1" + "]" * 3 + "\na: &d " + "[" * (M + 1) + "]" * (M + 1) + "\n",
    "scalar-document": "--- '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[" + "[" * 200 + "'\n",
    "brackets-in-strings": "a: '" + "[{" * (M * 2) + "'\nb: [ok]\n",
    "complex-key": "? " + "[" * (M + 1) + "]" * (M + 1) + "\n: v\n",
}


@pytest.mark.parametrize("name", list(DEEP_CASES))
def test_depth_check_on_nodes_matches_the_event_pass(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Measured on the composed nodes (fast) or by the event pass before composing (reference), every deep,
    almost deep, aliased or broken input gets the same outcome: the same error at the same position, or none."""
    text = DEEP_CASES[name]

    def outcome() -> str:
        try:
            return f"ok, {len(y.load_stream(text, 'deep.yaml').docs)} documents"
        except capz_wi.CapzWiError as exc:
            return f"{type(exc).__name__}: {exc}"

    fast = outcome()
    monkeypatch.setattr(y, "SAFE_COMPOSE_DEPTH", -1)
    assert outcome() == fast


def test_depth_cases_reach_both_outcomes() -> None:
    outcomes = set()
    for text in DEEP_CASES.values():
        try:
            y.load_stream(text)
            outcomes.add("ok")
        except capz_wi.InputError as exc:
            outcomes.add("deep" if "nesting deeper" in str(exc) else type(exc).__name__)
    assert {"ok", "deep", "YamlSyntaxError"} <= outcomes
