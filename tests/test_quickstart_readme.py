"""README's "From zero" walkthrough runs as written: every ``capz-wi`` line of its shell blocks, in order, in a
fresh directory (the ``kind``/``clusterctl``/``az`` lines need a cluster or Azure and are left out)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.golden import clean_env


def section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def capz_wi_lines(markdown: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", markdown, flags=re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if "capz-wi " in line and not line.startswith("#")]


def run_walkthrough(lines: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    script = "\n".join(["set -euo pipefail", f'capz-wi() {{ "{sys.executable}" -m capz_wi "$@"; }}', *lines]) + "\n"
    env = clean_env()
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_from_zero_walkthrough_runs(tmp_path: Path) -> None:
    lines = capz_wi_lines(section("From zero"))
    assert [line.split("capz-wi ", 1)[1].split()[0] for line in lines] == [
        "keys", "discovery", "azure-setup", "federated-credentials", "kind-config", "federated-credentials", "doctor",
    ]
    proc = run_walkthrough(lines, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.endswith("capz-wi: doctor: consistent\n")
    assert (tmp_path / "discovery" / "openid" / "v1" / "jwks").is_file()
    assert subprocess.run(["bash", "-n", str(tmp_path / "azure-setup.sh")]).returncode == 0
    kind = (tmp_path / "kind.yaml").read_text()
    assert f"hostPath: {tmp_path.resolve() / 'capz-wi-keys' / 'sa.key'}" in kind
