"""Time and memory stay bounded: hostile inputs run in a real process per adapter, measured with getrusage.

Each run happens in a fresh wrapper process whose only child is the tool, so ``RUSAGE_CHILDREN`` is exactly the
tool's: CPU seconds (user + system, robust on a shared machine) and peak RSS. The limits are the issue's: under a
second and under 200 MB, whether the input is processed or refused. A crash (a signal, as the C composer's stack
overflow was) fails the test with the return code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import capz_wi
from tests.conftest import IDENTITY, ROOT
from tests.golden import clean_env
from tests.test_reliability import AMT, BOMB, CM, doc
from tests.test_reliability_adapters import OPTIONS, wrap_resource_list

CPU_SECONDS = 1.0
MAX_RSS_MB = 200

WRAPPER = r"""
import json, resource, subprocess, sys, time
stdin = open(sys.argv[1], "rb").read()
start = time.perf_counter()
proc = subprocess.run(sys.argv[2:], input=stdin, capture_output=True)
wall = time.perf_counter() - start
use = resource.getrusage(resource.RUSAGE_CHILDREN)
json.dump({"code": proc.returncode, "stdout": len(proc.stdout), "stderr": proc.stderr.decode("utf-8", "replace"),
           "cpu": use.ru_utime + use.ru_stime, "wall": wall, "rss_mb": use.ru_maxrss / 1024}, sys.stdout)
"""

LIBRARY = (
    "import sys, capz_wi\n"
    "data = sys.stdin.buffer.read()\n"
    "try:\n"
    "    r = capz_wi.transform(data, capz_wi.Options(identity_id=sys.argv[1]), file='input.yaml')\n"
    "    sys.stdout.write(r.text)\n"
    "except capz_wi.CapzWiError as e:\n"
    "    sys.stderr.write(f'{e}\\n'); sys.exit(1)\n"
)

INPUTS: dict[str, tuple[bytes, str | None]] = {
    # name: (input, substring of the refusal or None when it must be processed)
    "alias-bomb": (doc(AMT, BOMB), "aliases expand"),
    "recursive-alias": (AMT + b"      userAssignedIdentities: &x [[*x]]\n", "recursive alias"),
    "deep-flow-10000": (CM + b"  deep: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", "nesting deeper than"),
    "deep-block-10000": (CM + b"  deep:\n  " + b"- " * 10_000 + b"x\n", "nesting deeper than"),
    # 100,000 levels in 200 kB: the C composer overflowed its stack here (exit -11) before the depth check.
    "deep-block-100000": (CM + b"  deep:\n  " + b"- " * 100_000 + b"x\n", "nesting deeper than"),
    "one-megabyte-line": (doc(CM.replace(b"value", b"v" * (1 << 20)), AMT), None),
}


def _command(adapter: str, path: Path) -> list[str]:
    if adapter == "library":
        return [sys.executable, "-c", LIBRARY, IDENTITY]
    if adapter == "cli":
        return [sys.executable, "-m", "capz_wi", "transform", "-", "--identity-id", IDENTITY, "--quiet"]
    if adapter == "cli-in-place":
        return [sys.executable, "-m", "capz_wi", "transform", "--in-place", str(path), "--identity-id", IDENTITY]
    return [sys.executable, "-m", "capz_wi.krm"]


ADAPTERS = ("library", "cli", "cli-in-place", "krm")


def measure(cmd: list[str], stdin: bytes, tmp: Path) -> dict[str, object]:
    feed = tmp / "stdin.bin"
    feed.write_bytes(stdin)
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(feed), *cmd], capture_output=True, cwd=ROOT, env=clean_env(), timeout=120
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return dict(json.loads(proc.stdout))


@pytest.mark.parametrize("adapter", ADAPTERS)
@pytest.mark.parametrize("name", list(INPUTS))
def test_bounded(name: str, adapter: str, tmp_path: Path, record_property: Callable[[str, object], None]) -> None:
    data, refusal = INPUTS[name]
    target = tmp_path / "input.yaml"
    target.write_bytes(data)
    stdin = b"" if adapter == "cli-in-place" else data
    if adapter == "krm":
        stdin = wrap_resource_list(data, OPTIONS)
    m = measure(_command(adapter, target), stdin, tmp_path)
    record_property(
        "summary", f"limits: {name} via {adapter}: exit {m['code']}, {m['cpu']:.2f} s CPU, {m['rss_mb']:.0f} MB peak RSS"
    )
    stderr = str(m["stderr"])
    assert "Traceback" not in stderr
    assert float(m["cpu"]) < CPU_SECONDS, m  # type: ignore[arg-type]
    assert float(m["rss_mb"]) < MAX_RSS_MB, m  # type: ignore[arg-type]
    if refusal is None:
        assert m["code"] == 0, stderr
        assert adapter == "cli-in-place" or int(m["stdout"]) > len(data)  # type: ignore[call-overload]
        if adapter == "cli-in-place":
            assert target.read_bytes() != data and b"identity: UserAssigned" in target.read_bytes()
    else:
        assert m["code"] == 1, m
        assert refusal in stderr and len(stderr.strip().splitlines()) == 1, stderr
        if adapter in ("library", "cli", "cli-in-place"):
            assert stderr.startswith("input.yaml:" if adapter != "cli" else "<stdin>:") or adapter == "cli-in-place"
        if adapter == "cli-in-place":
            assert target.read_bytes() == data and sorted(p.name for p in tmp_path.iterdir()) == ["input.yaml", "stdin.bin"]


def test_size_limit_has_a_default_and_an_option() -> None:
    """Options.max_bytes (default 64 MiB, --max-bytes, maxBytes) refuses larger input before parsing."""
    data = doc(CM, AMT)
    assert capz_wi.Options().max_bytes == 64 * 1024 * 1024
    with pytest.raises(capz_wi.InputTooLargeError) as err:
        capz_wi.transform(data, capz_wi.Options(identity_id=IDENTITY, max_bytes=len(data) - 1), file="in.yaml")
    assert str(err.value).startswith(f"in.yaml:1:1: input is {len(data)} bytes, over the limit of {len(data) - 1}")
    assert "--max-bytes" in str(err.value)
    ok = capz_wi.transform(data, capz_wi.Options(identity_id=IDENTITY, max_bytes=len(data)), file="in.yaml")
    assert ok.changed
    with pytest.raises(capz_wi.OptionsError):
        capz_wi.Options(max_bytes=0)


def test_size_limit_cli_and_krm(tmp_path: Path) -> None:
    """The same limit through the CLI flag and the functionConfig field."""
    from tests.golden import run_cli

    data = doc(CM, AMT)
    small = run_cli(["transform", "-", "--identity-id", IDENTITY, "--max-bytes", str(len(data) - 1)], stdin=data)
    assert small.returncode == 1 and small.stdout == b""
    assert small.stderr.decode().startswith("<stdin>:1:1: error: input is ")
    big = run_cli(["transform", "-", "--identity-id", IDENTITY, "--max-bytes", str(len(data))], stdin=data)
    assert big.returncode == 0 and b"identity: UserAssigned" in big.stdout
    rl = wrap_resource_list(data, {**OPTIONS, "maxBytes": 100})
    krm = subprocess.run([sys.executable, "-m", "capz_wi.krm"], input=rl, capture_output=True, env=clean_env(), timeout=60)
    assert krm.returncode == 1 and b"over the limit of 100" in krm.stdout and b"over the limit" in krm.stderr
