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


def _new_file_mode() -> int:
    """The mode ``open(..., "w")`` would give a new file: 0o666 minus the umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_files(items: list[tuple[Path, bytes]]) -> None:
    """Write several files all-or-nothing, as far as the file system allows.

    Phase one writes every new content to a temporary file in the target's own directory (same file system, so
    the rename is atomic), with the target's mode (a new file gets the umask's). Any failure there removes the
    temporary files and raises InputError naming the file: no target has been touched. Phase two renames each
    temporary file over its target with ``os.replace``. A symlink is followed: its target is rewritten, the link stays.
    """
    import tempfile

    staged: list[tuple[str, str]] = []
    try:
        for path, data in items:
            real = os.path.realpath(path)
            try:
                mode = os.stat(real).st_mode & 0o7777
            except FileNotFoundError:
                mode = _new_file_mode()
            try:
                fd, tmp = tempfile.mkstemp(prefix=".capz-wi-", suffix=".tmp", dir=os.path.dirname(real) or ".")
            except OSError as exc:
                raise InputError(f"cannot write: {exc.strerror}", SourcePos(str(path), 1, 1),
                                 "check that the directory is writable; no file was changed") from None
            staged.append((tmp, real))
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, mode)
            except OSError as exc:
                raise InputError(f"cannot write: {exc.strerror}", SourcePos(str(path), 1, 1),
                                 "no file was changed") from None
    except BaseException:
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
    for i, (tmp, real) in enumerate(staged):
        try:
            os.replace(tmp, real)
        except OSError as exc:  # each file stays wholly old or wholly new; no temporary file is left behind
            for rest, _ in staged[i:]:
                try:
                    os.unlink(rest)
                except OSError:
                    pass
            done = f"the {i} file(s) before it were rewritten, it and the rest were not" if i else "no file was changed"
            raise InputError(f"cannot replace the file: {exc.strerror}", SourcePos(str(items[i][0]), 1, 1), done) from None
