"""``capz-wi rules``: list the edit rules with the first line of each docstring."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("rules")
    def rules_cmd() -> None:
        """List the edit rules the transform applies, in order."""
        from capz_wi.rules import RULES

        for rule in RULES:
            doc = (rule.__doc__ or "").strip().splitlines()[0]
            typer.echo(f"{rule.ID:<22} {doc}")
