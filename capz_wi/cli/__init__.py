"""The ``capz-wi`` command line: a typer app, ``main(argv) -> int``, and the one error-to-exit-code mapping.

Exit codes: 0 success; 1 the input cannot be processed, an edit was refused, or a check found something;
2 usage error or invalid option values; 3 internal error (a bug: please report it); 130 interrupted.
Each command lives in its own module ``capz_wi/cli/<name>.py`` with a ``register(app)`` function; modules import
heavy libraries inside their command functions so that ``capz-wi transform`` starts fast.

Startup: the plain ``capz-wi transform`` (YAML on stdout) is recognised by ``cli/_fast.py`` and run without
importing typer or click at all; everything else (``--help``, other commands, other modes, anything unusual)
goes to the typer app, which is built on first use (``build_app()``; ``capz_wi.cli.app`` still works).
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from capz_wi import CapzWiError, InputError, OptionsError, __version__

if TYPE_CHECKING:
    import typer

#: Command modules, in ``--help`` order. Each has ``register(app: typer.Typer) -> None``.
COMMANDS = (
    "transform",
    "rules",
    "quickstart",
    "workload_issuer",
    "fn",
    "migrate",
    "check",
)

EXIT_HELP = "Exit codes: 0 ok; 1 bad input, refused edit or findings; 2 usage or invalid options; 3 internal error."

_APP: list[typer.Typer] = []


def build_app() -> typer.Typer:
    """The typer app with every command of COMMANDS registered (built once, on first use: importing typer costs
    more than a whole quick-start transform)."""
    if _APP:
        return _APP[0]
    import typer

    app = typer.Typer(
        name="capz-wi",
        help="Turn Cluster API Provider Azure manifests into Azure Workload Identity ones. " + EXIT_HELP,
        add_completion=False,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )

    def _version(value: bool) -> None:
        if value:
            typer.echo(f"capz-wi {__version__}")
            raise typer.Exit(0)

    @app.callback()
    def _root(
        version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
        debug: bool = typer.Option(False, "--debug", help="Show the traceback of internal errors."),
    ) -> None:
        """capz-wi: workload identity for CAPZ manifests."""

    for name in COMMANDS:
        importlib.import_module(f"capz_wi.cli.{name}").register(app)
    _APP.append(app)
    return app


def __getattr__(name: str) -> Any:
    """``capz_wi.cli.app`` builds the typer app lazily."""
    if name == "app":
        return build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def err(message: str) -> None:
    """One line on stderr."""
    sys.stderr.write(message.rstrip("\n") + "\n")


def _describe_option_error(exc: OptionsError) -> str:
    """``invalid --client-id: 'x' is not a GUID; give the ID as ...``, naming the flag the user typed."""
    from capz_wi._options import ALIASES

    by_alias = {v: k for k, v in ALIASES.items()}
    name = by_alias.get(exc.field, exc.field)
    text = exc.message + (f"; {exc.hint}" if exc.hint else "")
    return f"invalid --{name.replace('_', '-')}: {text}" if name else text


def main(argv: Sequence[str] | None = None, *, fast: bool = True) -> int:
    """Run the CLI; returns the exit code instead of raising SystemExit (tests drive it directly).

    ``fast=False`` sends even a plain ``transform`` through the typer app: the reference the fast path is tested
    against (tests/test_fastpath.py).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        from capz_wi.cli import _fast

        plain = _fast.parse(args) if fast else None
        if plain is not None:
            try:
                return _fast.execute(plain)
            except (EOFError, KeyboardInterrupt):
                sys.stderr.write("\n")  # what click writes before its Abort, so both paths print the same
                err("capz-wi: interrupted")
                return 130
        return _run_app(args)
    except OptionsError as exc:
        err(f"capz-wi: error: {_describe_option_error(exc)}")
        return 2
    except InputError as exc:
        err(f"{exc.pos or '<input>'}: error: {exc.message}" + (f"; {exc.hint}" if exc.hint else ""))
        return 1
    except CapzWiError as exc:
        err(f"capz-wi: error: {exc}")
        return 1
    except KeyboardInterrupt:
        err("capz-wi: interrupted")
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # a bug: one line, the traceback only with --debug
        if debug:
            import traceback

            traceback.print_exc()
        err(f"capz-wi: internal error: {type(exc).__name__}; please report it (run with --debug for details)")
        return 3


def _run_app(args: list[str]) -> int:
    """Run the typer app; click's own exits and usage errors become exit codes here."""
    import click

    import typer

    vendored: types.ModuleType
    try:  # typer >= 0.16 parses with its own vendored copy of click and raises that copy's exceptions
        from typer._click import exceptions as vendored
    except ImportError:  # pragma: no cover - older typer uses click itself
        vendored = click.exceptions
    try:
        rv = build_app()(args=args, prog_name="capz-wi", standalone_mode=False)
    except (click.exceptions.Exit, typer.Exit) as exc:
        return int(exc.exit_code or 0)
    except (click.exceptions.Abort, typer.Abort):
        err("capz-wi: interrupted")
        return 130
    except (click.ClickException, vendored.ClickException) as exc:
        exc.show()
        usage = isinstance(exc, (click.UsageError, vendored.UsageError))
        return 2 if usage or exc.exit_code == 2 else int(exc.exit_code or 1)
    return int(rv or 0)


def run() -> None:  # console-script entry point
    sys.exit(main())
