"""What people see: the live view of a run and the tables of the inspection commands."""

from __future__ import annotations

import threading
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
from evolve.probe import describe_collisions
from evolve.progress import RunProgress

__all__ = [
    "calls_row",
    "diff_text",
    "lineage_table",
    "live_progress",
    "next_steps",
    "program_panel",
    "programs_table",
    "progress_line",
    "progress_table",
    "sparkline",
    "stats_group",
    "verdict_rows",
]

SPARKS = "▁▂▃▄▅▆▇█"
PLAIN_PROGRESS_S = 5.0
"""Seconds between two progress lines when the output is not a terminal (a log file)."""


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
        calls_row(p.llm_calls, p.mutator_steps, p.prompt_tokens, p.completion_tokens, p.cost_usd),
        ("errors", ", ".join(f"{k} {v}" for k, v in sorted(p.errors.items())) or "none"),
        ("elapsed", f"{p.elapsed_s:.1f} s"),
    ]
    if p.last_llm_error:
        rows.insert(5, ("last LLM error", f"[red]{escape(p.last_llm_error[:300])}[/red]"))
    rows.extend(("note", f"[yellow]{escape(note)}[/yellow]") for note in p.notes)
    if p.stop_reason:
        rows.append(("stopped", p.stop_reason))
    rows.extend(verdict_rows(p.test))
    for key, value in rows:
        table.add_row(key, value)
    return table


def calls_row(
    llm_calls: int, mutator_steps: int, prompt_tokens: int, completion_tokens: int, cost: float
) -> tuple[str, str]:
    """LLM calls with their tokens and cost; a builtin:mutate run has mutator steps
    instead (random program edits: no LLM, no prompt read, no tokens)."""
    if mutator_steps and not llm_calls:
        return (
            "mutator steps",
            f"{mutator_steps}  [dim](builtin:mutate: random edits, no LLM)[/dim]",
        )
    steps = f" · {mutator_steps} mutator steps" if mutator_steps else ""
    usage = f"tokens {prompt_tokens}+{completion_tokens} · ${cost:.4f}{steps}"
    return "LLM calls", f"{llm_calls}  [dim]{usage}[/dim]"


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
    gain = "" if test["gain"] is None else f", {test['gain']:+.4g}"
    gap = "" if test["gap"] is None else f", gap {test['gap']:+.4g}"
    return (  # the seed's test score beside the result's: what the search gained
        f"{_fmt(test['score'])}  (seed {_fmt(test['seed_test_score'])}{gain})  [dim](program "
        f"{test['program_id']}: best of the top {test['k']} on held-out instances; "
        f"search {_fmt(test['search_score'])}{gap})[/dim]"
    )


@contextmanager
def live_progress(progress: RunProgress, console: Console) -> Iterator[None]:
    """On a terminal, the progress table refreshed a few times a second; elsewhere (a log
    file, CI, nohup) one plain `progress_line` every PLAIN_PROGRESS_S seconds. The run's
    summary at the end either way."""

    class _View:
        def __rich__(self) -> Panel:
            return Panel(progress_table(progress), title="evolve run", expand=False)

    try:
        if console.is_terminal:
            with Live(_View(), console=console, refresh_per_second=4, transient=True):
                yield
        else:
            with _plain_progress(progress, console):
                yield
    finally:
        if console.is_terminal:
            console.print(Panel(progress_table(progress), title="run summary", expand=False))
        else:
            console.print("run summary:", progress_table(progress), sep="\n", soft_wrap=True)


@contextmanager
def _plain_progress(progress: RunProgress, console: Console) -> Iterator[None]:
    """Prints `progress_line` every PLAIN_PROGRESS_S seconds from a thread, while the run
    goes on in this one."""
    stop = threading.Event()

    def report() -> None:
        while not stop.wait(PLAIN_PROGRESS_S):
            console.print(progress_line(progress), markup=False, highlight=False, soft_wrap=True)

    line = f"run {progress.run_name} (#{progress.run_id}, {progress.problem}) started; "
    line += f"progress every {PLAIN_PROGRESS_S:g} s"
    console.print(line, highlight=False, markup=False, soft_wrap=True)
    thread = threading.Thread(target=report, name="progress-lines", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def progress_line(p: RunProgress) -> str:
    """The run's counters on one plain line, for logs."""
    errors = sum(dict(p.errors).values())  # dict(): one atomic copy; the engine writes on
    best = _fmt(p.best_score)
    if p.seed_score is not None:
        best += f" (seed {_fmt(p.seed_score)})"
    line = (
        f"[{p.elapsed_s:.0f} s] evaluations {p.evaluations}, best {best}, errors {errors}, "
        f"duplicates {p.duplicates}, "
    )
    if p.llm_calls or not p.mutator_steps:
        line += f"LLM calls {p.llm_calls} (${p.cost_usd:.4f})"
    if p.mutator_steps:
        line += f"{', ' if p.llm_calls else ''}mutator steps {p.mutator_steps}"
    if p.last_llm_error:
        line += f", last LLM error: {' '.join(p.last_llm_error.split())[:120]}"
    return line


def next_steps(
    run_name: str, program_id: int | None, db: str, given_db: bool, *, generalizes: bool = False
) -> list[str]:
    """Where a finished run's results are and what to run next, as plain lines, with
    `--db` when the archive is not the default one (`db` as given, password hidden).
    `generalizes`: the problem lists data sets for `evolve generalize`."""
    where = f" --db {db}" if given_db else ""
    commands = [f"evolve failures {run_name}{where}", f"evolve runs{where}"]
    if program_id is not None:
        best = [f"evolve show {program_id}{where}", f"evolve export {run_name} -o best.py{where}"]
        if generalizes:
            best.append(f"evolve generalize {program_id}{where}   # on other data sets")
        commands = best + commands
    lines = [f"results: {_archive_place(db)} (run {run_name})"]
    lines += [f"{'next:' if i == 0 else '':<9}{c}" for i, c in enumerate(commands)]
    return lines


def _archive_place(db: str) -> str:
    """A SQLite archive's file ("./evolve.db"), or the URL of any other database."""
    prefix = "sqlite:///"
    path = db.removeprefix(prefix) if db.startswith(prefix) else db
    if "://" in path or path in ("", ":memory:"):
        return db
    return path if path.startswith(("/", "./", "../", "~")) else f"./{path}"


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
    if call is not None and call.kind == "mutator":
        facts.append(("mutator step", f"#{call.id} {call.model} (random edits, no LLM)"))
    elif call is not None:
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
    for key, value in (
        ("run", f"{run.name}  [dim]#{run.id} · {run.problem} · {run.live_status}[/dim]"),
        ("evaluations", f"{s.evaluations}  [dim]of {s.programs} programs[/dim]"),
        (
            "duplicates",
            f"{s.duplicates}  [dim]syntactic {s.duplicates_syntactic} · functional "
            f"{s.duplicates_functional} · {s.seconds_saved:.1f} s of evaluation saved[/dim]",
        ),
        ("collisions", describe_collisions(s.collisions, s.audits, run.state.get("probe"))),
        ("errors", ", ".join(f"{k} {v}" for k, v in sorted(s.errors.items())) or "none"),
        calls_row(s.llm_calls, s.mutator_steps, s.prompt_tokens, s.completion_tokens, s.cost_usd),
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
