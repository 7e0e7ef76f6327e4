"""Shared pieces of the reliability tests: the adapters (library, CLI, CLI --in-place, KRM function), run in-process
so that any stray exception fails the test, and the output checks the catalogue uses.

Every adapter takes (options as functionConfig fields, input bytes, a scratch directory) and returns an ``Outcome``.
Adding an adapter is one function and one line in ``ADAPTERS``.
"""

from __future__ import annotations

import difflib
import io
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

import capz_wi
import capz_wi.krm
from capz_wi.cli import main as cli_main
from tests.conftest import CLIENT_ID, IDENTITY, TENANT_ID
from tests.golden import FLAGS

BOM = b"\xef\xbb\xbf"
PROVIDER = "azure://" + IDENTITY
OPTIONS: dict[str, Any] = {"identityID": IDENTITY, "clientID": CLIENT_ID, "tenantID": TENANT_ID}
ENV_VARS = (
    "AZURE_SUBSCRIPTION_ID", "AZURE_TENANT_ID", "RESOURCE_GROUP", "USER_ASSIGNED_IDENTITY_NAME",
    "AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY", "AZURE_CLIENT_ID",
)
#: A second file handed to every --in-place run: it needs edits, so a failure elsewhere must leave it alone too.
OTHER = b"""apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureMachineTemplate
metadata:
  name: other-md-0
spec:
  template:
    spec:
      vmSize: Standard_D2s_v3
"""


@dataclass
class Outcome:
    """What one adapter did: exit code, stdout bytes, stderr text, the transformed stream (None on failure) and,
    for the KRM function, the parsed ResourceList."""

    code: int
    stdout: bytes
    stderr: str
    output: bytes | None = None
    errors: Sequence[str] = ()  # error lines (CLI, library) or error result messages (KRM)
    resource_list: dict[str, Any] | None = None
    files_intact: bool = True  # --in-place: every file byte-identical after a failure, no temporary file left


def call(fn: Callable[[list[str]], int], argv: list[str], stdin: bytes) -> tuple[int, bytes, str]:
    """Run a ``main(argv) -> int`` in-process with the given stdin; returns (exit code, stdout, stderr)."""
    out, err = io.BytesIO(), io.BytesIO()
    w_in = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    w_out = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    w_err = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = w_in, w_out, w_err
    try:
        code = fn(argv)
    finally:
        w_out.flush()
        w_err.flush()
        sys.stdin, sys.stdout, sys.stderr = saved
        stdout, stderr = out.getvalue(), err.getvalue().decode("utf-8", "replace")
    return code, stdout, stderr


def cli_args(options: dict[str, Any]) -> list[str]:
    """CLI flags for functionConfig fields; an unknown field becomes an unknown --flag (a usage error)."""
    args: list[str] = []
    for key, value in options.items():
        flag = FLAGS.get(key) or "--" + re.sub(r"(?<!^)(?=[A-Z])", "-", key).lower()
        if isinstance(value, bool):
            args += [flag] if value else []
        elif isinstance(value, list):
            for v in value:
                args += [flag, str(v)]
        else:
            args += [flag, str(value)]
    return args


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": error: " in line or line.startswith("capz-wi: error")]


def run_library(options: dict[str, Any], data: bytes, tmp: Path) -> Outcome:
    try:
        result = capz_wi.transform(data, capz_wi.Options.from_mapping(options), file="input.yaml")
    except capz_wi.CapzWiError as exc:
        code = 2 if isinstance(exc, capz_wi.OptionsError) else 1
        where = f"{exc.pos}: " if exc.pos else ""
        return Outcome(code, b"", "", errors=[f"{where}error: {exc.message}" + (f"; {exc.hint}" if exc.hint else "")])
    if not result.ok:
        return Outcome(1, b"", "", errors=[str(f) for f in result.errors])
    return Outcome(0, result.text.encode("utf-8"), "", output=result.text.encode("utf-8"))


def run_cli(options: dict[str, Any], data: bytes, tmp: Path) -> Outcome:
    code, out, err = call(cli_main, ["transform", "-", *cli_args(options)], data)
    return Outcome(code, out, err, output=out if code == 0 else None, errors=error_lines(err))


def run_in_place(options: dict[str, Any], data: bytes, tmp: Path) -> Outcome:
    work = tmp / "in-place"
    work.mkdir()
    target, other = work / "input.yaml", work / "other.yaml"
    target.write_bytes(data)
    other.write_bytes(OTHER)
    code, out, err = call(cli_main, ["transform", "--in-place", str(target), str(other), *cli_args(options)], b"")
    names = sorted(p.name for p in work.iterdir())
    intact = names == ["input.yaml", "other.yaml"] and target.read_bytes() == data and other.read_bytes() == OTHER
    # Positions name the file as given on the command line; the catalogue expects "input.yaml".
    err = err.replace(str(target), "input.yaml")
    output = target.read_bytes() if code == 0 else None
    return Outcome(code, out, err, output=output, errors=error_lines(err), files_intact=intact)


