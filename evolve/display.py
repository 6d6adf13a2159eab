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
    "held_out_cell",
    "lineage_table",
    "live_progress",
    "program_panel",
    "programs_table",
    "progress_table",
    "runs_table",
    "sparkline",
    "stats_group",
    "verdict_rows",
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
    if p.last_llm_error:
        rows.insert(5, ("last LLM error", f"[red]{escape(p.last_llm_error[:300])}[/red]"))
    if p.stop_reason:
        rows.append(("stopped", p.stop_reason))
    rows.extend(verdict_rows(p.test))
    for key, value in rows:
        table.add_row(key, value)
    return table


def verdict_rows(test: dict[str, Any]) -> list[tuple[str, str]]:
    """The overfit guard's verdict (evolve/overfit.py) as (label, rich text) rows."""
    if not test:
        return []
    if test.get("pending"):
        return [("held-out test", f"re-validating the top {test['k']} and the seed ...")]
    if "flagged" not in test:  # a run from before the guard: only its best was re-validated
        status, score = test.get("status"), _fmt(test.get("score"))
        shown = score if status == "ok" else escape(f"{status}: {test.get('error', '')[:80]}")
        return [("best on test", f"{shown}  [dim](program {test.get('program_id')})[/dim]")]
    seed_line = f"{_fmt(test['seed_test_score'])}  [dim](program {test['seed_program_id']})[/dim]"
    rows = [
        ("result (test)", _result_line(test)),
        ("seed (test)", seed_line),
    ]
    if test["flagged"]:
        rows.append(("overfit", f"[bold red]{escape(test['reason'])}[/bold red]"))
        rows.append(("", "[red]`evolve export` refuses it without --allow-overfit[/red]"))
    else:
        rows.append(("verdict", f"[green]{escape(test['reason'])}[/green]"))
    return rows


def _result_line(test: dict[str, Any]) -> str:
    if test["program_id"] is None:
        return "none: no top program ran on the held-out split"
    gain = "" if test["gain"] is None else f"{test['gain']:+.4g} over the seed, "
    gap = "" if test["gap"] is None else f", gap {test['gap']:+.4g}"
    return (
        f"{_fmt(test['score'])}  [dim](program {test['program_id']}: best of the top "
        f"{test['k']} on held-out instances; {gain}search {_fmt(test['search_score'])}{gap})[/dim]"
    )


def held_out_cell(test: dict[str, Any] | None) -> str:
    """A run's held-out result in one table cell, flagged in red when overfit."""
    if not test or test.get("pending"):
        return "—"
    if "flagged" not in test:
        return f"{_fmt(test.get('score'))} [dim](best only)[/dim]"
    if test["flagged"]:
        return f"[bold red]{_fmt(test['score'])} overfit[/bold red]"
    return f"{_fmt(test['score'])} [dim](seed {_fmt(test['seed_test_score'])})[/dim]"


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
        "test",
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
            held_out_cell(run.state.get("test")),
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


def program_panel(
    program: ProgramRecord, call: LLMCallRecord | None, held_out: dict[str, Any] | None = None
) -> Group:
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
    facts.extend(_held_out_facts(held_out))
    if call is not None:
        facts.append(
            (
                "LLM call",
                f"#{call.id} {call.model} · {call.prompt_tokens}+"
                f"{call.completion_tokens} tokens · ${call.cost_usd:.5f} · {call.latency_s:.2f} s",
            )
        )
    for key, value in facts:
        info.add_row(key, value if isinstance(value, Text) else Text(str(value)))
    parts: list[Any] = [info]
    if program.error:  # plain text: an error quotes source, e.g. "values[i]" is not markup
        parts.append(
            Panel(Text(program.error), title=f"error ({escape(program.error_kind)})", style="red")
        )
    if program.source:
        parts.append(Syntax(program.source, "python", line_numbers=True, word_wrap=True))
    return Group(*parts)


def _held_out_facts(held_out: dict[str, Any] | None) -> list[tuple[str, Text]]:
    """`evolve show`: the program's re-validation on the held-out test split, if any."""
    if held_out is None:
        return []
    if held_out["status"] != "ok":
        line = escape(f"{held_out['status']}: {held_out['error'][:80]}")
    else:
        line = f"{_fmt(held_out['test_score'])}  [dim](held-out instances)[/dim]"
    facts: list[tuple[str, str]] = [("test score", line)]
    if held_out["seed_test_score"] is not None:
        facts.append(("seed (test)", _fmt(held_out["seed_test_score"])))
    if held_out["run_result"]:
        facts.append(("run result", "yes: the best of its run's top programs on held-out data"))
    if held_out["overfit"]:
        facts.append(("overfit", "[bold red]no better than the seed on held-out data[/bold red]"))
    return [(key, Text.from_markup(value)) for key, value in facts]  # markup made here only


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
