"""End to end: the function under the real standalone kustomize (exec and container mode) and the real kpt.

- kustomize exec: for every rendered CAPZ template of ../shared/corpus, a kustomization whose transformer runs the
  function builds the same objects as kustomize over the library's transform of the template (kustomize reorders
  keys and drops comments, so both sides go through kustomize and the objects are compared).
- kustomize/kpt container mode: a ``docker`` stand-in on PATH runs the Dockerfile's ENTRYPOINT from a wheel built
  and installed with the Dockerfile's own ``pip`` commands.
- errors (bad functionConfig, refused edit, input the engine cannot edit) fail ``kustomize build`` with the
  function's one-line message, and fail ``kpt fn eval`` with the result in its results file.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import capz_wi
from tests.conftest import CLIENT_ID, IDENTITY, ROOT, TENANT_ID, corpus_ids, corpus_templates, need_shared, need_tool
from tests.krm.helpers import (  # noqa: F401 (krm_bin is a fixture)
    EXAMPLES,
    HERE,
    KptCase,
    env_with,
    init_repo,
    git,
    krm_bin,
    load_all,
    load_yaml,
    run_kpt_case,
)

OPTIONS = {"identityID": IDENTITY, "clientID": CLIENT_ID, "tenantID": TENANT_ID}
TEMPLATES = corpus_templates("rendered")
QUICKSTART = ROOT / "tests" / "fixtures" / "quickstart-default" / "input.yaml"


def fn_config(function: str, spec: dict[str, object] | None = None) -> str:
    """A WorkloadIdentityTransformer transformer config; ``function`` is the config.kubernetes.io/function body."""
    body = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in (OPTIONS if spec is None else spec).items())
    annotation = "".join(f"      {ln}\n" for ln in function.splitlines())
    return (
        "apiVersion: fn.capz-wi.dev/v1alpha1\nkind: WorkloadIdentityTransformer\nmetadata:\n  name: capz-wi\n"
        f"  annotations:\n    config.kubernetes.io/function: |\n{annotation}spec:\n{body}"
    )


def kustomization(dir: Path, manifest: str | bytes, config: str | None) -> Path:
    dir.mkdir(parents=True, exist_ok=True)
    (dir / "cluster.yaml").write_bytes(manifest.encode() if isinstance(manifest, str) else manifest)
    text = "resources:\n- cluster.yaml\n"
    if config is not None:
        (dir / "capz-wi.yaml").write_text(config)
        text += "transformers:\n- capz-wi.yaml\n"
    (dir / "kustomization.yaml").write_text(text)
    return dir


def build(dir: Path, *flags: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    kustomize = need_tool("kustomize")
    return subprocess.run(
        [kustomize, "build", *flags, str(dir)], capture_output=True, text=True, env=env, timeout=300
    )


EXEC = ("--enable-alpha-plugins", "--enable-exec")


def exec_config(krm_bin: Path, spec: dict[str, object] | None = None) -> str:
    return fn_config(f"exec:\n  path: {krm_bin / 'capz-wi-krm'}", spec)


# ---------------------------------------------------------------------------------------------------------------
# kustomize exec over the corpus

@pytest.mark.parametrize("template", TEMPLATES, ids=corpus_ids(TEMPLATES))
def test_corpus_through_kustomize_and_kpt_matches_the_cli(template: Path, tmp_path: Path, krm_bin: Path) -> None:
    """Every rendered template: ``kustomize build`` (exec) and ``kpt fn eval --exec`` give the library's objects."""
    need_shared()
    source = template.read_bytes()
    expected = capz_wi.transform(source, capz_wi.Options.from_mapping(OPTIONS), file=template.name)
    assert expected.ok, [str(f) for f in expected.errors]
    # kustomize: both sides through kustomize, which sorts keys and drops comments the same way
    with_fn = build(kustomization(tmp_path / "fn", source, exec_config(krm_bin)), *EXEC)
    assert with_fn.returncode == 0, with_fn.stderr
    reference = build(kustomization(tmp_path / "cli", expected.text, None))
    assert reference.returncode == 0, reference.stderr
    assert load_all(with_fn.stdout) == load_all(reference.stdout)
    # kpt: the function over the template vs a no-op function over the library's output (kpt reformats both)
    kpt = need_tool("kpt")
    files = {}
    for name, text, fn, args in (
        ("fn", source, "capz-wi-krm", [f"{k}={v}" for k, v in OPTIONS.items()]),
        ("noop", expected.text.encode(), "krm-cat", []),
    ):
        pkg = tmp_path / f"kpt-{name}"
        pkg.mkdir()
        (pkg / "cluster.yaml").write_bytes(text)
        cmd = [kpt, "fn", "eval", str(pkg), "--exec", fn] + (["--", *args] if args else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env_with(krm_bin), timeout=300)
        assert proc.returncode == 0, proc.stderr
        files[name] = (pkg / "cluster.yaml").read_text()
    assert load_all(files["fn"]) == load_all(expected.text)
    # kpt reformats every file it writes, the same way for both; it also moves keys a function added after the
    # ones the file had (kyaml syncs the field order to the input), so the lines agree up to their order.
    assert sorted(files["fn"].splitlines()) == sorted(files["noop"].splitlines())


