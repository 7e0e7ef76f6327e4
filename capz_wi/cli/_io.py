"""Reading inputs for the commands: files, directories (``*.yaml``/``*.yml``, recursively) and stdin (``-``)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from capz_wi import InputError, SourcePos


@dataclass(frozen=True)
class Source:
    """One input stream: its display name, its path (None for stdin) and its bytes."""

    name: str
    path: Path | None
    data: bytes


def expand(paths: list[str]) -> list[str]:
    """Files as given; directories become their ``*.yaml``/``*.yml`` files, sorted; none means stdin."""
    out: list[str] = []
    for p in paths or ["-"]:
        if p != "-" and os.path.isdir(p):
            found = sorted(
                str(f) for f in Path(p).rglob("*") if f.suffix in (".yaml", ".yml") and f.is_file()
            )
            out.extend(found)
        else:
            out.append(p)
    return out


def read_sources(paths: list[str]) -> list[Source]:
    """Read every input before anything is written. Raises InputError naming the file."""
    sources = []
    for p in expand(paths):
        if p == "-":
            sources.append(Source("<stdin>", None, sys.stdin.buffer.read()))
            continue
        try:
            sources.append(Source(p, Path(p), Path(p).read_bytes()))
        except FileNotFoundError:
            raise InputError("no such file", SourcePos(p, 1, 1), "check the path") from None
        except IsADirectoryError:
            raise InputError("is a directory", SourcePos(p, 1, 1)) from None
        except PermissionError:
            raise InputError("permission denied", SourcePos(p, 1, 1)) from None
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", SourcePos(p, 1, 1)) from None
    return sources


def write_stdout(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def join_streams(texts: list[str]) -> str:
    """Concatenate several YAML streams into one, with a ``---`` between them when needed."""
    out = ""
    for t in texts:
        if out and t:
            if not out.endswith("\n"):
                out += "\n"
            if not t.lstrip("\ufeff").startswith("---"):
                out += "---\n"
        out += t
    return out
