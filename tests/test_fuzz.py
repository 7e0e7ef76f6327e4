"""A mutation fuzzer over the raw-bytes entry points: ``capz_wi.transform(bytes, Options(identity_id=...))`` and the
KRM function's ``process(bytes)``.

Seeds are the golden fixtures' inputs (whole and per document), the reliability catalogue and KRM envelopes around
them. Each input is a seed mutated one to four times (byte flips, YAML-significant bytes and tokens, deletions,
duplications, splices of two seeds, indentation shifts, truncation). Every run must end in a result or a
``CapzWiError``; a transformed output must load again (an edit never breaks the YAML), never construct a tag (a
``!!python/object/apply:os.mkdir`` payload is among the tokens) and never take a second.

``CAPZ_WI_FUZZ_EXAMPLES`` sets the number of inputs (CI: the default slice), ``CAPZ_WI_FUZZ_SEED`` the seed.
"""

from __future__ import annotations

import os
import random
import re
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import capz_wi
import capz_wi.krm
from capz_wi import _yamlio as y
from capz_wi._engine import load
from tests.conftest import FIXTURES, IDENTITY
from tests.test_reliability import CATALOGUE
from tests.test_reliability_adapters import OPTIONS, wrap_resource_list

EXAMPLES = int(os.environ.get("CAPZ_WI_FUZZ_EXAMPLES", "100000"))
SEED = int(os.environ.get("CAPZ_WI_FUZZ_SEED", "8"))
KRM_SHARE = 0.1  # one input in ten goes through the KRM function instead
SLOW_SECONDS = 1.0

BYTES = b":-[]{}&*!'\"\n\r\t #|>%?,@`\\~\x00\xff\xc3\xef"
TOKENS = [
    b"<<: *a\n", b"&a ", b"*a", b"*b", b"&b [*a, *a]", b"!!python/object/apply:os.mkdir [@MARKER@]", b"!custom ",
    b"!!binary ", b"---\n", b"...\n", b"\r\n", b"\xef\xbb\xbf", b"kind: List\nitems:\n", b"- ", b"  ", b"\t", b"? ",
    b"%YAML 1.2\n---\n", b"%TAG ! tag:x,2000:\n", b"null", b"~", b"{}", b"[]", b'"\\u0000"', b"'", b'"', b"|\n", b">-\n",
    b"identity: SystemAssigned\n", b"identity: UserAssigned\n", b"userAssignedIdentities: []\n",
    b"allowedNamespaces: null\n", b"clientSecret: {name: s}\n", b"kind: AzureMachineTemplate\n",
    b"kind: AzureClusterIdentity\n", b"apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\n", b"items: 3\n",
    b"functionConfig: {kind: ConfigMap, data: {identityID: x}}\n", b"[" * 300, b"- " * 300,
]


def seeds() -> list[bytes]:
    out: list[bytes] = []
    for path in sorted(FIXTURES.glob("*/input.yaml")):
        data = path.read_bytes()
        out.append(data)
        out.extend(d for d in re.split(rb"(?m)^---\n", data) if d.strip())
    out.extend(c.data for c in CATALOGUE if c.data and len(c.data) < 50_000)
    return [s for s in dict.fromkeys(out) if len(s) < 200_000]


