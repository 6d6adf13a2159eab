"""The `evolve` command: a thin layer over evolve.runner and the archive."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from archive import Archive, ArchiveError, ProgramRecord
from evolve.config import DEFAULT_DB
from evolve.display import live_progress, program_panel, programs_table, runs_table
from evolve.exceptions import EvolveError
from problems.base import ProblemError
from sandbox import SandboxError

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Evolve programs with LLMs against a problem's evaluator.",
)
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
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        raise typer.Exit(1) from None


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@app.command()
def run(
    problem: Annotated[
        str | None, typer.Argument(help="Built-in problem name or problem folder.")
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            help="MODEL[=WEIGHT], repeatable: "
            "openai/gpt-4o-mini, anthropic/..., ollama/qwen2.5-coder, builtin:mutate, replay:RUN.",
        ),
    ] = None,
    api_base: Annotated[
        str | None, typer.Option(help="Base URL of an OpenAI-compatible server.")
    ] = None,
    db: Annotated[str | None, typer.Option(help=f"Archive URL [default: {DEFAULT_DB}].")] = None,
    run_name: Annotated[str | None, typer.Option(help="Name of the new run.")] = None,
    resume: Annotated[
        str | None, typer.Option(help="Continue the run with this name or id.")
    ] = None,
    max_evals: Annotated[
        int | None,
        typer.Option(
            help="Evaluations in the whole run [default: 300 when no other budget is given]."
        ),
    ] = None,
    max_llm_calls: Annotated[int | None, typer.Option(help="LLM calls in the whole run.")] = None,
    budget_usd: Annotated[
        float | None, typer.Option(help="Dollars of LLM calls in the whole run.")
    ] = None,
    max_tokens: Annotated[int | None, typer.Option(help="LLM tokens in the whole run.")] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for this invocation.")] = None,
    concurrency: Annotated[
        int | None, typer.Option(help="LLM calls in flight [default: 4].")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Evaluation processes [default: cores].")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed [default: 0].")] = None,
    config: Annotated[
        Path | None, typer.Option(help="TOML or YAML file with the same keys.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run (or resume) a discovery job."""
    from evolve.runner import prepare_run

    overrides = {
        "problem": problem,
        "models": model or None,
        "api_base": api_base,
        "db": db,
        "run_name": run_name,
        "max_evals": max_evals,
        "max_llm_calls": max_llm_calls,
        "budget_usd": budget_usd,
        "max_tokens": max_tokens,
        "time_limit": time_limit,
        "concurrency": concurrency,
        "workers": workers,
        "seed": seed,
    }
    if problem is None and resume is None:
        err_console.print(
            "[bold red]error:[/bold red] give a PROBLEM (e.g. bin_packing) or --resume RUN"
        )
        raise typer.Exit(2)
    with user_errors():
        prepared = prepare_run(overrides, config_file=config, resume=resume)
        for notice in prepared.notices:
            err_console.print(f"[yellow]{notice}[/yellow]")
        try:
            if as_json:
                prepared.execute()
            else:
                with live_progress(prepared.progress, err_console):
                    prepared.execute()
        except KeyboardInterrupt:
            err_console.print(
                f"interrupted: resume with  evolve run --resume {prepared.run.name}"
                f"{'' if db is None else ' --db ' + db}"
            )
            raise typer.Exit(130) from None
    if as_json:
        emit_json(prepared.progress.as_json())


@app.command()
def runs(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """List the runs in the archive."""
    with user_errors(), Archive(db) as archive:
        rows = [(r, archive.summary(r.id)) for r in archive.list_runs()]
    if as_json:
        emit_json([{**asdict(r), "summary": asdict(s)} for r, s in rows])
    else:
        out_console.print(runs_table(rows))


@app.command()
def top(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run name or id.")],
    n: Annotated[int, typer.Option("-n", help="How many programs.")] = 10,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """The best programs of a run."""
    with user_errors(), Archive(db) as archive:
        programs = archive.top_programs(_run_id(archive, run_ref), n)
        models = {
            p.llm_call_id: archive.get_llm_call(p.llm_call_id).model
            for p in programs
            if p.llm_call_id is not None
        }
    if as_json:
        emit_json([_program_json(p, models.get(p.llm_call_id or -1)) for p in programs])
    else:
        out_console.print(programs_table(programs, models))


@app.command()
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


@app.command()
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
        run_record = archive.get_run(_run_id(archive, run_ref))
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


def _run_id(archive: Archive, ref: str) -> int:
    return archive.get_run(int(ref) if ref.isdigit() else ref).id


def _program_json(program: ProgramRecord, model: str | None) -> dict[str, Any]:
    return {**asdict(program), "model": model}


def main() -> None:
    app()
