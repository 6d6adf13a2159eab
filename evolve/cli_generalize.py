"""`evolve generalize`: a program on every data set of its problem, beside the baselines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from archive import Archive
from evolve.cli_common import JsonOption, emit_json, err_console, out_console, user_errors
from evolve.config import DEFAULT_DB
from evolve.exceptions import EvolveError
from evolve.generalize import PROGRAM, Entry, Report, Row, generalize
from evolve.programs import program_source
from problems import Problem, load

__all__ = ["register"]

MARKS = {"win": "[green]win[/green]", "loss": "[red]loss[/red]", "tie": "tie", "": "-"}


def register(app: typer.Typer) -> None:
    """Adds this module's commands to `app`."""
    app.command("generalize")(generalize_program)


def generalize_program(
    target: Annotated[
        str,
        typer.Argument(
            metavar="PROGRAM|ID",
            help="A program id in the archive (--db), or a program file (with --problem).",
        ),
    ],
    problem_spec: Annotated[
        str | None,
        typer.Option(
            "--problem",
            metavar="PROBLEM",
            help="The problem of a program file (a built-in name or a problem folder).",
        ),
    ] = None,
    entry: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="The name of a program file's evolved function."),
    ] = None,
    db: Annotated[str, typer.Option(metavar="URL", help="Archive of a program id.")] = DEFAULT_DB,
    datasets: Annotated[
        list[str] | None,
        typer.Option(
            "--dataset",
            metavar="NAME",
            help="Evaluate on this data set instead of the problem's list (repeatable; "
            "see `evolve problems`).",
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option(metavar="SECONDS", min=1, help="Limit for one program on one data set.")
    ] = 300.0,
    workers: Annotated[
        int | None,
        typer.Option(metavar="N", min=1, help="Sandbox workers (default: one per core)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Evaluate a program on every data set of its problem, beside the problem's baselines.

    The data sets are off the program's training distribution (bin packing: OR1-OR8,
    other Weibull sets, uniform and normal sizes; TSP: 20 to 1,000 nodes, clustered
    points, TSPLIB). Each row says whether the program wins, ties or loses against each
    baseline program and reference algorithm.
    """
    with user_errors():
        problem, source, label = _program(target, problem_spec, entry, db)
        show = None if as_json else _progress(problem)
        report = generalize(
            problem, source, label=label, datasets=datasets, timeout_s=timeout,
            workers=workers, on_row=show,
        )  # fmt: skip
    if as_json:
        emit_json(report.to_json())
        return
    out_console.print(_table(report))
    for row in report.rows:
        if row.error:
            err_console.print(f"{escape(row.dataset)}: {escape(row.error)}", highlight=False)
    for rival in report.rivals:
        tally = report.tally(rival)
        out_console.print(
            f"against {escape(rival)}: {tally['win']} wins, {tally['loss']} losses, "
            f"{tally['tie']} ties",
            highlight=False,
        )


def _program(
    target: str, problem_spec: str | None, entry: str | None, db: str
) -> tuple[Problem, str, str]:
    """(problem, source, label) of a program id in the archive or of a program file."""
    if target.isdigit():
        if problem_spec is not None or entry is not None:
            raise EvolveError("--problem and --entry go with a program file, not an id")
        with Archive(db, create=False) as archive:
            program = archive.get_program(int(target))
            run = archive.get_run(program.run_id)
        return load(run.problem), program.source, f"program {program.id}"
    if problem_spec is None:
        raise EvolveError(
            f"{target}: give the problem of a program file with --problem (or a program id)"
        )
    problem = load(problem_spec)
    path = Path(target)
    return problem, program_source(problem, path, entry), path.name


def _progress(problem: Problem) -> Callable[[Row], None]:
    rivals = [b.name for b in problem.baselines] + list(problem.references)
    err_console.print(
        f"Evaluating on the data sets of {problem.name}, beside: "
        f"{', '.join(rivals) or 'no baselines'}",
        highlight=False,
    )
    return lambda row: err_console.print(f"  {escape(row.dataset)} done", highlight=False)


def _table(report: Report) -> Table:
    table = Table(title=f"{report.problem}: {report.program} off its training data")
    table.add_column("data set", no_wrap=True)
    table.add_column("metric", no_wrap=True)
    table.add_column("program", justify="right", no_wrap=True)
    for rival in report.rivals:
        table.add_column(escape(rival), justify="right", min_width=12)
    for row in report.rows:
        if row.error:
            table.add_row(escape(row.dataset), "-", "[red]not loaded[/red]")
            continue
        metric = _metric(report.headline, row)
        rivals = [
            f"{_cell(row.entries.get(rival), metric)} {MARKS[row.outcome(rival)]}"
            for rival in report.rivals
        ]
        table.add_row(
            escape(row.dataset), metric,
            _cell(row.entries.get(PROGRAM), metric), *rivals,
        )  # fmt: skip
    table.caption = "beside each rival: the program's win, tie or loss (by score)"
    return table


def _metric(headline: tuple[str, ...], row: Row) -> str:
    """The first headline metric (e.g. excess_pct) the row's entries have, else "score"."""
    present = {name for entry in row.entries.values() for name in entry.metrics}
    return next((name for name in headline if name in present), "score")


def _cell(entry: Entry | None, metric: str) -> str:
    if entry is None:
        return "-"
    if entry.score is None:
        return f"[red]{escape(entry.error.split(':', 1)[0] or 'error')}[/red]"
    return f"{entry.metrics.get(metric, entry.score):.5g}"
