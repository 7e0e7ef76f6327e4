#!/usr/bin/env python3
"""capz-wi performance benchmark (issue 7): ``python3 bench/run.py`` from the repository root, project installed.

Builds the workload from ``tests/fixtures/bench/cluster-template.yaml`` (the project's own rendered default CAPZ
template, in clusterctl output form): N copies with distinct cluster, identity and namespace names, N = 200 by
default (about 1 MB, 1,600 documents), and a sweep N = 50, 100, 200, 400. Then it times, alternating the commands
within each repetition and reporting medians, each as a whole process (wall time, and peak RSS from wait4):

  (a) ``capz-wi transform`` on the stream (console script next to this Python; no pyenv shim);
  (b) a plain ruamel.yaml round trip (``YAML()`` load_all + dump_all) of the same stream in a fresh process;
  (c) ``kubectl kustomize`` over a directory holding the stream and JSON 6902 patches making the same edits
      (the patches are derived from capz-wi's own change list, so both do exactly the same edits);
  (d) ``kustomize build --enable-alpha-plugins --enable-exec`` with the capz-wi KRM function (``capz-wi-krm``)
      vs the same build with ``cat`` as the exec function;
  (e) cold start: ``capz-wi transform`` on the single quick-start manifest vs ``kubectl kustomize`` with patches.

Missing tools are reported as "n/a" rows, never silently. Options: ``--reps``, ``--n``, ``--sweep``, ``--skip``
(letters of the rows to leave out, e.g. ``--skip bd`` for a quick run), ``--keep`` (keep the work directory).
The machine's load (``/proc/loadavg``) is printed before and after: on a shared machine, read ratios, not seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "tests" / "fixtures" / "bench" / "cluster-template.yaml"
QUICKSTART = ROOT / "tests" / "fixtures" / "quickstart-default" / "input.yaml"
IDENTITY = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/capz-wi-rg/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/capz-wi-identity"
)
#: The names in the template that every copy makes distinct.
NAMES = ("bench-cluster", "bench-identity", "bench-ns")
RUAMEL_RT = (
    "import sys\n"
    "from ruamel.yaml import YAML\n"
    "y = YAML()\n"
    "with open(sys.argv[1]) as f:\n"
    "    docs = list(y.load_all(f))\n"
    "y.dump_all(docs, sys.stdout)\n"
)


# ---------------------------------------------------------------------------------------------------------------
# Workload


def stream(n: int) -> str:
    """``n`` copies of the template, names suffixed ``-0000``.. so that no two clusters share an object name."""
    template = TEMPLATE.read_text()
    docs = []
    for i in range(n):
        text = template
        for name in NAMES:
            text = text.replace(name, f"{name}-{i:04d}")
        docs.append(text)
    return "---\n".join(docs)


def _pointer(path: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in path.split("."))


def json6902(text: str) -> list[dict[str, object]]:
    """kustomize ``patches:`` entries doing what capz-wi does to ``text`` (from capz-wi's own change list).

    kustomize's idiom, and its fastest form: when every object of a kind gets the same operations, one patch
    targets the kind (a selector without a name); otherwise each object gets its own patch.
    """
    import capz_wi
    from capz_wi._document import resources
    from capz_wi._engine import load

    result = capz_wi.transform(text, capz_wi.Options(identity_id=IDENTITY))
    if result.removed:
        raise SystemExit("bench: the workload removes objects; JSON 6902 cannot express that")
    per_object: dict[tuple[str, str, str, str], list[dict[str, object]]] = {}
    for c in result.changes:
        ref = c.object
        ops = per_object.setdefault((ref.api_version, ref.kind, ref.name, ref.namespace or ""), [])
        if c.op == "remove":
            ops.append({"op": "remove", "path": _pointer(c.path)})
        else:  # "add" sets a missing key, replaces an existing one, and inserts at a list index
            ops.append({"op": "add", "path": _pointer(c.path), "value": c.new})
    population: dict[tuple[str, str], int] = {}
    for r in resources(load(text)):
        population[(r.api_version, r.kind)] = population.get((r.api_version, r.kind), 0) + 1
    kinds: dict[tuple[str, str], dict[str, list[tuple[str, str]]]] = {}
    for (api_version, kind, name, namespace), ops in per_object.items():
        kinds.setdefault((api_version, kind), {}).setdefault(json.dumps(ops), []).append((name, namespace))
    patches: list[dict[str, object]] = []
    for (api_version, kind), groups in kinds.items():
        group, _, version = api_version.rpartition("/")
        for ops_json, objects in groups.items():
            if len(groups) == 1 and len(objects) == population[(api_version, kind)]:
                patches.append({"target": {"group": group, "version": version, "kind": kind}, "patch": ops_json})
                continue
            for name, namespace in objects:
                target = {"group": group, "version": version, "kind": kind, "name": name}
                if namespace:
                    target["namespace"] = namespace
                patches.append({"target": target, "patch": ops_json})
    return patches


def kustomize_dir(root: Path, name: str, text: str, fn: str | None = None) -> Path:
    """A kustomization over ``text``: JSON 6902 patches (``fn`` None) or one exec KRM function at path ``fn``."""
    d = root / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "stream.yaml").write_text(text)
    k: dict[str, object] = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}
    k["resources"] = ["stream.yaml"]
    if fn is None:
        k["patches"] = json6902(text)
    else:
        config = {
            "apiVersion": "fn.capz-wi.dev/v1alpha1",
            "kind": "WorkloadIdentityTransformer",
            "metadata": {"name": "capz-wi", "annotations": {"config.kubernetes.io/function": f"exec:\n  path: {fn}\n"}},
            "spec": {"identityID": IDENTITY},
        }
        (d / "fn.yaml").write_text(json.dumps(config, indent=1) + "\n")
        k["transformers"] = ["fn.yaml"]
    (d / "kustomization.yaml").write_text(json.dumps(k, indent=1) + "\n")
    return d


# ---------------------------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Row:
    """One measured command: its label, argv, stdin file and the samples (seconds, peak RSS in KiB)."""

    key: str
    label: str
    argv: list[str] | None  # None: not available here
    stdin: Path | None = None
    why: str = ""
    times: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    mb: float = 0.0
    reps: int = 0  # measured runs wanted (set by main)

    @property
    def ok(self) -> bool:
        return self.argv is not None and bool(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def peak_mib(self) -> float:
        return max(self.rss) / 1024


#: Runs one command and reports its wall time and its own peak RSS. A separate, small launcher (python -S, ~8 MB)
#: because Linux charges a child with its parent's peak RSS when it was forked from it: measured straight from
#: this process, every row would show at least this process's ~60 MB.
LAUNCHER = """
import json, os, sys, time
job = json.loads(sys.argv[1])
stdin = os.open(job["stdin"] or os.devnull, os.O_RDONLY)
out = os.open(job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
err = os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.dup2(stdin, 0); os.dup2(out, 1); os.dup2(err, 2)
    try:
        os.execvp(job["argv"][0], job["argv"])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - t0
print(json.dumps({"elapsed": elapsed, "rss_kib": usage.ru_maxrss, "rc": os.waitstatus_to_exitcode(status)}))
"""


#: The commands run as on an installed system: Python may write its bytecode caches (the warm-up run does), as
#: ``pip install`` leaves them. With PYTHONDONTWRITEBYTECODE set, every module edited since its last cache would be
#: recompiled on every start, which measures the working tree, not the tool.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(row: Row, out: Path) -> None:
    """Run ``row`` once through the launcher; record wall time and the command's own peak RSS."""
    assert row.argv is not None
    job = {"argv": row.argv, "stdin": str(row.stdin) if row.stdin else None, "stdout": str(out),
           "stderr": str(out.with_suffix(".err"))}
    proc = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, json.dumps(job)], capture_output=True, text=True,
                          env=CHILD_ENV)
    if proc.returncode != 0:
        raise SystemExit(f"bench: the launcher failed: {proc.stderr[-2000:]}")
    got = json.loads(proc.stdout)
    if got["rc"] != 0 or out.stat().st_size == 0:
        err = out.with_suffix(".err").read_text(errors="replace")[-2000:]
        raise SystemExit(f"bench: {row.label} failed (exit {got['rc']}): {' '.join(row.argv)}\n{err}")
    row.times.append(got["elapsed"])
    row.rss.append(got["rss_kib"])


