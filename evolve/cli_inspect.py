"""Inspecting the archive: runs, top, show, export."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from archive import Archive, ProgramRecord, RunRecord, RunSummary
from evolve.cli_common import (
    DbOption,
    JsonOption,
    emit_json,
    err_console,
    out_console,
    user_errors,
)
from evolve.config import DEFAULT_DB
from evolve.display import program_panel, programs_table
from evolve.display_runs import runs_lines, runs_table
from evolve.exceptions import EvolveError
from evolve.overfit import beats
from problems import available

__all__ = ["held_out_of", "register"]


def register(app: typer.Typer) -> None:
    for command in (runs, top, show, export):
        app.command()(command)


def runs(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """List the runs in the archive."""
    with user_errors(), Archive(db, create=False) as archive:
        rows = [(r, archive.summary(r.id)) for r in archive.list_runs()]
    if as_json:
        emit_json([_run_json(r, s) for r, s in rows])
    elif out_console.is_terminal:
        out_console.print(runs_table(rows, width=out_console.width))
    else:  # a pipe or a file: aligned plain lines, every column, nothing cut
        sys.stdout.write("".join(line + "\n" for line in runs_lines(rows)))


def _run_json(run: RunRecord, summary: RunSummary) -> dict[str, Any]:
    """A run for `runs --json`: "status" is "died" for a run left "running" by a process
    that is gone (see RunRecord.live_status); "lease" says which process holds it."""
    return {
        **asdict(run),
        "status": run.live_status,
        "summary": asdict(summary),
        **_result_json(run),
    }


def _result_json(run: RunRecord) -> dict[str, Any]:
    """The run's result by the overfit guard (the full verdict is `state.test`)."""
    test = run.state.get("test") or {}
    return {
        "result_program_id": test.get("program_id"),
        "result_test_score": test.get("score"),
        "seed_test_score": test.get("seed_test_score"),
        "overfit": test.get("flagged"),
    }