# ---------------------------------------------------------------------------------------------------------------
# kustomize: errors


def _one_line(stderr: str, needle: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.startswith("capz-wi-krm: error: ")]
    assert len(lines) == 1, stderr
    assert needle in lines[0], stderr
    return lines[0]


def test_kustomize_bad_config_fails_with_the_functions_message(tmp_path: Path, krm_bin: Path) -> None:
    spec = {**OPTIONS, "clientId": OPTIONS["clientID"]}
    del spec["clientID"]
    proc = build(kustomization(tmp_path, QUICKSTART.read_bytes(), exec_config(krm_bin, spec)), *EXEC)
    assert proc.returncode != 0 and proc.stdout == ""
    _one_line(proc.stderr, "spec.clientId: unknown field; did you mean clientID?")


def test_kustomize_refused_edit_fails_with_the_functions_message(tmp_path: Path, krm_bin: Path) -> None:
    manifest = (ROOT / "tests" / "fixtures" / "error-system-assigned" / "input.yaml").read_bytes()
    proc = build(kustomization(tmp_path, manifest, exec_config(krm_bin)), *EXEC)
    assert proc.returncode != 0 and proc.stdout == ""
    _one_line(
        proc.stderr, "AzureMachineTemplate default/sa-md-0 spec.template.spec.identity: identity is SystemAssigned"
    )


def test_kustomize_input_the_engine_cannot_edit_fails_with_the_functions_message(tmp_path: Path, krm_bin: Path) -> None:
    manifest = (
        "apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\nkind: AzureClusterIdentity\n"
        "metadata:\n  name: broken\n  namespace: default\nspec: [not, a, mapping]\n"
    )
    proc = build(kustomization(tmp_path, manifest, exec_config(krm_bin)), *EXEC)
    assert proc.returncode != 0 and proc.stdout == ""
    _one_line(proc.stderr, "AzureClusterIdentity default/broken spec: cannot set spec.type")


# ---------------------------------------------------------------------------------------------------------------
# The image: the Dockerfile's contract, and container mode through a docker stand-in

DOCKERFILE = ROOT / "Dockerfile"
IMAGE = "ghcr.io/capz-wi/capz-wi-krm:test"


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]]

    def all(self, op: str) -> list[str]:
        return [arg for o, arg in self.instructions if o == op]


def dockerfile_stages() -> list[Stage]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    stages: list[Stage] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        op, _, arg = line.partition(" ")
        op = op.upper()
        if op == "FROM":
            parts = arg.split()
            stages.append(Stage(parts[0], parts[2] if len(parts) > 2 else "", []))
        else:
            stages[-1].instructions.append((op, arg.strip()))
    return stages


