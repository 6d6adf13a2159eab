"""Understanding a run from its archive: stats, lineage, diff."""

from __future__ import annotations

import difflib
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from archive import Archive, ProgramRecord, RunRecord
from evolve.cli_common import DbOption, JsonOption, emit_json, out_console, user_errors
from evolve.config import DEFAULT_DB
from evolve.display import diff_text, lineage_table, stats_group
from evolve.exceptions import EvolveError

__all__ = ["lineage", "plot_best", "register", "stats", "unified_diff"]

PLOT_HELP = "install matplotlib for --plot: pip install 'evolve-engine[plot]'"


def register(app: typer.Typer) -> None:
    for command in (stats, lineage, diff):
        app.command()(command)


def stats(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run name or id.")],
    plot: Annotated[
        Path | None,
        typer.Option("--plot", metavar="FILE", help="Save the best score over time as a PNG."),
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """A run's numbers: evaluations, duplicates, errors, LLM usage, best score over time."""
    with user_errors(), Archive(db, create=False) as archive:
        run = archive.get_run(run_ref)
        summary = archive.summary(run.id)
        best = _elapsed(run, archive.best_over_time(run.id))
        if plot is not None:
            plot_best(run, best, plot)
    if as_json:
        emit_json(
            {
                "run": asdict(run),
                "summary": asdict(summary),
                "best_over_time": [
                    {"elapsed_s": round(t, 3), "program_id": i, "score": s} for t, i, s in best
                ],
                "plot": None if plot is None else str(plot),
            }
        )
        return
    out_console.print(stats_group(run, summary, best))
    if plot is not None:
        out_console.print(f"plot saved to {plot}")


def _elapsed(run: RunRecord, best: list[Any]) -> list[tuple[float, int, float]]:
    """Best-over-time points with seconds since the run was created."""
    return [((when - run.created_at).total_seconds(), i, s) for when, i, s in best]


def plot_best(run: RunRecord, best: list[tuple[float, int, float]], path: Path) -> None:
    """A step plot of the best score against elapsed seconds, as a PNG (matplotlib, Agg)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise EvolveError(PLOT_HELP) from None
    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=100)
    if best:
        times = [t for t, _, _ in best]
        scores = [s for _, _, s in best]
        end_s = (run.updated_at - run.created_at).total_seconds()
        axes.step(times, scores, where="post", marker="o", markersize=3)
        if end_s > times[-1]:  # the best held until the run's last update
            axes.hlines(scores[-1], times[-1], end_s, linestyles="dotted")
    axes.set(xlabel="seconds since the run started", ylabel="best score")
    axes.set_title(f"{run.name} ({run.problem}): best score over time")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    try:
        figure.savefig(path, format="png")
    except OSError as exc:
        raise EvolveError(f"cannot write {path}: {exc.strerror}") from exc
    finally:
        plt.close(figure)


def lineage(
    program_id: Annotated[
        int, typer.Argument(metavar="PROGRAM_ID", help="Program id (see `evolve top`).")
    ],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """A program's ancestors back to the seed: each step's score change and its model."""
    with user_errors(), Archive(db, create=False) as archive:
        chain = archive.lineage(program_id)
        models = {
            p.id: archive.get_llm_call(p.llm_call_id).model if p.llm_call_id else "seed"
            for p in chain
        }
    steps = [(p, _change(p, chain[i + 1 :]), models[p.id]) for i, p in enumerate(chain)]
    if as_json:
        emit_json(
            [{**asdict(p), "score_change": change, "model": model} for p, change, model in steps]
        )
    else:
        out_console.print(lineage_table(steps))


def _change(program: ProgramRecord, older: list[ProgramRecord]) -> float | None:
    parent = older[0] if older else None
    if parent is None or program.score is None or parent.score is None:
        return None
    return program.score - parent.score


def diff(
    first: Annotated[int, typer.Argument(metavar="A", help="Program id.")],
    second: Annotated[int, typer.Argument(metavar="B", help="Program id.")],
    context: Annotated[int, typer.Option("-U", metavar="N", min=0, help="Lines of context.")] = 3,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Unified diff of two programs' sources (A, then B): coloured on a terminal; plain
    when redirected, a patch that turns A's source into B's (`patch -p0`, `git apply`)."""
    with user_errors(), Archive(db, create=False) as archive:
        a, b = archive.get_programs([first, second])
    lines = unified_diff(a, b, context)
    if not lines:
        out_console.print(f"programs {a.id} and {b.id} have the same source")
    elif out_console.is_terminal:
        out_console.print(diff_text(lines), highlight=False, end="")
    else:  # byte for byte what difflib made: no colour, no wrapping
        sys.stdout.write("".join(lines))


def unified_diff(a: ProgramRecord, b: ProgramRecord, context: int = 3) -> list[str]:
    """The diff from A's source to B's, both headers naming A's file `program_A.py` (so
    that it applies to that file) with each program's id and score after a tab."""
    name = f"program_{a.id}.py"
    lines = difflib.unified_diff(
        _lines(a.source),
        _lines(b.source),
        fromfile=f"{name}\t(program {a.id}, score {a.score})",
        tofile=f"{name}\t(program {b.id}, score {b.score})",
        n=context,
    )
    return [line if line.endswith("\n") else line + NO_NEWLINE for line in lines]


NO_NEWLINE = "\n\\ No newline at end of file\n"
"""What a patch says after a last line that has no newline, as diff and git write it."""


def _lines(source: str) -> list[str]:
    """Lines as `patch` sees them: split at "\\n" only (not at \\r or a form feed)."""
    *lines, last = source.split("\n")
    return [line + "\n" for line in lines] + ([last] if last else [])
