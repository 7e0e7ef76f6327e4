"""``capz-wi transform`` review and GitOps outputs, through the real CLI in a subprocess.

Golden files live in ``tests/outputs/<case>/`` (``expected.diff``, ``expected.json``, ``expected-patch.json`` and
``kustomize/kustomization.yaml``); ``pytest --update-golden`` rewrites them. Each case runs the quick-start fixture
copied to ``cluster.yaml`` in a temporary directory, so the labels and file names in the output are stable.
"""

from __future__ import annotations

import json
import os
import pty
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CLIENT_ID, FIXTURES, IDENTITY, ROOT, TENANT_ID, need_tool
from tests.golden import Case, clean_env, cli_args, run_cli

OUTPUTS = ROOT / "tests" / "outputs"
QUICKSTART = Case("quickstart-default", FIXTURES / "quickstart-default")
#: golden case -> extra flags on top of the quick-start options
GOLDEN = {"quickstart-default": [], "quickstart-prune-secret": ["--prune-secret"]}
ID_ARGS = ["--identity-id", IDENTITY, "--client-id", CLIENT_ID, "--tenant-id", TENANT_ID]

CLEAN = QUICKSTART.expected  # already migrated: nothing to change
assert CLEAN is not None
DIRTY = QUICKSTART.input
BROKEN = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n"


def _golden(path: Path, actual: bytes, update: bool) -> None:
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
        return
    assert path.exists(), f"{path} missing: run pytest --update-golden and review it"
    assert actual == path.read_bytes(), f"{path} differs from the actual output"


def _run_case(tmp_path: Path, case: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    (tmp_path / "cluster.yaml").write_bytes(QUICKSTART.input)
    flags = cli_args(QUICKSTART.options_data) + GOLDEN[case]
    return run_cli(["transform", "cluster.yaml", *flags, *args], cwd=tmp_path)


@pytest.mark.parametrize("case", list(GOLDEN))
@pytest.mark.parametrize("output", ["diff", "json", "patch"])
def test_golden_stdout_outputs(tmp_path: Path, case: str, output: str, update_golden: bool) -> None:
    args = ["--diff"] if output == "diff" else ["-o", output]
    proc = _run_case(tmp_path, case, *args)
    assert proc.returncode == 0, proc.stderr.decode()
    name = {"diff": "expected.diff", "json": "expected.json", "patch": "expected-patch.json"}[output]
    _golden(OUTPUTS / case / name, proc.stdout, update_golden)
    if output != "diff":
        json.loads(proc.stdout)  # valid JSON, whatever the golden bytes say
    assert b"\x1b[" not in proc.stdout  # not a terminal: no colour


@pytest.mark.parametrize("case", list(GOLDEN))
def test_golden_kustomize_overlay(tmp_path: Path, case: str, update_golden: bool) -> None:
    proc = _run_case(tmp_path, case, "-o", "kustomize", "--out-dir", "overlay")
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == b""
    overlay = tmp_path / "overlay"
    assert sorted(p.name for p in overlay.iterdir()) == ["cluster.yaml", "kustomization.yaml"]
    assert (overlay / "cluster.yaml").read_bytes() == QUICKSTART.input  # the input, byte for byte
    _golden(OUTPUTS / case / "kustomize" / "kustomization.yaml", (overlay / "kustomization.yaml").read_bytes(), update_golden)


def test_golden_kustomize_builds_the_transform_output(tmp_path: Path) -> None:
    """The committed golden overlay, built by the real kustomize, gives the transform's objects (quick start)."""
    from capz_wi._outputs import parse_objects

    kustomize = need_tool("kustomize")
    proc = _run_case(tmp_path, "quickstart-prune-secret", "-o", "kustomize", "--out-dir", "overlay")
    assert proc.returncode == 0, proc.stderr.decode()
    built = subprocess.run([kustomize, "build", str(tmp_path / "overlay")], capture_output=True, text=True, check=True)
    want = _run_case(tmp_path, "quickstart-prune-secret")
    key = lambda pairs: {(r.kind, r.namespace, r.name): o for r, o in pairs}  # noqa: E731
    got, expected = key(parse_objects(built.stdout)), key(parse_objects(want.stdout.decode()))
    assert ("Secret", "default", "cluster-identity-secret") not in got
    assert got == expected


def test_json_is_a_v1_list_of_the_output_objects(tmp_path: Path) -> None:
    proc = _run_case(tmp_path, "quickstart-default", "-o", "json")
    doc = json.loads(proc.stdout)
    assert (doc["apiVersion"], doc["kind"]) == ("v1", "List")
    kinds = [i["kind"] for i in doc["items"]]
    assert "Secret" in kinds and len(kinds) == QUICKSTART.input.count(b"\nkind: ") + QUICKSTART.input.startswith(b"kind: ")
    ident = next(i for i in doc["items"] if i["kind"] == "AzureClusterIdentity")
    assert ident["spec"]["type"] == "WorkloadIdentity" and "clientSecret" not in ident["spec"]
    amt = [i for i in doc["items"] if i["kind"] == "AzureMachineTemplate"]
    assert all(a["spec"]["template"]["spec"]["sshPublicKey"] == "" for a in amt)  # strings stay strings


def test_diff_colour_only_on_a_terminal_without_no_color(tmp_path: Path) -> None:
    (tmp_path / "cluster.yaml").write_bytes(DIRTY)
    args = [sys.executable, "-m", "capz_wi", "transform", "cluster.yaml", "--diff", "-q", *ID_ARGS]

    def on_tty(env: dict[str, str]) -> bytes:
        master, slave = pty.openpty()
        proc = subprocess.Popen(args, stdout=slave, stderr=subprocess.DEVNULL, cwd=tmp_path, env=env)
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO once the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(master)
        assert proc.wait(timeout=120) == 0
        return b"".join(chunks)

    env = clean_env()
    env.pop("NO_COLOR", None)
    coloured = on_tty(env)
    assert b"\x1b[32m+      identity: UserAssigned\x1b[0m" in coloured
    assert b"\x1b[31m-  type: ServicePrincipal\x1b[0m" in coloured
    plain = on_tty({**env, "NO_COLOR": "1"})
    assert b"\x1b[" not in plain and b"+      identity: UserAssigned" in plain


def test_diff_of_a_clean_file_is_empty(tmp_path: Path) -> None:
    (tmp_path / "clean.yaml").write_bytes(CLEAN)
    proc = run_cli(["transform", "clean.yaml", "--diff", *ID_ARGS], cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, b"")


# ---------------------------------------------------------------------------------------------------------------
# --check and --in-place on clean, dirty and broken files


def _tree(tmp_path: Path, **files: bytes) -> dict[str, Path]:
    paths = {}
    for name, data in files.items():
        p = tmp_path / "manifests" / f"{name}.yaml"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        os.utime(p, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))  # an old, recognisable mtime
        paths[name] = p
    return paths


