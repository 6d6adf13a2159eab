"""`evolve failures`: a run's failed programs, grouped by error kind, newest first."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from archive import Archive, ProgramRecord, RunRecord
from evolve.cli_common import DbOption, JsonOption, emit_json, out_console, user_errors
from evolve.config import DEFAULT_DB
from evolve.exceptions import EvolveError

__all__ = ["failures", "register"]


def register(app: typer.Typer) -> None:
    app.command()(failures)


def failures(
    run_ref: Annotated[
        str | None, typer.Argument(metavar="RUN", help="Run name or id [default: the latest run].")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option("--kind", metavar="KIND", help="Only this kind, e.g. sandbox:timeout."),
    ] = None,
    n: Annotated[
        int, typer.Option("-n", metavar="N", min=0, help="Newest errors shown per kind.")
    ] = 3,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """A run's failed programs: how many of each error kind, then the newest errors of
    each (`evolve show ID` prints one whole)."""
    with user_errors(), Archive(db, create=False) as archive:
        run = _run(archive, run_ref)
        counts = archive.failure_counts(run.id)
        if kind is not None:
            counts = {kind: _count_of(counts, kind, run)}
        groups = [
            (k, c, archive.failed_programs(run.id, k, n) if n else []) for k, c in counts.items()
        ]
    if as_json:
        emit_json(
            {
                "run": run.name,
                "run_id": run.id,
                "failed": sum(counts.values()),
                "kinds": [
                    {"kind": k, "count": c, "newest": [_failure_json(p) for p in newest]}
                    for k, c, newest in groups
                ],
            }
        )
        return
    _print_groups(run, groups)


def _run(archive: Archive, run_ref: str | None) -> RunRecord:
    if run_ref is not None:
        return archive.get_run(run_ref)
    runs = archive.list_runs()
    if not runs:
        raise EvolveError(f"archive {archive.url} has no runs yet")
    return runs[-1]


def _count_of(counts: dict[str, int], kind: str, run: RunRecord) -> int:
    if kind in counts:
        return counts[kind]
    known = ", ".join(f"{k} ({c})" for k, c in counts.items()) or "none: no program failed"
    raise EvolveError(f"no failed program of kind {kind!r} in run {run.name!r}; its kinds: {known}")


def _failure_json(program: ProgramRecord) -> dict[str, Any]:
    return {
        "id": program.id,
        "status": program.status,
        "error_kind": program.error_kind,
        "error": program.error,
        "parent_ids": list(program.parent_ids),
        "created_at": program.created_at.isoformat(),
    }


def _print_groups(run: RunRecord, groups: list[tuple[str, int, list[ProgramRecord]]]) -> None:
    total = sum(count for _, count, _ in groups)
    out_console.print(
        f"run {escape(run.name)} (#{run.id}, {escape(run.problem)}): {total} failed programs",
        highlight=False,
    )
    for kind, count, newest in groups:
        out_console.print(f"[bold]{escape(kind)}[/bold]  {count}", highlight=False)
        for program in newest:
            line = f"  #{program.id}  {escape(_first_line(program.error))}"
            if out_console.is_terminal:  # one line each, cut to the width
                out_console.print(line, highlight=False, no_wrap=True, overflow="ellipsis")
            else:  # a pipe or a log: whole lines
                out_console.print(line, highlight=False, soft_wrap=True)


def _first_line(error: str) -> str:
    """An error's first non-empty line (the exception and its message)."""
    return next((line.strip() for line in error.splitlines() if line.strip()), "(no message)")