def run_rows(rows: list[Row], work: Path, progress: Callable[[str], None]) -> None:
    """One warm-up each, then rounds: each round runs every row that still wants samples once, in an order
    rotated per round, so that load changes on a shared machine hit every command alike."""
    live = [r for r in rows if r.argv is not None]
    for r in live:
        measure(r, work / f"out-{r.key}.yaml")
        r.times.clear()
        r.rss.clear()
    rounds = max((r.reps for r in live), default=0)
    for i in range(rounds):
        todo = [r for r in live if len(r.times) < r.reps]
        order = todo[i % len(todo) :] + todo[: i % len(todo)]
        for r in order:
            measure(r, work / f"out-{r.key}.yaml")
        if i + 1 == rounds or (i + 1) % 5 == 0:
            progress(f"round {i + 1}/{rounds} done")


# ---------------------------------------------------------------------------------------------------------------
# Environment


def tool(name: str, *extra: Path) -> str | None:
    for d in extra:
        if (d / name).is_file() and os.access(d / name, os.X_OK):
            return str(d / name)
    return shutil.which(name)


def script(name: str) -> str | None:
    """A console script of this Python's installation (pyenv shims add ~50 ms of bash to every start)."""
    return tool(name, Path(sys.executable).parent)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


# ---------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5, help="measured runs of the slow commands b, c, d (after a warm-up)")
    ap.add_argument("--fast-reps", type=int, default=15, help="measured runs of the sub-second commands a, e, sweep")
    ap.add_argument("--n", type=int, default=200, help="clusters in the main stream (200 = about 1 MB)")
    ap.add_argument("--sweep", default="50,100,200,400", help="cluster counts for the cost-per-MB sweep")
    ap.add_argument("--skip", default="", help="rows to leave out: any of a b c d e s (s = sweep)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory and print its path")
    args = ap.parse_args(argv)

    def say(msg: str) -> None:
        print(f"  [{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    capz = script("capz-wi")
    krm = script("capz-wi-krm")
    kubectl = tool("kubectl")
    kustomize = tool("kustomize", Path.home() / "go" / "bin")
    if capz is None:
        raise SystemExit("bench: capz-wi is not installed for this Python (pip install -e . first)")

    work = Path(tempfile.mkdtemp(prefix="capz-wi-bench-"))
    load_before = loadavg()
    try:
        big = stream(args.n)
        big_path = work / "stream.yaml"
        big_path.write_text(big)
        mb = len(big.encode()) / 1e6
        docs = big.count("\nkind: ")
        say(f"workload: {args.n} clusters, {docs} documents, {mb:.2f} MB in {work}")
        transform = [capz, "transform", "--identity-id", IDENTITY, "--quiet"]
        rows: list[Row] = []

        def add(key: str, label: str, argv: list[str] | None, stdin: Path | None = None, why: str = "") -> Row:
            row = Row(key, label, argv, stdin, why)
            row.mb = mb
            if key[0] not in args.skip:
                rows.append(row)
            return row

        a = add("a", "(a) capz-wi transform, 1 MB stream", [*transform, str(big_path)])
        b = add("b", "(b) ruamel.yaml round trip (rt load_all+dump_all)", [sys.executable, "-c", RUAMEL_RT, str(big_path)])
        kdir = kustomize_dir(work, "k-patches", big) if kubectl and "c" not in args.skip else None
        c = add("c", "(c) kubectl kustomize + JSON 6902 patches", [kubectl, "kustomize", str(kdir)] if kubectl and kdir else None,
                why="kubectl not on PATH")
        d_on = kustomize and krm and "d" not in args.skip
        fn_dir = kustomize_dir(work, "k-fn", big, fn=krm) if d_on else None
        cat_dir = kustomize_dir(work, "k-cat", big, fn=shutil.which("cat") or "/bin/cat") if d_on else None
        build = [kustomize or "kustomize", "build", "--enable-alpha-plugins", "--enable-exec"]
        why_d = "standalone kustomize not found" if not kustomize else "capz-wi-krm not installed"
        d = add("d-fn", "(d) kustomize build + capz-wi-krm exec fn", [*build, str(fn_dir)] if d_on else None, why=why_d)
        dc = add("d-cat", "(d) kustomize build + cat exec fn (yardstick)", [*build, str(cat_dir)] if d_on else None, why=why_d)
        qs = QUICKSTART.read_text()
        qdir = kustomize_dir(work, "k-quick", qs) if kubectl and "e" not in args.skip else None
        e = add("e-capz", "(e) capz-wi transform, quick-start manifest", [*transform, str(QUICKSTART)])
        ek = add("e-kubectl", "(e) kubectl kustomize + patches, quick-start", [kubectl, "kustomize", str(qdir)] if kubectl and qdir else None,
                 why="kubectl not on PATH")
        e.mb = ek.mb = len(qs.encode()) / 1e6

        sweep: list[Row] = []
        if "s" not in args.skip:
            # What every run pays whatever the size (interpreter, imports, first-use set-up): one small cluster.
            row = Row("s0", "start-up: the quick-start manifest", [*transform, str(QUICKSTART)])
            row.mb = len(QUICKSTART.read_bytes()) / 1e6
            sweep.append(row)
            for n in [int(x) for x in args.sweep.split(",") if x]:
                p = work / f"sweep-{n}.yaml"
                text = stream(n)
                p.write_text(text)
                row = Row(f"s{n}", f"sweep N={n}", [*transform, str(p)])
                row.mb = len(text.encode()) / 1e6
                sweep.append(row)

        for r in rows + sweep:  # sub-second commands are cheap to repeat and noisier: more samples
            r.reps = args.reps if r.key[0] in "bcd" else args.fast_reps
        say(f"timing {len(rows) + len(sweep)} commands, {args.reps} (slow) or {args.fast_reps} (fast) runs each")
        run_rows(rows + sweep, work, say)
        if a.ok:  # what was timed is the real transform: its output is the library's, byte for byte
            import capz_wi

            expected = capz_wi.transform(big, capz_wi.Options(identity_id=IDENTITY)).text.encode()
            if (work / "out-a.yaml").read_bytes() != expected:
                raise SystemExit("bench: capz-wi transform's output differs from capz_wi.transform()")
        load_after = loadavg()
    finally:
        if args.keep:
            print(f"work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    print(report(rows, sweep, a, b, c, d, dc, e, ek, f"{args.reps} (b, c, d) or {args.fast_reps} (a, e, sweep)",
                 load_before, load_after))
    return 0