def wrap_resource_list(data: bytes, options: dict[str, Any]) -> bytes:
    """The stream as the items of a ResourceList (each document one item), with a functionConfig.

    Bytes are kept as they are (a BOM in front, CRLF, invalid UTF-8, NUL): only two columns of indentation and a
    ``- `` are added, so a broken document stays broken in the same way.
    """
    bom = data.startswith(BOM)
    text = (data[3:] if bom else data).decode("utf-8", "surrogateescape")
    nl = "\r\n" if "\r\n" in text else "\n"
    lines = ["apiVersion: config.kubernetes.io/v1", "kind: ResourceList", "items:"]
    for doc in re.split(r"(?m)^---[ \t]*\r?(?:\n|$)", text):
        first = True
        for line in re.split(r"\r?\n", doc.rstrip("\r\n")) if doc.strip() else []:
            content = line.strip() and not line.lstrip().startswith("#")
            if first and content:
                lines.append("- " + line)
                first = False
            else:
                lines.append("  " + line if line else "")
    lines += function_config(options).rstrip("\n").split("\n")
    return (BOM if bom else b"") + (nl.join(lines) + nl).encode("utf-8", "surrogateescape")


def function_config(options: dict[str, Any]) -> str:
    spec = "".join(f"    {k}: {v if not isinstance(v, bool) else str(v).lower()}\n" for k, v in options.items())
    return (
        "functionConfig:\n  apiVersion: fn.capz-wi.dev/v1alpha1\n  kind: WorkloadIdentityTransformer\n"
        "  metadata:\n    name: capz-wi\n" + ("  spec:\n" + spec if spec else "")
    )


_base = YAML(typ="base", pure=True)  # everything a string; never constructs tags


def load_all(data: bytes) -> list[Any]:
    """Every document of a stream as plain data (BaseLoader: no tag is ever constructed)."""
    return [d for d in _base.load_all(data.decode("utf-8-sig")) if d is not None]


def run_krm(options: dict[str, Any], data: bytes, tmp: Path, *, raw: bool = False) -> Outcome:
    stdin = data if raw else wrap_resource_list(data, options)
    code, out, err = call(lambda argv: capz_wi.krm.main(argv), [], stdin)
    docs = load_all(out)
    rl = docs[0] if len(docs) == 1 and isinstance(docs[0], dict) else None
    results = (rl or {}).get("results") or []
    errors = [
        r.get("message", "") + " @" + str((r.get("field") or {}).get("path", ""))
        for r in results
        if isinstance(r, dict) and r.get("severity") == "error"
    ]
    return Outcome(code, out, err, output=out if code == 0 else None, errors=errors, resource_list=rl)


ADAPTERS: dict[str, Callable[[dict[str, Any], bytes, Path], Outcome]] = {
    "library": run_library,
    "cli": run_cli,
    "cli-in-place": run_in_place,
    "krm": run_krm,
}


# ---------------------------------------------------------------------------------------------------------------
# Checks on valid output


def objects(stream: list[Any]) -> list[dict[str, Any]]:
    """Flatten ``kind: List`` documents into their items."""
    out: list[dict[str, Any]] = []
    for d in stream:
        if isinstance(d, dict) and d.get("kind") == "List" and isinstance(d.get("items"), list):
            out.extend(objects(d["items"]))
        elif isinstance(d, dict):
            out.append(d)
    return out


def assert_converted(objs: list[dict[str, Any]], machines: int) -> None:
    """Every AzureMachineTemplate uses our identity first; AzureClusterIdentities are WorkloadIdentity without a
    clientSecret."""
    amts = [o for o in objs if o.get("kind") == "AzureMachineTemplate"]
    assert len(amts) == machines, [o.get("kind") for o in objs]
    for o in amts:
        spec = o["spec"]["template"]["spec"]
        assert spec.get("identity") == "UserAssigned", spec
        assert spec["userAssignedIdentities"][0]["providerID"] == PROVIDER
    for o in objs:
        if o.get("kind") == "AzureClusterIdentity":
            assert o["spec"]["type"] == "WorkloadIdentity" and "clientSecret" not in o["spec"]


def assert_form_kept(before: bytes, after: bytes) -> None:
    """Only whole lines were inserted; BOM, line endings and the (missing) final newline are kept."""
    a, b = before.splitlines(), after.splitlines()
    ops = {op for op, *_ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()}
    assert ops <= {"equal", "insert"}, ops
    assert after.startswith(BOM) == before.startswith(BOM)
    if b"\r\n" in before:
        assert after.count(b"\n") == after.count(b"\r\n"), "a bare LF in CRLF output"
    if before:
        assert after.endswith(b"\n") == before.endswith(b"\n")
