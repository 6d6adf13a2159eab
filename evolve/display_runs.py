"""`evolve runs`: a table that fits the terminal, or plain aligned lines for a pipe."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from archive import RunRecord, RunSummary

__all__ = ["RUN_COLUMNS", "runs_lines", "runs_table"]


def _fmt(score: float | None) -> str:
    return "—" if score is None else f"{score:.6g}"


@dataclass(frozen=True)
class _RunColumn:
    """A column of `evolve runs`: its header, rank (0 is kept longest when the terminal
    is narrow), cell as rich markup and as a plain word (no spaces, for scripts)."""

    header: str
    rank: int
    cell: Callable[[RunRecord, RunSummary], str]
    plain: Callable[[RunRecord, RunSummary], str]
    justify: str = "left"


def _plain(score: float | None) -> str:
    return "-" if score is None else f"{score:.6g}"


def _models(run: RunRecord) -> list[str]:
    return list(run.config.get("models") or ["builtin:mutate"])


def _test(run: RunRecord) -> dict[str, Any]:
    test = run.state.get("test") or {}
    return {} if test.get("pending") else test


def _test_cell(run: RunRecord, _: RunSummary) -> str:
    """The run's held-out result, in red with "overfit" when flagged."""
    test = _test(run)
    if test.get("flagged"):
        return f"[bold red]{_fmt(test.get('score'))} overfit[/bold red]"
    return _fmt(test.get("score"))


def _overfit(run: RunRecord) -> str:
    flagged = _test(run).get("flagged")
    return "-" if flagged is None else ("yes" if flagged else "no")


RUN_COLUMNS = (
    _RunColumn("id", 0, lambda r, s: str(r.id), lambda r, s: str(r.id), "right"),
    _RunColumn("name", 0, lambda r, s: escape(r.name), lambda r, s: r.name),
    _RunColumn("problem", 5, lambda r, s: escape(r.problem), lambda r, s: r.problem),
    _RunColumn(
        "models", 9, lambda r, s: escape(", ".join(_models(r))), lambda r, s: ",".join(_models(r))
    ),
    _RunColumn("status", 1, lambda r, s: r.live_status, lambda r, s: r.live_status),
    _RunColumn(
        "evals", 4, lambda r, s: str(s.evaluations), lambda r, s: str(s.evaluations), "right"
    ),
    _RunColumn("dups", 10, lambda r, s: str(s.duplicates), lambda r, s: str(s.duplicates), "right"),
    _RunColumn(
        "best", 2, lambda r, s: _fmt(s.best_score), lambda r, s: _plain(s.best_score), "right"
    ),
    _RunColumn("test", 3, _test_cell, lambda r, s: _plain(_test(r).get("score")), "right"),
    _RunColumn(
        "seed test",
        8,
        lambda r, s: _fmt(_test(r).get("seed_test_score")),
        lambda r, s: _plain(_test(r).get("seed_test_score")),
        "right",
    ),
    _RunColumn("overfit", 99, lambda r, s: _overfit(r), lambda r, s: _overfit(r)),
    _RunColumn(
        "LLM calls", 7, lambda r, s: str(s.llm_calls), lambda r, s: str(s.llm_calls), "right"
    ),
    _RunColumn(
        "cost $", 6, lambda r, s: f"{s.cost_usd:.4f}", lambda r, s: f"{s.cost_usd:.4f}", "right"
    ),
    _RunColumn(
        "created",
        11,
        lambda r, s: r.created_at.strftime("%Y-%m-%d %H:%M"),
        lambda r, s: r.created_at.strftime("%Y-%m-%dT%H:%M"),
    ),
)
_TERMINAL_COLUMNS = tuple(c for c in RUN_COLUMNS if c.header != "overfit")  # red "test"


def runs_table(rows: Sequence[tuple[RunRecord, RunSummary]], width: int | None = None) -> Table:
    """`evolve runs` for a terminal: the columns that fit in `width` without wrapping,
    the least useful dropped first (models, duplicates, created ...), ids never wrapped."""
    columns = list(_TERMINAL_COLUMNS)
    while True:
        table = _runs_table(rows, columns)
        if width is None or len(columns) <= 2 or _table_width(table) <= width:
            return table
        columns.remove(max(columns, key=lambda c: c.rank))


def _runs_table(rows: Sequence[tuple[RunRecord, RunSummary]], columns: list[_RunColumn]) -> Table:
    table = Table(
        title="runs", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True
    )
    for column in columns:
        no_wrap = column.header in ("id", "name", "status", "created")
        table.add_column(column.header, justify=column.justify, no_wrap=no_wrap)  # type: ignore[arg-type]
    for run, summary in rows:
        table.add_row(*(column.cell(run, summary) for column in columns))
    return table


def _table_width(table: Table) -> int:
    """The width `table` takes without wrapping any cell."""
    console = Console(width=10_000, file=None)
    return console.measure(table).maximum


def runs_lines(rows: Sequence[tuple[RunRecord, RunSummary]]) -> list[str]:
    """`evolve runs` for a pipe or a file: a header, then one line per run, columns
    aligned with spaces, every cell one word ("-" when empty); no box drawing."""
    headers = [c.header.lower().replace(" ", "_").replace("$", "usd") for c in RUN_COLUMNS]
    table = [headers] + [[c.plain(r, s) for c in RUN_COLUMNS] for r, s in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(headers))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in table
    ]
