"""Option groups shared by several commands: declared once, added to each command's signature by a decorator."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

Command = Callable[..., int]


def option_group(options: dict[str, Any], types: dict[str, Any], build: Callable[..., Any], param: str) -> Callable[[Command], Command]:
    """A decorator giving a typer command every option of ``options`` (name -> ``typer.Option``, typed by
    ``types``) and calling it with ``param=build(**those values)`` instead.

    Commands then declare one parameter (``opts: Options``, ``issuer: str``) where they would repeat a dozen; typer
    reads the options from the wrapper's signature, so ``--help``, environment variables and defaults are the same.
    """

    def decorate(command: Command) -> Command:
        hints = typing.get_type_hints(command)
        own = [
            p.replace(annotation=hints.get(p.name, p.annotation), kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(command).parameters.values()
            if p.name != param
        ]
        extra = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=types[name])
            for name, option in options.items()
        ]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> int:
            group = {name: kwargs.pop(name) for name in options}
            return command(**kwargs, **{param: build(**group)})

        params = own + extra
        wrapper.__signature__ = inspect.Signature(params, return_annotation=int)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {**{p.name: p.annotation for p in params}, "return": int}
        return wrapper

    return decorate