def report(rows: list[Row], sweep: list[Row], a: Row, b: Row, c: Row, d: Row, dc: Row, e: Row, ek: Row, reps: str,
           load_before: str, load_after: str) -> str:
    """The Markdown tables: medians and peak RSS per command, the sweep, and each target with its verdict."""
    import capz_wi

    lines = [
        f"capz-wi {capz_wi.__version__} benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}; "
        f"Python {platform.python_version()}; load average before {load_before}, after {load_after}",
        f"medians of {reps} alternating runs after one warm-up; wall time and peak RSS of the whole process",
        "",
        "| command | median s | min s | max s | peak RSS MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        if r.ok:
            lines.append(f"| {r.label} | {r.median:.3f} | {min(r.times):.3f} | {max(r.times):.3f} | {r.peak_mib:.0f} |")
        else:
            lines.append(f"| {r.label} | n/a ({r.why}) | | | |")
    startup = next((r for r in sweep if r.key == "s0"), None)
    sized = [r for r in sweep if r.key != "s0"]
    if sweep:
        lines += ["", "| sweep: capz-wi transform | MB | median s | s per MB | s per MB after start-up |",
                  "|---|---:|---:|---:|---:|"]
        for r in sweep:
            if r is startup:
                lines.append(f"| {r.label} | {r.mb:.4f} | {r.median:.3f} | | |")
                continue
            net = (r.median - startup.median) / r.mb if startup else float("nan")
            lines.append(f"| {r.label} | {r.mb:.2f} | {r.median:.3f} | {r.median / r.mb:.3f} | {net:.3f} |")
    lines += ["", "| target | measured | limit | verdict |", "|---|---:|---:|---|"]

    def target(name: str, value: float | None, limit: float, fmt: str = "{:.2f}x", higher: bool = False) -> None:
        if value is None:
            lines.append(f"| {name} | n/a | {fmt.format(limit)} | not measured |")
            return
        ok = value >= limit if higher else value <= limit
        lines.append(f"| {name} | {fmt.format(value)} | {fmt.format(limit)} | {'PASS' if ok else 'FAIL'} |")

    both = lambda x, y: x.ok and y.ok  # noqa: E731
    target("(a) vs (b): ruamel round trip / capz-wi", b.median / a.median if both(a, b) else None, 10.0, higher=True)
    target("(a) vs (c): kubectl kustomize / capz-wi", c.median / a.median if both(a, c) else None, 8.0, higher=True)
    target("peak RSS (a) / (c)", a.peak_mib / c.peak_mib if both(a, c) else None, 0.5)
    if len(sized) > 1 and startup:
        per_mb = [(r.median - startup.median) / r.mb for r in sized]
        spread = max(per_mb) / min(per_mb) - 1
        target("cost per MB after start-up: (max-min)/min over the sweep", spread, 0.20, fmt="{:.0%}")
    target("(d) kustomize+capz-wi-krm / kustomize+cat", d.median / dc.median if both(d, dc) else None, 1.15)
    target("(e) capz-wi / kubectl kustomize, quick-start", e.median / ek.median if both(e, ek) else None, 1.5)
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
