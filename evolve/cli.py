"""The `evolve` command: a thin layer over the library (`evolve.Run`) and the archive.

Each group of commands lives in its own module with a `register(app)` function.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.markup import escape

from evolve import (
    cli_archive,
    cli_failures,
    cli_generalize,
    cli_inspect,
    cli_problems,
    cli_sandbox,
)
from evolve.cli_common import (
    App,
    JsonOption,
    SuiteAlias,
    emit_json,
    err_console,
    one_dataset,
    out_console,
    user_errors,
)
from evolve.cli_problems import EntryOption
from evolve.config import DEFAULT_DB
from evolve.display import live_progress, next_steps
from evolve.exceptions import EvolveError

if TYPE_CHECKING:
    from evolve.api import Run
    from problems import Problem

__all__ = ["app", "main"]

app = App(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Evolve programs with LLMs against a problem's evaluator.",
)


def _print_version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        print(f"evolve {version('evolve-engine')}")
        raise typer.Exit()


@app.callback()
def options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Evolve programs with LLMs against a problem's evaluator."""


@app.command()
def run(
    problem: Annotated[
        str | None,
        typer.Argument(metavar="PROBLEM", help="Built-in problem name or problem folder."),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            metavar="MODEL",
            help="MODEL[=WEIGHT], repeatable: "
            "openai/gpt-4o-mini, anthropic/..., ollama/qwen2.5-coder, builtin:mutate, replay:RUN.",
        ),
    ] = None,
    api_base: Annotated[
        str | None, typer.Option(metavar="URL", help="Base URL of an OpenAI-compatible server.")
    ] = None,
    db: Annotated[
        str | None, typer.Option(metavar="URL", help=f"Archive URL [default: {DEFAULT_DB}].")
    ] = None,
    run_name: Annotated[
        str | None, typer.Option(metavar="NAME", help="Name of the new run.")
    ] = None,
    resume: Annotated[
        str | None, typer.Option(metavar="RUN", help="Continue the run with this name or id.")
    ] = None,
    max_evals: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="Evaluations in the whole run [default: 200 when no other budget is given].",
        ),
    ] = None,
    max_llm_calls: Annotated[
        int | None,
        typer.Option(
            metavar="N", help="LLM calls in the whole run (builtin:mutate: its steps count)."
        ),
    ] = None,
    budget_usd: Annotated[
        float | None, typer.Option(metavar="USD", help="Dollars of LLM calls in the whole run.")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option(metavar="N", help="LLM tokens in the whole run.")
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option(metavar="SECONDS", help="Seconds for this invocation.")
    ] = None,
    target_score: Annotated[
        float | None,
        typer.Option(metavar="SCORE", help="Stop once a program scores at least this."),
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(metavar="N", help="LLM calls in flight [default: 4].")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(metavar="N", help="Evaluation processes [default: cores].")
    ] = None,
    strategy: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Search strategy [default: funsearch]; its options go in the config "
            "file's [strategy] table.",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="Random seed [default: 0]. The same seed gives the same run with "
            "builtin:mutate or replay: at any --concurrency; not with a real LLM, nor "
            "when --time-limit stops the run.",
        ),
    ] = None,
    secret_train: Annotated[
        bool | None,
        typer.Option(
            "--secret-train/--fixed-train",
            help="Draw the train and probe instances from a secret seed too (the test split "
            "always is, where the problem generates its instances) [default: fixed-train].",
        ),
    ] = None,
    validate_top: Annotated[
        int | None,
        typer.Option(
            metavar="K",
            help="At the end, re-validate this many best programs on the held-out test split "
            "and report the best there as the run's result; 0: none [default: 5].",
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(metavar="FILE", help="TOML or YAML file with the same keys.")
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="puzzles only: run every puzzle of a suite (builtin, p3, p3:FILE ...; see "
            "`evolve problems`); the other problems search their train split.",
        ),
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(metavar="SPLIT", help="With --dataset p3...: P3's train or test split."),
    ] = None,
    suite: SuiteAlias = None,
    seed_program: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Start from this program instead of the problem's template: a full program "
            "or just the function, as its authors wrote it (see --entry).",
        ),
    ] = None,
    entry: EntryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run (or resume) a discovery job."""
    from evolve.api import Run

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
        "target_score": target_score,
        "concurrency": concurrency,
        "workers": workers,
        "seed": seed,
        "strategy": strategy,
        "secret_train": secret_train,
        "validate_top": validate_top,
    }
    if problem is None and resume is None:
        err_console.print(
            "[bold red]error:[/bold red] give a PROBLEM (e.g. bin_packing) or --resume RUN"
        )
        raise typer.Exit(2)
    with user_errors():
        dataset = one_dataset(dataset, suite)
    if dataset is not None or split is not None:
        _run_suite(overrides, dataset, split, config, as_json)
        return
    with user_errors():
        seeded = _seeded_problem(problem, seed_program, entry, resume)
        options: dict[str, Any] = {k: v for k, v in overrides.items() if k not in _RUN_ARGUMENTS}
        run = Run(
            seeded or problem, models=model or None, strategy=strategy, db=db, resume=resume,
            config_file=config, **options,
        )  # fmt: skip
        prepared = run.prepare()
        for notice in run.notices:
            err_console.print(f"[yellow]{escape(notice)}[/yellow]", soft_wrap=True)
        try:
            if as_json:
                _run_until_stopped(run)
            else:
                with live_progress(run.progress, err_console):
                    _run_until_stopped(run)
        except KeyboardInterrupt:
            err_console.print(
                f"interrupted: resume with  evolve run --resume {prepared.run.name}"
                f"{'' if db is None else ' --db ' + db}"
            )
            raise typer.Exit(130) from None
    archive = _shown_db(prepared.config.db, prepared.archive.url)
    if as_json:
        progress = prepared.progress.as_json()
        emit_json({**progress, "draw_seeds": prepared.run.draw_seeds, "db": archive})
        return
    best = prepared.progress.test.get("program_id") or prepared.progress.best_program_id
    given = prepared.config.db != DEFAULT_DB
    generalizes = bool(prepared.problem.generalization)
    for line in next_steps(prepared.run.name, best, archive, given, generalizes=generalizes):
        err_console.print(line, highlight=False, markup=False, soft_wrap=True)


_RUN_ARGUMENTS = ("problem", "models", "strategy", "db")
"""Options that `Run` takes as arguments of their own."""


def _run_until_stopped(run: Run) -> None:
    """`run.arun()`, with SIGTERM (as Ctrl-C) cancelling it: the run ends interrupted,
    its status stored, and KeyboardInterrupt is raised here."""

    async def main() -> None:
        task, loop = asyncio.current_task(), asyncio.get_running_loop()
        assert task is not None
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            await run.arun()
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    try:
        asyncio.run(main())
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None


@contextmanager
def _sigterm_as_ctrl_c() -> Iterator[None]:
    """SIGTERM handled as Ctrl-C (SIGINT) meanwhile: asyncio cancels the running loop's
    main task, so a run in progress ends interrupted, its status stored."""
    previous = signal.signal(signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _seeded_problem(
    name: str | None, seed_program: Path | None, entry: str | None, resume: str | None
) -> Problem | None:
    """The problem with the seed program of --seed-program, or None (no such option)."""
    if seed_program is None:
        if entry is not None:
            raise EvolveError("--entry names the function of --seed-program FILE; give both")
        return None
    if resume is not None or name is None:
        raise EvolveError("--seed-program starts a new run: give a PROBLEM, not --resume")
    from evolve.programs import with_seed_program
    from problems import load

    return with_seed_program(load(name), seed_program, entry)


def _usage_error(message: str) -> NoReturn:
    """A command line that does not fit: one line, exit status 2 (as click's own)."""
    err_console.print(f"[bold red]error:[/bold red] {escape(message)}", soft_wrap=True)
    raise typer.Exit(2)


def _shown_db(given: str, url: str) -> str:
    """The archive as the user gave it, unless that holds a password (then the URL with
    the password hidden)."""
    return url if "@" in given else given


def _run_suite(
    overrides: dict[str, Any], suite: str | None, split: str | None, config: Path | None,
    as_json: bool,
) -> None:  # fmt: skip
    """`evolve run puzzles --dataset ...`: one run per puzzle, then solved / total, pass@k."""
    from evolve.suite import PuzzleOutcome, run_suite

    problem = overrides["problem"] or "a resumed run"
    if problem != "puzzles":
        _usage_error(
            f"--dataset/--split do not apply to {problem}: only puzzles runs a data set (a "
            "suite: run puzzles --dataset p3 --split test); the other problems search their "
            "train split (score a program on a data set with: evolve eval PROBLEM FILE "
            "--dataset NAME)"
        )
    if suite is None:
        _usage_error("--split goes with --dataset: run puzzles --dataset p3 --split test")

    def report(index: int, outcome: PuzzleOutcome) -> None:
        if not as_json:
            mark = "solved" if outcome.solved else "not solved"
            err_console.print(f"{index + 1}. {outcome.name}: {mark} ({outcome.attempts} attempts)")

    with user_errors(), _sigterm_as_ctrl_c():
        try:
            result = run_suite(
                overrides, suite_spec=suite, split=split, config_file=config, on_puzzle=report
            )
        except KeyboardInterrupt:
            err_console.print("interrupted: the puzzle being run is stored as interrupted")
            raise typer.Exit(130) from None
    for notice in result.notices:
        err_console.print(f"[yellow]{notice}[/yellow]")
    if as_json:
        emit_json(result.as_json())
        return
    passes = ", ".join(f"pass@{k} {'-' if v is None else f'{v:.3f}'}"
                       for k, v in result.pass_at_k().items())  # fmt: skip
    out_console.print(f"{result.suite}: solved {result.solved} / {result.total}; {passes}")


for _module in (cli_archive, cli_failures, cli_generalize, cli_inspect, cli_problems, cli_sandbox):
    _module.register(app)


def main() -> None:
    app()
