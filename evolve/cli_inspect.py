"""Inspecting the archive: runs, top, show, export."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from archive import Archive, ProgramRecord
from evolve.cli_common import DbOption, JsonOption, emit_json, out_console, user_errors
from evolve.config import DEFAULT_DB
from evolve.display import program_panel, programs_table, runs_table
from evolve.exceptions import EvolveError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    for command in (runs, top, show, export):
        app.command()(command)


def runs(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """List the runs in the archive."""
    with user_errors(), Archive(db) as archive:
        rows = [(r, archive.summary(r.id)) for r in archive.list_runs()]
    if as_json:
        emit_json([{**asdict(r), "summary": asdict(s)} for r, s in rows])
    else:
        out_console.print(runs_table(rows))


def top(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run name or id.")],
    n: Annotated[int, typer.Option("-n", help="How many programs.")] = 10,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """The best programs of a run."""
    with user_errors(), Archive(db) as archive:
        programs = archive.top_programs(archive.get_run(run_ref).id, n)
        models = {
            p.llm_call_id: archive.get_llm_call(p.llm_call_id).model
            for p in programs
            if p.llm_call_id is not None
        }
    if as_json:
        emit_json([_program_json(p, models.get(p.llm_call_id or -1)) for p in programs])
    else:
        out_console.print(programs_table(programs, models))


def show(
    program_id: Annotated[int, typer.Argument(help="Program id (see `evolve top`).")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """One program: source, score, metrics, error, parents and the LLM call that made it."""
    with user_errors(), Archive(db) as archive:
        program = archive.get_program(program_id)
        call = archive.get_llm_call(program.llm_call_id) if program.llm_call_id else None
    if as_json:
        emit_json(
            {
                **_program_json(program, call.model if call else None),
                "llm_call": asdict(call) if call else None,
            }
        )
    else:
        out_console.print(program_panel(program, call))


def export(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run name or id.")],
    out: Annotated[Path, typer.Option("--out", help="File to write the program to.")],
    program_id: Annotated[
        int | None, typer.Option("--program", help="Export this program instead of the run's best.")
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Write the best program of a run (or --program ID) as a runnable Python file."""
    with user_errors(), Archive(db) as archive:
        run_record = archive.get_run(run_ref)
        program = _exported_program(archive, run_record.id, program_id)
        header = (
            f"# Exported by `evolve export` from run {run_record.name!r} "
            f"({run_record.problem}), program {program.id}, score {program.score}.\n"
        )
        try:
            out.write_text(header + program.source, encoding="utf-8")
        except OSError as exc:
            raise EvolveError(f"cannot write {out}: {exc.strerror}") from exc
    if as_json:
        emit_json(
            {
                "run": run_record.name,
                "program_id": program.id,
                "score": program.score,
                "path": str(out),
            }
        )
    else:
        out_console.print(f"wrote program {program.id} (score {program.score}) to {out}")


def _exported_program(archive: Archive, run_id: int, program_id: int | None) -> ProgramRecord:
    if program_id is not None:
        program = archive.get_program(program_id)
        if program.run_id != run_id:
            raise EvolveError(f"program {program_id} belongs to run {program.run_id}, not {run_id}")
        return program
    best = archive.top_programs(run_id, 1)
    if not best:
        raise EvolveError("the run has no valid program yet; see `evolve top` and `evolve show`")
    return best[0]


def _program_json(program: ProgramRecord, model: str | None) -> dict[str, Any]:
    return {**asdict(program), "model": model}