def _snapshot(paths: dict[str, Path]) -> dict[str, tuple[bytes, int, int]]:
    return {n: (p.read_bytes(), p.stat().st_mtime_ns, stat.S_IMODE(p.stat().st_mode)) for n, p in paths.items()}


def test_check_clean_exits_0_and_writes_nothing(tmp_path: Path) -> None:
    paths = _tree(tmp_path, clean=CLEAN)
    before = _snapshot(paths)
    proc = run_cli(["transform", "--check", str(paths["clean"]), *ID_ARGS], cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, b""), proc.stderr.decode()
    assert b"clean.yaml: nothing to change" in proc.stderr
    assert _snapshot(paths) == before


def test_check_dirty_exits_1_and_lists_object_and_field(tmp_path: Path) -> None:
    paths = _tree(tmp_path, clean=CLEAN, dirty=DIRTY)
    before = _snapshot(paths)
    proc = run_cli(["transform", "--check", "manifests", *ID_ARGS], cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == b""
    err = proc.stderr.decode()
    assert "manifests/dirty.yaml:127:3: would change AzureClusterIdentity default/cluster-identity: spec.type: ServicePrincipal -> WorkloadIdentity" in err
    assert "would change AzureMachineTemplate default/azwi-quickstart-md-0: spec.template.spec.identity" in err
    assert "capz-wi: manifests/clean.yaml: nothing to change" in err
    assert "capz-wi: manifests/dirty.yaml: would change: " in err
    assert "11111111-2222-3333-4444-555555555555 ->" in err  # clientID is not secret; the secret name never shows
    assert _snapshot(paths) == before


def test_check_with_diff_prints_the_diff_and_still_fails(tmp_path: Path) -> None:
    paths = _tree(tmp_path, dirty=DIRTY)
    proc = run_cli(["transform", "--check", "--diff", str(paths["dirty"].relative_to(tmp_path)), *ID_ARGS], cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.startswith(b"--- a/manifests/dirty.yaml\n+++ b/manifests/dirty.yaml\n@@ ")


def test_check_broken_exits_1_with_a_located_error(tmp_path: Path) -> None:
    paths = _tree(tmp_path, clean=CLEAN, broken=BROKEN)
    proc = run_cli(["transform", "--check", "manifests", *ID_ARGS], cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (1, b"")
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("manifests/broken.yaml:5:1: error: YAML syntax error"), lines


def test_in_place_rewrites_dirty_keeps_mode_and_leaves_clean_alone(tmp_path: Path) -> None:
    paths = _tree(tmp_path, clean=CLEAN, dirty=DIRTY)
    paths["dirty"].chmod(0o640)
    os.utime(paths["dirty"], ns=(10**18, 10**18))
    before = _snapshot(paths)
    proc = run_cli(["transform", "-i", "manifests", *ID_ARGS], cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, b""), proc.stderr.decode()
    after = _snapshot(paths)
    assert after["clean"] == before["clean"]  # bytes, mtime and mode: not rewritten
    data, mtime, mode = after["dirty"]
    assert data == CLEAN and mode == 0o640 and mtime != before["dirty"][1]
    err = proc.stderr.decode()
    assert "capz-wi: manifests/clean.yaml: nothing to change" in err
    assert "capz-wi: manifests/dirty.yaml: rewritten, 7 change(s) in 3 object(s)" in err
    assert [p.name for p in (tmp_path / "manifests").iterdir() if p.name.startswith(".capz-wi-")] == []  # no temp file left
    again = run_cli(["transform", "--check", "manifests", *ID_ARGS], cwd=tmp_path)
    assert again.returncode == 0, again.stderr.decode()


def test_in_place_with_a_broken_file_touches_nothing(tmp_path: Path) -> None:
    # dirty.yaml sorts before zz-broken.yaml: it is transformed first, and must still not be written
    paths = _tree(tmp_path, dirty=DIRTY, **{"zz-broken": BROKEN}, clean=CLEAN)
    before = _snapshot(paths)
    proc = run_cli(["transform", "--in-place", "manifests", *ID_ARGS], cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (1, b"")
    assert proc.stderr.decode().startswith("manifests/zz-broken.yaml:5:1: error: ")
    assert b"Traceback" not in proc.stderr
    assert _snapshot(paths) == before
    assert sorted(p.name for p in (tmp_path / "manifests").iterdir()) == ["clean.yaml", "dirty.yaml", "zz-broken.yaml"]


def test_in_place_with_a_refused_edit_touches_nothing(tmp_path: Path) -> None:
    refused = (FIXTURES / "error-system-assigned" / "input.yaml").read_bytes()
    paths = _tree(tmp_path, dirty=DIRTY, refused=refused)
    before = _snapshot(paths)
    proc = run_cli(["transform", "-i", "manifests", *ID_ARGS], cwd=tmp_path)
    assert proc.returncode == 1 and b"error:" in proc.stderr
    assert _snapshot(paths) == before


def test_in_place_write_failure_touches_nothing(tmp_path: Path) -> None:
    """A write that fails after another file was staged (here: over RLIMIT_FSIZE, which binds root too) leaves
    every file as it was and no temporary file behind."""
    import resource

    big = DIRTY + b"# padding\n" * 2000  # ~23 kB: over the limit below; small.yaml (~4 kB) fits
    paths = _tree(tmp_path, a_small=DIRTY, b_big=big)
    before = _snapshot(paths)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, 10_000))

    proc = subprocess.run(
        [sys.executable, "-m", "capz_wi", "transform", "-i", "manifests", *ID_ARGS],
        capture_output=True, cwd=tmp_path, env=clean_env(), preexec_fn=limit, timeout=120,
    )
    assert (proc.returncode, proc.stdout) == (1, b""), proc.stderr.decode()
    assert proc.stderr.decode().splitlines()[-1].startswith("manifests/b_big.yaml:1:1: error: cannot write: ")
    assert _snapshot(paths) == before
    assert sorted(p.name for p in (tmp_path / "manifests").iterdir()) == ["a_small.yaml", "b_big.yaml"]


def test_in_place_follows_a_symlink(tmp_path: Path) -> None:
    paths = _tree(tmp_path, real=DIRTY)
    link = tmp_path / "link.yaml"
    link.symlink_to(paths["real"])
    proc = run_cli(["transform", "-i", "link.yaml", *ID_ARGS], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert link.is_symlink() and paths["real"].read_bytes() == CLEAN


@pytest.mark.parametrize(
    "args",
    [
        ["-o", "xml"],
        ["-o", "kustomize"],
        ["--out-dir", "x"],
        ["--check", "-i", "f.yaml"],
        ["-i"],
        ["-i", "-"],
        ["--diff", "-o", "json"],
        ["-i", "--diff", "f.yaml"],
        ["--check", "-o", "patch"],
    ],
)
def test_conflicting_flags_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "f.yaml").write_bytes(DIRTY)
    before = (tmp_path / "f.yaml").stat().st_mtime_ns
    proc = run_cli(["transform", *args, *ID_ARGS], stdin=DIRTY, cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (2, b"")
    assert len(proc.stderr.decode().strip().splitlines()) == 1 and b"Traceback" not in proc.stderr
    assert (tmp_path / "f.yaml").stat().st_mtime_ns == before
    assert not (tmp_path / "x").exists()


def test_several_files_each_its_own_stream(tmp_path: Path) -> None:
    paths = _tree(tmp_path, one=DIRTY, two=DIRTY)
    proc = run_cli(["transform", "-o", "patch", str(paths["one"]), str(paths["two"]), *ID_ARGS], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    single = run_cli(["transform", "-o", "patch", str(paths["one"]), *ID_ARGS], cwd=tmp_path)
    assert json.loads(proc.stdout) == json.loads(single.stdout) * 2


def test_pre_commit_hook_runs_the_check(tmp_path: Path) -> None:
    """The hook definition is valid pre-commit YAML, matches *.yaml/*.yml only, and its entry gates as --check does."""
    import re
    import shlex

    from ruamel.yaml import YAML

    [hook] = YAML(typ="safe", pure=True).load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "capz-wi-check" and hook["language"] == "python"
    files = re.compile(hook["files"])
    assert [bool(files.search(n)) for n in ("a.yaml", "b/c.yml", "d.json", "yaml.txt")] == [True, True, False, False]
    entry = shlex.split(hook["entry"])
    assert entry[:3] == ["capz-wi", "transform", "--check"]
    paths = _tree(tmp_path, clean=CLEAN, dirty=DIRTY)
    before = _snapshot(paths)
    # pre-commit runs `entry args... file...`
    ok = run_cli([*entry[1:], *ID_ARGS, str(paths["clean"])], cwd=tmp_path)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, b"", b"")
    bad = run_cli([*entry[1:], *ID_ARGS, str(paths["clean"]), str(paths["dirty"])], cwd=tmp_path)
    assert bad.returncode == 1 and b"dirty.yaml:127:3: would change AzureClusterIdentity" in bad.stderr
    assert _snapshot(paths) == before


def test_in_place_file_named_twice_is_written_once(tmp_path: Path) -> None:
    paths = _tree(tmp_path, dirty=DIRTY)
    proc = run_cli(["transform", "-i", "manifests", "manifests/dirty.yaml", *ID_ARGS], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert paths["dirty"].read_bytes() == CLEAN
    err = proc.stderr.decode()
    assert err.count("capz-wi: manifests/dirty.yaml: ") == 1 and "dirty.yaml: rewritten, 7 change(s)" in err


@pytest.mark.parametrize("case", ["list-and-aso-secret", "quickstart-default"])
@pytest.mark.parametrize("mode", [["--diff"], ["--check", "--diff"], ["-o", "json"], ["-o", "patch"], ["-o", "yaml"]])
def test_no_output_mode_prints_a_removed_secret_value(tmp_path: Path, case: str, mode: list[str]) -> None:
    fixture = Case(case, FIXTURES / case)
    planted = b"PLANTED-SECRET-VALUE"
    assert planted in fixture.input
    (tmp_path / "in.yaml").write_bytes(fixture.input)
    proc = run_cli(["transform", "in.yaml", *cli_args(fixture.options_data), "--prune-secret", *mode], cwd=tmp_path)
    assert proc.returncode in (0, 1) and b"Traceback" not in proc.stderr
    assert proc.stdout, proc.stderr.decode()
    assert planted not in proc.stdout and planted not in proc.stderr
