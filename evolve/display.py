"""What people see: the live view of a run and the tables of the inspection commands."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from archive import LLMCallRecord, ProgramRecord, RunRecord, RunSummary
from evolve.progress import RunProgress

__all__ = [
    "diff_text",
    "lineage_table",
    "live_progress",
    "program_panel",
    "programs_table",
    "progress_table",
    "runs_table",
    "sparkline",
    "stats_group",
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
    if p.test:
        rows.append(("best on test", _test_line(p.test)))
    if p.stop_reason:
        rows.append(("stopped", p.stop_reason))
    for key, value in rows:
        table.add_row(key, value)
    return table


def _test_line(test: dict[str, Any]) -> str:
    if test["status"] != "ok":
        error = escape(test["error"][:80])
        return f"{test['status']}: {error}  [dim](program {test['program_id']})[/dim]"
    return f"{_fmt(test['score'])}  [dim](program {test['program_id']}, held-out instances)[/dim]"


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
        "dups",
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
            str(s.duplicates),
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


def stats_group(run: RunRecord, s: RunSummary, best: Sequence[tuple[float, int, float]]) -> Group:
    """`evolve stats`: counts, duplicates, errors and LLM usage, then the best over time."""
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold cyan")
    facts.add_column()
    rate = "—" if s.collision_rate is None else f"{s.collision_rate:.1%}"
    for key, value in (
        ("run", f"{run.name}  [dim]#{run.id} · {run.problem} · {run.status}[/dim]"),
        ("evaluations", f"{s.evaluations}  [dim]of {s.programs} programs[/dim]"),
        (
            "duplicates",
            f"{s.duplicates}  [dim]syntactic {s.duplicates_syntactic} · functional "
            f"{s.duplicates_functional} · {s.seconds_saved:.1f} s of evaluation saved[/dim]",
        ),
        ("collisions", f"{s.collisions} of {s.audits} audited functional duplicates ({rate})"),
        ("errors", ", ".join(f"{k} {v}" for k, v in sorted(s.errors.items())) or "none"),
        (
            "LLM calls",
            f"{s.llm_calls}  [dim]tokens {s.prompt_tokens}+{s.completion_tokens}"
            f" · ${s.cost_usd:.4f}[/dim]",
        ),
        ("best score", f"{_fmt(s.best_score)}  [dim]program {s.best_program_id or '—'}[/dim]"),
    ):
        facts.add_row(key, value)
    table = Table(title="best score over time")
    for column in ("elapsed", "program", "score", "change"):
        table.add_column(column, justify="right")
    previous: float | None = None
    for elapsed_s, program_id, score in best:
        change = "" if previous is None else f"{score - previous:+.4g}"
        table.add_row(f"{elapsed_s:.1f} s", str(program_id), _fmt(score), change)
        previous = score
    return Group(facts, table)


def lineage_table(steps: Sequence[tuple[ProgramRecord, float | None, str]]) -> Table:
    """`evolve lineage`: (program, score change from its parent, model) from child to seed."""
    table = Table(title="lineage (newest first)")
    for column in ("program", "status", "score", "change", "model", "parents"):
        table.add_column(column)
    for p, change, model in steps:
        status = p.status if not p.duplicate_kind else f"{p.status} ({p.duplicate_kind})"
        table.add_row(
            str(p.id),
            status,
            _fmt(p.score),
            "" if change is None else f"{change:+.4g}",
            model,
            ",".join(map(str, p.parent_ids)) or "seed",
        )
    return table


def diff_text(lines: Sequence[str]) -> Text:
    """A unified diff, coloured: removed red, added green, hunk headers cyan."""
    styles = {"+++": "bold", "---": "bold", "@@": "cyan", "+": "green", "-": "red"}
    text = Text()
    for line in lines:
        style = next((s for prefix, s in styles.items() if line.startswith(prefix)), "")
        text.append(line.rstrip("\n") + "\n", style=style)
    return text
