"""`evolve` commands about sandbox (to be filled in)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Adds this module's commands to `app`."""
