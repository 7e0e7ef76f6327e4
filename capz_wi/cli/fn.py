"""``capz-wi fn``: the KRM function, the same as the ``capz-wi-krm`` console script (ResourceList in and out)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("fn")
    def fn_cmd() -> int:
        """Run as a KRM function: a ResourceList on stdin, the transformed ResourceList and results on stdout.

        For kustomize (exec or container transformer) and kpt; see krm-function/README.md. Exit 1 when an error
        result exists.
        """
        from capz_wi.krm import main

        return main([])
