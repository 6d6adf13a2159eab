"""The `evolve` command: a thin layer over evolve.runner and the archive.

Each group of commands lives in its own module with a `register(app)` function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from evolve import cli_archive, cli_inspect, cli_problems, cli_sandbox
from evolve.cli_common import JsonOption, emit_json, err_console, out_console, user_errors
from evolve.config import DEFAULT_DB
from evolve.display import live_progress

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    rich_markup_mode=None,  # help texts are plain: "[default: 5]" must not read as markup
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
            help="Evaluations in the whole run [default: 200 when no other budget is given]."
        ),
    ] = None,
    max_llm_calls: Annotated[int | None, typer.Option(help="LLM calls in the whole run.")] = None,
    budget_usd: Annotated[
        float | None, typer.Option(help="Dollars of LLM calls in the whole run.")
    ] = None,
    max_tokens: Annotated[int | None, typer.Option(help="LLM tokens in the whole run.")] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for this invocation.")] = None,
    target_score: Annotated[
        float | None, typer.Option(help="Stop once a program scores at least this.")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(help="LLM calls in flight [default: 4].")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Evaluation processes [default: cores].")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed [default: 0].")] = None,
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
            help="At the end, re-validate this many best programs on the held-out test split "
            "and report the best there as the run's result; 0: none [default: 5].",
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="TOML or YAML file with the same keys.")
    ] = None,
    suite: Annotated[
        str | None,
        typer.Option(help="puzzles only: run every puzzle of builtin or p3:FILE[:train|test]."),
    ] = None,
    split: Annotated[
        str | None, typer.Option(help="With --suite p3:FILE: P3's train or test split.")
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
        "target_score": target_score,
        "concurrency": concurrency,
        "workers": workers,
        "seed": seed,
        "secret_train": secret_train,
        "validate_top": validate_top,
    }
    if problem is None and resume is None:
        err_console.print(
            "[bold red]error:[/bold red] give a PROBLEM (e.g. bin_packing) or --resume RUN"
        )
        raise typer.Exit(2)
    if suite is not None or split is not None:
        _run_suite(overrides, suite, split, config, as_json)
        return
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
        emit_json({**prepared.progress.as_json(), "draw_seeds": prepared.run.draw_seeds})


def _run_suite(
    overrides: dict[str, Any], suite: str | None, split: str | None, config: Path | None,
    as_json: bool,
) -> None:  # fmt: skip
    """`evolve run puzzles --suite ...`: one run per puzzle, then solved / total, pass@k."""
    from evolve.suite import PuzzleOutcome, run_suite

    if overrides["problem"] != "puzzles" or suite is None:
        err_console.print(
            "[bold red]error:[/bold red] --suite/--split go with: run puzzles --suite"
        )
        raise typer.Exit(2)

    def report(index: int, outcome: PuzzleOutcome) -> None:
        if not as_json:
            mark = "solved" if outcome.solved else "not solved"
            err_console.print(f"{index + 1}. {outcome.name}: {mark} ({outcome.attempts} attempts)")

    with user_errors():
        result = run_suite(
            overrides, suite_spec=suite, split=split, config_file=config, on_puzzle=report
        )
    for notice in result.notices:
        err_console.print(f"[yellow]{notice}[/yellow]")
    if as_json:
        emit_json(result.as_json())
        return
    passes = ", ".join(f"pass@{k} {'-' if v is None else f'{v:.3f}'}"
                       for k, v in result.pass_at_k().items())  # fmt: skip
    out_console.print(f"{result.suite}: solved {result.solved} / {result.total}; {passes}")


for _module in (cli_archive, cli_inspect, cli_problems, cli_sandbox):
    _module.register(app)


def main() -> None:
    app()
