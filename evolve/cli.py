"""The `evolve` command: a thin layer over evolve.runner and the archive.

Each group of commands lives in its own module with a `register(app)` function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evolve import cli_archive, cli_inspect, cli_problems, cli_sandbox
from evolve.cli_common import JsonOption, emit_json, err_console, user_errors
from evolve.config import DEFAULT_DB
from evolve.display import live_progress

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Evolve programs with LLMs against a problem's evaluator.",
)


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


for _module in (cli_archive, cli_inspect, cli_problems, cli_sandbox):
    _module.register(app)


def main() -> None:
    app()
