"""What every `evolve` command shares: consoles, common options, one-line errors, JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from archive import ArchiveError
from evolve.exceptions import EvolveError
from problems.base import ProblemError
from sandbox import SandboxError

__all__ = ["DbOption", "JsonOption", "emit_json", "err_console", "out_console", "user_errors"]

err_console = Console(stderr=True)
out_console = Console()

DbOption = Annotated[
    str, typer.Option("--db", help="SQLAlchemy URL or SQLite file of the archive.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
USER_ERRORS = (EvolveError, ProblemError, ArchiveError, SandboxError)


@contextmanager
def user_errors() -> Iterator[None]:
    """Bad input ends with one line on stderr and exit status 1, never a traceback."""
    try:
        yield
    except USER_ERRORS as exc:
        err_console.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
