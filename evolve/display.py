"""What people see: the live view of a run and the tables of the inspection commands."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from archive import LLMCallRecord, ProgramRecord, RunRecord, RunSummary
from evolve.progress import RunProgress

__all__ = [
    "live_progress",
    "program_panel",
    "programs_table",
    "progress_table",
    "runs_table",
    "sparkline",
]

SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int = 24) -> str:
    """A one-line trend of the best score (each new best is one step)."""
    values = list(values)[-width:]
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(SPARKS[int((v - low) / span * (len(SPARKS) - 1))] for v in values)


def _fmt(score: float | None) -> str:
    return "—" if score is None else f"{score:.6g}"


def progress_table(p: RunProgress) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan")
    table.add_column()
    best = _fmt(p.best_score)
    if p.seed_score is not None and p.best_score is not None:
        best += f"  (seed {_fmt(p.seed_score)}, {p.best_score - p.seed_score:+.4g})"
    rows = [
        ("run", f"{p.run_name}  [dim]#{p.run_id} · {p.problem} · {', '.join(p.models)}[/dim]"),
        ("evaluations", f"{p.evaluations}  [dim]({p.duplicates} duplicates skipped)[/dim]"),
        ("best score", f"{best}  [green]{sparkline([s for _, s in p.best_history])}[/green]"),
        ("best program", str(p.best_program_id or "—")),
        (
            "LLM calls",
            f"{p.llm_calls}  [dim]tokens {p.prompt_tokens}+{p.completion_tokens}"
            f" · ${p.cost_usd:.4f}[/dim]",
        ),
        ("errors", ", ".join(f"{k} {v}" for k, v in sorted(p.errors.items())) or "none"),
        ("elapsed", f"{p.elapsed_s:.1f} s"),
    ]
    if p.stop_reason:
        rows.append(("stopped", p.stop_reason))
    for key, value in rows:
        table.add_row(key, value)
    return table


@contextmanager
def live_progress(progress: RunProgress, console: Console) -> Iterator[None]:
    """Refresh the progress table a few times a second while the run goes on."""

    class _View:
        def __rich__(self) -> Panel:
            return Panel(progress_table(progress), title="evolve run", expand=False)

    try:
        with Live(_View(), console=console, refresh_per_second=4, transient=True):
            yield
    finally:
        console.print(Panel(progress_table(progress), title="run summary", expand=False))


def runs_table(rows: Sequence[tuple[RunRecord, RunSummary]]) -> Table:
    table = Table(title="runs")
    for column in (
        "id",
        "name",
        "problem",
        "models",
        "status",
        "evals",
        "best",
        "LLM calls",
        "cost $",
        "created",
    ):
        table.add_column(column)
    for run, s in rows:
        models = ", ".join(run.config.get("models") or ["builtin:mutate"])
        table.add_row(
            str(run.id),
            run.name,
            run.problem,
            models,
            run.status,
            str(s.evaluations),
            _fmt(s.best_score),
            str(s.llm_calls),
            f"{s.cost_usd:.4f}",
            run.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    return table


def programs_table(programs: Sequence[ProgramRecord], models: dict[int, str]) -> Table:
    table = Table(title="top programs")
    for column in ("id", "score", "island", "parents", "model", "lines", "created"):
        table.add_column(column)
    for p in programs:
        table.add_row(
            str(p.id),
            _fmt(p.score),
            str(p.island if p.island is not None else "all"),
            ",".join(map(str, p.parent_ids)) or "seed",
            models.get(p.llm_call_id or -1, "seed"),
            str(p.source.count("\n") + 1),
            p.created_at.strftime("%H:%M:%S"),
        )
    return table


def program_panel(program: ProgramRecord, call: LLMCallRecord | None) -> Group:
    info = Table.grid(padding=(0, 2))
    info.add_column(style="bold cyan")
    info.add_column()
    facts: list[tuple[str, Any]] = [
        ("program", f"{program.id} (run {program.run_id})"),
        ("status", program.status),
        ("score", _fmt(program.score)),
        ("metrics", ", ".join(f"{k}={v:.6g}" for k, v in sorted(program.metrics.items()))),
        ("parents", ", ".join(map(str, program.parent_ids)) or "none (seed)"),
        ("island", program.island if program.island is not None else "all (seed)"),
    ]
    if program.duplicate_of:
        facts.append(("duplicate of", program.duplicate_of))
    if call is not None:
        facts.append(
            (
                "LLM call",
                f"#{call.id} {call.model} · {call.prompt_tokens}+"
                f"{call.completion_tokens} tokens · ${call.cost_usd:.5f} · {call.latency_s:.2f} s",
            )
        )
    for key, value in facts:
        info.add_row(key, str(value))
    parts: list[Any] = [info]
    if program.error:
        parts.append(Panel(program.error, title=f"error ({program.error_kind})", style="red"))
    if program.source:
        parts.append(Syntax(program.source, "python", line_numbers=True, word_wrap=True))
    return Group(*parts)