def test_dockerfile_contract() -> None:
    """Multi-stage, slim base, wheel built then installed, non-root, ENTRYPOINT = the installed console script."""
    import tomllib

    stages = dockerfile_stages()
    assert len(stages) == 2
    build_stage, final = stages
    assert all(s.base.startswith("python:") and s.base.endswith("-slim") for s in stages)
    assert any("pip wheel" in r and r.rstrip().endswith(" .") for r in build_stage.all("RUN"))
    assert any("pip install" in r and ".whl" in r for r in final.all("RUN"))
    assert not any(re.search(r"apt-get|apk |gcc|build-essential", r) for r in final.all("RUN"))
    assert not any(c.split()[0] != f"--from={build_stage.name}" for c in final.all("COPY")), "no source in the image"
    user = final.all("USER")[-1].split(":")[0]
    assert user not in ("root", "0")
    entrypoint = json.loads(final.all("ENTRYPOINT")[-1])
    assert entrypoint == ["capz-wi-krm"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["capz-wi-krm"] == "capz_wi.krm:main"


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The image's filesystem, as far as the function is concerned: the Dockerfile's build stage is replayed (COPY
    into a context, its ``pip wheel``), then its ``pip install`` of the wheel into a separate site directory.
    Returns the environment that makes ``docker run`` (the stand-in) execute the ENTRYPOINT from there."""
    tmp = tmp_path_factory.mktemp("image")
    build_stage, final = dockerfile_stages()
    ctx = tmp / "src"
    ctx.mkdir()
    for copy in build_stage.all("COPY"):
        *sources, _dest = copy.split()
        for s in sources:
            src = ROOT / s
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, ctx / src.name)
    wheels = tmp / "wheels"
    for run in build_stage.all("RUN"):
        cmd = shlex.split(run.replace("/wheels", str(wheels)))
        assert cmd[0] == "python"
        subprocess.run([sys.executable, *cmd[1:]], cwd=ctx, check=True, capture_output=True, timeout=600)
    (wheel,) = wheels.glob("*.whl")
    site = tmp / "site"
    install = next(r for r in final.all("RUN") if "pip install" in r).split("&&")[0]
    cmd = shlex.split(install.replace("/wheels/*.whl", str(wheel)))
    # The test environment already has the runtime dependencies (and no network is needed): --no-deps, --target.
    subprocess.run(
        [sys.executable, *cmd[1:], "--no-deps", "--target", str(site)], check=True, capture_output=True, timeout=600
    )
    shim = tmp / "shim"
    shim.mkdir()
    shutil.copy2(HERE / "docker", shim / "docker")
    (shim / "docker").chmod(0o755)
    entrypoint = json.loads(final.all("ENTRYPOINT")[-1])
    env = {
        "PATH": f"{shim}{os.pathsep}{site / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(site),
        "SHIM_ENTRYPOINT": entrypoint[0],
        "SHIM_LOG": str(tmp / "docker.log"),
    }
    probe = subprocess.run(
        [sys.executable, "-c", "import capz_wi.krm; print(capz_wi.krm.__file__)"],
        env={**os.environ, **env}, capture_output=True, text=True, check=True, cwd=tmp,
    )
    assert probe.stdout.startswith(str(site)), "the function must run from the installed wheel"
    return env


def _container_config(spec: dict[str, object] | None = None) -> str:
    return fn_config(f"container:\n  image: {IMAGE}", spec)


def test_kustomize_container_mode_runs_the_image_entrypoint(
    tmp_path: Path, krm_bin: Path, image: dict[str, str]
) -> None:
    env = {**os.environ, **image}
    source = QUICKSTART.read_bytes()
    container = build(kustomization(tmp_path / "c", source, _container_config()), "--enable-alpha-plugins", env=env)
    assert container.returncode == 0, container.stderr
    log = Path(image["SHIM_LOG"]).read_text()
    assert f" {IMAGE}" in log and "--user nobody" in log and "--network none" in log
    exec_mode = build(kustomization(tmp_path / "e", source, exec_config(krm_bin)), *EXEC)
    assert container.stdout == exec_mode.stdout
    assert "type: WorkloadIdentity" in container.stdout
    bad_dir = kustomization(tmp_path / "b", source, _container_config({"clientID": "nope"}))
    bad = build(bad_dir, "--enable-alpha-plugins", env=env)
    assert bad.returncode != 0
    _one_line(bad.stderr, "spec.clientID: 'nope' is not a valid GUID")


def test_kpt_container_mode_runs_the_image_entrypoint(tmp_path: Path, image: dict[str, str]) -> None:
    kpt = need_tool("kpt")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    shutil.copy2(QUICKSTART, pkg / "cluster.yaml")
    (tmp_path / "capz-wi.yaml").write_text(_container_config())
    init_repo(pkg)
    proc = subprocess.run(
        [kpt, "fn", "eval", str(pkg), "--image", IMAGE, "--image-pull-policy", "never",
         "--fn-config", str(tmp_path / "capz-wi.yaml"), "--results-dir", str(tmp_path / "res")],
        capture_output=True, text=True, env={**os.environ, **image}, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "type: WorkloadIdentity" in (pkg / "cluster.yaml").read_text()
    results = load_yaml((tmp_path / "res" / "results.yaml").read_text())
    assert results["items"][0]["image"] == IMAGE
    assert any(r["field"]["path"] == "spec.type" for r in results["items"][0]["results"] if r.get("field"))


# ---------------------------------------------------------------------------------------------------------------
# kpt


def test_kpt_render_keeps_the_comments_of_the_package(tmp_path: Path, krm_bin: Path) -> None:
    case = KptCase(EXAMPLES / "render-kptfile-pipeline")
    run = run_kpt_case(case, tmp_path, krm_bin)
    assert run.returncode == 0, run.stderr
    pkg = tmp_path / case.dir.name
    removed = "# The service principal's secret: removed because pruneSecret is true."
    for f in case.dir.glob("*"):
        if f.is_file():
            after = (pkg / f.name).read_text()
            for line in f.read_text().splitlines():
                if "#" in line and removed not in line:
                    assert line[line.index("#") :] in after, (f.name, line)
    assert "type: WorkloadIdentity # to become WorkloadIdentity" in (pkg / "identity.yaml").read_text()
    assert (pkg / "kustomization.yaml").read_text() == (case.dir / "kustomization.yaml").read_text()
    results = load_yaml(run.results)
    assert results["exitCode"] == 0
    assert {r["severity"] for r in results["items"][0]["results"]} == {"info", "warning"}
    # rendering again changes nothing (no edit left to make, and kpt's own reformatting is stable)
    git(pkg, "commit", "-qm", "rendered")
    again = subprocess.run(
        [need_tool("kpt"), "fn", "render", str(pkg), "--allow-exec"],
        capture_output=True, text=True, env=env_with(krm_bin), cwd=tmp_path, timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert git(pkg, "status", "--porcelain") == ""
    assert "[info]" not in again.stderr


def test_kpt_eval_broken_input_fails_with_the_result_in_the_results_file(tmp_path: Path, krm_bin: Path) -> None:
    kpt = need_tool("kpt")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "identity.yaml").write_text(
        "apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\nkind: AzureClusterIdentity\n"
        "metadata:\n  name: broken\n  namespace: default\nspec: [not, a, mapping]\n"
    )
    init_repo(pkg)
    res = tmp_path / "res"
    proc = subprocess.run(
        [kpt, "fn", "eval", str(pkg), "--exec", "capz-wi-krm", "--results-dir", str(res),
         "--", f"identityID={IDENTITY}"],
        capture_output=True, text=True, env=env_with(krm_bin), cwd=tmp_path, timeout=300,
    )
    assert proc.returncode != 0
    assert git(pkg, "status", "--porcelain") == ""
    results = load_yaml((res / "results.yaml").read_text())
    (result,) = results["items"][0]["results"]
    assert result["severity"] == "error" and "cannot set spec.type" in result["message"]
    assert result["file"] == {"path": "identity.yaml"} and result["resourceRef"]["name"] == "broken"
    assert "capz-wi-krm: error: identity.yaml: AzureClusterIdentity default/broken" in results["items"][0]["stderr"]


# ---------------------------------------------------------------------------------------------------------------
# The README's snippets are the ones that work


def readme_snippets(path: Path) -> dict[str, str]:
    """Code blocks marked ``<!-- krm-snippet: NAME -->`` in a README."""
    text = path.read_text()
    return {m[1]: m[2] for m in re.finditer(r"<!-- krm-snippet: (\S+) -->\n```\w+\n(.*?)```", text, re.S)}


def write_files(dir: Path, block: str) -> dict[str, str]:
    """Write the YAML documents of a snippet, each headed by ``# <file name>``; returns name -> text."""
    dir.mkdir(parents=True, exist_ok=True)
    files = {}
    for doc in block.split("---\n"):
        first, _, rest = doc.partition("\n")
        name = first.removeprefix("# ").strip()
        (dir / name).write_text(rest)
        files[name] = rest
    return files


def sh(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("readme", ["README.md", "krm-function/README.md"])
def test_readme_krm_snippets_run(readme: str, tmp_path: Path, krm_bin: Path, image: dict[str, str]) -> None:
    need_tool("kustomize")
    need_tool("kpt")
    snip = readme_snippets(ROOT / readme)
    base = env_with(krm_bin)
    env = {**base, "PATH": f"{Path(need_tool('kustomize')).parent}{os.pathsep}{base['PATH']}"}
    # kustomize, exec
    k = tmp_path / "k"
    files = write_files(k, snip["kustomize"])
    shutil.copy2(QUICKSTART, k / "cluster.yaml")
    exec_build = sh(snip["kustomize-exec-build"], k, env)
    assert exec_build.returncode == 0, exec_build.stderr
    assert "type: WorkloadIdentity" in exec_build.stdout and CLIENT_ID in exec_build.stdout
    # kustomize, container: the annotation's exec lines replaced by the container snippet
    config = files["capz-wi.yaml"]
    exec_lines = re.search(r"      exec:\n        path: capz-wi-krm\b.*\n", config)
    assert exec_lines, config
    (k / "capz-wi.yaml").write_text(config.replace(exec_lines[0], snip["kustomize-container"]))
    image_name = re.search(r"image: (\S+)", snip["kustomize-container"])[1]  # type: ignore[index]
    container_env = {**env, **image, "PATH": f"{image['PATH']}{os.pathsep}{env['PATH']}"}
    container_build = sh(snip["kustomize-container-build"], k, container_env)
    assert container_build.returncode == 0, container_build.stderr
    assert container_build.stdout == exec_build.stdout
    assert f" {image_name}" in Path(image["SHIM_LOG"]).read_text()
    # kpt fn eval
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    shutil.copy2(QUICKSTART, pkg / "cluster.yaml")
    results = tmp_path / "results"
    evaluated = sh(snip["kpt-eval"].replace("/tmp/capz-wi-results", str(results)), pkg, env)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "type: WorkloadIdentity" in (pkg / "cluster.yaml").read_text()
    assert load_yaml((results / "results.yaml").read_text())["exitCode"] == 0
    # kpt fn render with the Kptfile and the same config as a local-config file
    rpkg = tmp_path / "render"
    write_files(rpkg, snip["kpt-render"])
    local = re.sub(
        r"config\.kubernetes\.io/function: \|\n(?:      .*\n)+", 'config.kubernetes.io/local-config: "true"\n', config
    )
    (rpkg / "capz-wi.yaml").write_text(local)
    (rpkg / "cluster.yaml").write_bytes(QUICKSTART.read_bytes())
    rendered = sh(snip["kpt-render-build"], rpkg, env)
    assert rendered.returncode == 0, rendered.stderr
    assert "type: WorkloadIdentity" in (rpkg / "cluster.yaml").read_text()
    assert (rpkg / "capz-wi.yaml").read_text() == local