def top(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run name or id.")],
    n: Annotated[int, typer.Option("-n", metavar="N", min=1, help="How many programs.")] = 10,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """The best programs of a run."""
    with user_errors(), Archive(db, create=False) as archive:
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
    program_id: Annotated[
        int, typer.Argument(metavar="PROGRAM_ID", help="Program id (see `evolve top`).")
    ],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """One program: source, score, metrics, error, parents and the LLM call that made it."""
    with user_errors(), Archive(db, create=False) as archive:
        program = archive.get_program(program_id)
        call = archive.get_llm_call(program.llm_call_id) if program.llm_call_id else None
        held_out = held_out_of(archive, program)
    if as_json:
        emit_json(
            {
                **_program_json(program, call.model if call else None),
                "llm_call": asdict(call) if call else None,
                "held_out": held_out,
            }
        )
    else:
        out_console.print(program_panel(program, call, held_out))


def export(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run name or id.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="FILE", help="File to write the program to.")
    ],
    program_id: Annotated[
        int | None,
        typer.Option(
            "--program", metavar="ID", help="Export this program instead of the run's result."
        ),
    ] = None,
    allow_overfit: Annotated[
        bool,
        typer.Option(
            "--allow-overfit",
            help="Export even a program no better than the seed on held-out test instances.",
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """Write a run's result (the best of its top programs on held-out test instances) as a
    runnable Python file: the problem's whole program, which `python FILE` scores with
    `evolve eval`. A run whose result is no better than the seed program there is
    flagged: nothing is written unless --allow-overfit (which writes its best by search
    score). A run not re-validated gives its best by search score, with a note. An
    existing FILE is kept unless --force."""
    with user_errors():
        _refuse_to_overwrite(out, force)
    with user_errors(), Archive(db, create=False) as archive:
        run_record = archive.get_run(run_ref)
        program = _exported_program(archive, run_record, program_id)
        held_out = held_out_of(archive, program)
        flagged, why = _flag(run_record, program, held_out, whole_run=program_id is None)
        if flagged and not allow_overfit:
            raise EvolveError(
                f"{why}. Nothing was written: program {program.id} may only fit the instances "
                f"the search saw. Export it anyway with --allow-overfit, or search on: evolve "
                f"run --resume {run_record.name} --max-evals N (a larger budget, another --model)"
            )
        header = _header(run_record, program, held_out, why if flagged else "")
        text = header + program.source.rstrip("\n") + "\n" + _footer(run_record, program)
        _write(out, text, force)
    test_score = None if held_out is None else held_out["test_score"]
    if as_json:
        emit_json(
            {
                "run": run_record.name,
                "program_id": program.id,
                "score": program.score,
                "test_score": test_score,
                "validated": held_out is not None,
                "overfit": flagged,
                "path": str(out),
            }
        )
        return
    tested = "" if test_score is None else f", held-out test score {test_score}"
    out_console.print(f"wrote program {program.id} (score {program.score}{tested}) to {out}")
    if flagged:
        err_console.print(f"[bold red]warning:[/bold red] exported with --allow-overfit: {why}")
    elif held_out is None:
        err_console.print(
            f"[yellow]note:[/yellow] program {program.id} was not re-validated on held-out "
            f"test instances (the run stopped before its end, or validate_top is 0); "
            f"`evolve run --resume {run_record.name}` re-validates at its end"
        )


def _refuse_to_overwrite(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise EvolveError(f"{out} exists; nothing was written. Overwrite it with --force")
    if out.is_dir():
        raise EvolveError(f"{out} is a folder; give --out a file name, e.g. {out / 'best.py'}")


def _write(out: Path, text: str, force: bool) -> None:
    """Writes `text` to `out`; without `force` only a new file (never one made meanwhile)."""
    try:
        with out.open("w" if force else "x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        raise EvolveError(f"{out} exists; nothing was written. Overwrite it with --force") from None
    except OSError as exc:
        raise EvolveError(f"cannot write {out}: {exc.strerror}") from exc


def _exported_program(archive: Archive, run: RunRecord, program_id: int | None) -> ProgramRecord:
    """--program, else the run's result by the overfit guard; a flagged run's search best
    (what export refuses without --allow-overfit), or the best by search score when the run
    was not re-validated."""
    if program_id is not None:
        program = archive.get_program(program_id)
        if program.run_id != run.id:
            raise EvolveError(f"program {program_id} belongs to run {program.run_id}, not {run.id}")
        return program
    verdict = run.state.get("test") or {}
    if verdict.get("flagged") is False and verdict.get("program_id") is not None:
        return archive.get_program(verdict["program_id"])
    best = archive.top_programs(run.id, 1)
    if not best:
        raise EvolveError("the run has no valid program yet; see `evolve top` and `evolve show`")
    return best[0]


def _flag(
    run: RunRecord, program: ProgramRecord, held_out: dict[str, Any] | None, whole_run: bool
) -> tuple[bool, str]:
    """(flagged, why): the run's verdict for the run's best, the program's own otherwise."""
    verdict = run.state.get("test") or {}
    if whole_run and verdict.get("flagged"):
        return True, f"run {run.name!r} is flagged: {verdict['reason']}"
    if held_out is not None and held_out["overfit"]:
        return True, (
            f"program {program.id} of run {run.name!r} is no better than the seed on held-out "
            f"test instances (test {held_out['test_score']} vs seed {held_out['seed_test_score']})"
        )
    return False, ""


def _header(
    run: RunRecord, program: ProgramRecord, held_out: dict[str, Any] | None, warning: str
) -> str:
    lines = [
        f"# Exported by `evolve export` from run {run.name!r} ({run.problem}), program "
        f"{program.id}, score {program.score}."
    ]
    if held_out is not None:
        lines.append(
            f"# Held-out test score {held_out['test_score']} (the seed program: "
            f"{held_out['seed_test_score']})."
        )
    if warning:
        lines.append(f"# WARNING (exported with --allow-overfit): {warning}.")
    return "\n".join(lines) + "\n"


def _problem_ref(run: RunRecord) -> str:
    """How `evolve eval` finds the run's problem: a built-in's name, else its folder
    (made absolute when it exists from here, so the file runs from anywhere)."""
    spec = str(run.config.get("problem") or run.problem)
    if spec in available():
        return spec
    folder = Path(spec).expanduser()
    return str(folder.resolve()) if folder.is_dir() else spec


EXPORT_FOOTER = """

if __name__ == "__main__":  # added by `evolve export`: `python FILE` scores this program
    import sys

    about, problem = {about!r}, {problem!r}
    try:
        from evolve.cli import app
    except ImportError:
        sys.exit(f"{{about}}: score it with `evolve eval {{problem}} {{sys.argv[0]}}`")
    print(f"{{about}}, scored by `evolve eval` (options: python {{sys.argv[0]}} --help)")
    app(["eval", problem, __file__, *sys.argv[1:]], prog_name="evolve eval")
"""
"""Run as a script, an exported program scores itself on its problem (the test split,
or what options follow, e.g. `python best.py --dataset NAME`); `evolve eval` runs the
program in the sandbox, where `__name__` is not "__main__"."""


def _footer(run: RunRecord, program: ProgramRecord) -> str:
    about = f"program {program.id} of run {run.name!r} ({run.problem})"
    return EXPORT_FOOTER.format(about=about, problem=_problem_ref(run))


def held_out_of(archive: Archive, program: ProgramRecord) -> dict[str, Any] | None:
    """The program's re-validation on the held-out test split beside the seed's, or None."""
    seed = archive.seed_program(program.run_id)
    found = archive.validations(program.run_id, [program.id, *([seed.id] if seed else [])])
    own = found.get(program.id)
    if own is None:
        return None
    seed_result = found.get(seed.id) if seed is not None else None
    seed_score = seed_result.score if seed_result and seed_result.status == "ok" else None
    test_score = own.score if own.status == "ok" else None
    verdict = archive.get_run(program.run_id).state.get("test") or {}
    return {
        "status": own.status,
        "test_score": test_score,
        "metrics": own.metrics,
        "error": own.error,
        "draw_seed": own.draw_seed,
        "seed_program_id": None if seed is None else seed.id,
        "seed_test_score": seed_score,
        "overfit": (seed is None or seed.id != program.id) and not beats(test_score, seed_score),
        "run_result": "flagged" in verdict and verdict.get("program_id") == program.id,
    }


def _program_json(program: ProgramRecord, model: str | None) -> dict[str, Any]:
    return {**asdict(program), "model": model}