def mutate(rng: random.Random, data: bytes, pool: list[bytes], marker: bytes) -> bytes:
    for _ in range(rng.randint(1, 4)):
        n = len(data)
        op = rng.randrange(9)
        i = rng.randint(0, n)
        if op == 0 and n:  # flip a byte
            j = rng.randrange(n)
            data = data[:j] + bytes([data[j] ^ (1 << rng.randrange(8))]) + data[j + 1 :]
        elif op == 1 and n:  # a YAML-significant byte
            j = rng.randrange(n)
            data = data[:j] + bytes([rng.choice(BYTES)]) + data[j + rng.randint(0, 1) :]
        elif op == 2:  # a token
            data = data[:i] + rng.choice(TOKENS).replace(b"@MARKER@", marker) + data[i:]
        elif op == 3 and n:  # delete a range
            data = data[:i] + data[i + rng.randint(1, 64) :]
        elif op == 4 and n:  # duplicate a range elsewhere
            j = rng.randrange(n)
            chunk = data[j : j + rng.randint(1, 200)]
            data = data[:i] + chunk + data[i:]
        elif op == 5:  # splice with another seed
            other = rng.choice(pool)
            data = data[:i] + other[rng.randint(0, len(other)) :]
        elif op == 6 and n:  # shift a line's indentation
            lines = data.split(b"\n")
            k = rng.randrange(len(lines))
            lines[k] = (b" " * rng.randint(1, 3) + lines[k]) if rng.random() < 0.5 else lines[k][rng.randint(1, 3) :]
            data = b"\n".join(lines)
        elif op == 7:  # truncate
            data = data[:i]
        elif op == 8 and n:  # swap two lines
            lines = data.split(b"\n")
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
            data = b"\n".join(lines)
    return data


def run_one(data: bytes, krm: bool, options: capz_wi.Options) -> None:
    """One input through one entry point; raises AssertionError (or the stray exception) on a finding."""
    if krm:
        out = capz_wi.krm.process(data)
        assert out.exit_code in (0, 1)
        stream = load(out.text, "out")  # the runners need exactly one ResourceList back, even on error
        assert len(stream.docs) == 1 and y.scalar(y.get(stream.docs[0].root, "kind")) == "ResourceList", out.text[:300]
        return
    try:
        result = capz_wi.transform(data, options, file="fuzz.yaml")
    except capz_wi.CapzWiError as exc:
        assert exc.pos is None or (exc.pos.line >= 1 and exc.pos.column >= 1)
        return
    if result.changed:
        try:
            capz_wi.transform(result.text, options, file="fuzz-out.yaml")
        except capz_wi.CapzWiError as exc:
            raise AssertionError(f"the transform broke its own output: {exc}") from None


def fuzz(count: int, seed: int, marker_dir: Path) -> tuple[int, float, float, list[str]]:
    """Run ``count`` inputs; returns (count, seconds, slowest, failures)."""
    rng = random.Random(seed)
    pool = seeds()
    krm_pool = [wrap_resource_list(s, OPTIONS) for s in pool[:40]]
    options = capz_wi.Options(identity_id=IDENTITY)
    marker = str(marker_dir / "pwned").encode()
    failures: list[str] = []
    slowest = 0.0
    start = time.perf_counter()
    for n in range(count):
        krm = rng.random() < KRM_SHARE
        data = mutate(rng, rng.choice(krm_pool if krm else pool), pool, marker)
        t = time.perf_counter()
        try:
            run_one(data, krm, options)
        except Exception:  # noqa: BLE001 - every stray exception is a finding
            failures.append(f"input {n} ({'krm' if krm else 'library'}): {data[:300]!r}\n{traceback.format_exc(limit=4)}")
            if len(failures) >= 5:
                break
        slowest = max(slowest, time.perf_counter() - t)
    return count, time.perf_counter() - start, slowest, failures


def test_fuzz_raw_bytes(tmp_path: Path, record_property: Callable[[str, object], None]) -> None:
    count, seconds, slowest, failures = fuzz(EXAMPLES, SEED, tmp_path)
    record_property(
        "summary",
        f"fuzz: {count} inputs (seed {SEED}, {int(KRM_SHARE * 100)}% via the KRM function) in {seconds:.1f} s, "
        f"slowest {slowest * 1000:.0f} ms, {len(failures)} failures",
    )
    assert not failures, "\n\n".join(failures)
    assert not (tmp_path / "pwned").exists(), "a python tag was constructed"
    assert slowest < SLOW_SECONDS


def test_mutations_change_inputs() -> None:
    """The fuzzer really mutates (a fuzzer that returned its seeds would test nothing)."""
    rng = random.Random(1)
    pool = seeds()
    assert len(pool) >= 20
    changed = sum(mutate(rng, s, pool, b"m") != s for s in pool * 5)
    assert changed > len(pool) * 4
