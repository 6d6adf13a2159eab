"""What every `evolve` command shares: consoles, common options, one-line errors, JSON."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperCommand

from archive import ArchiveError
from evolve.exceptions import EvolveError
from problems.base import ProblemError
from sandbox import SandboxError

__all__ = [
    "App",
    "Command",
    "DbOption",
    "JsonOption",
    "SuiteAlias",
    "emit_json",
    "err_console",
    "one_dataset",
    "out_console",
    "user_errors",
]

err_console = Console(stderr=True)
out_console = Console()

DbOption = Annotated[
    str, typer.Option("--db", metavar="URL", help="SQLAlchemy URL or SQLite file of the archive.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
SuiteAlias = Annotated[
    str | None, typer.Option("--suite", hidden=True, help="Old spelling of --dataset.")
]


def one_dataset(dataset: str | None, suite: str | None) -> str | None:
    """--dataset, or its old spelling --suite (with a note); both must agree."""
    if suite is None:
        return dataset
    if dataset not in (None, suite):
        raise EvolveError(f"--suite is the old spelling of --dataset; give one ({dataset!r})")
    err_console.print("[yellow]note:[/yellow] --suite is now spelled --dataset", soft_wrap=True)
    return suite


USER_ERRORS = (EvolveError, ProblemError, ArchiveError, SandboxError)


_TYPE_LABEL = re.compile(r" <[^<>]*>")  # typer's "<str>", "<int range>", "<list[str]>"


class Command(TyperCommand):
    """A command whose help names each value as people write it (`--db URL`, `RUN`).

    typer prints a type label beside every parameter (`--db <str>`, `RUN <str>`); here an
    option without a metavar shows its name instead (`--db DB`, as click does) and an
    argument shows only its metavar.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            flag = getattr(param, "is_flag", False) or getattr(param, "count", False)
            if param.param_type_name == "option" and not flag and param.metavar is None:
                param.metavar = (param.name or "value").upper()

    def format_options(self, ctx: Any, formatter: Any) -> None:  # typer's vendored click
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            name, text = record
            if param.param_type_name == "argument":
                sections["Arguments"].append((_TYPE_LABEL.sub("", name), text))
            else:
                sections["Options"].append((name, text))
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class App(typer.Typer):
    """A typer app whose commands are `Command`s (help without type labels), with plain
    help texts: "[default: 5]" must not read as rich markup."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("rich_markup_mode", None)
        kwargs.setdefault("add_completion", False)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:  # type: ignore[override]
        kwargs.setdefault("cls", Command)
        return super().command(*args, **kwargs)


@contextmanager
def user_errors() -> Iterator[None]:
    """Bad input ends with one line on stderr and exit status 1, never a traceback."""
    try:
        yield
    except USER_ERRORS as exc:
        message = f"[bold red]error:[/bold red] {escape(str(exc))}"
        err_console.print(message, highlight=False, soft_wrap=True)  # one line in a log
        raise typer.Exit(1) from None


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
