"""Read queries with more than one statement, shared by `Archive` methods.

Each function runs inside the caller's session (transaction) and returns plain values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from archive.records import FAILED_EXCLUDES, NOT_EVALUATED, RunSummary
from archive.tables import LLMCallRow, ProgramRow

__all__ = ["summarize", "top_query"]


def summarize(session: Session, run_id: int) -> RunSummary:
    """The `RunSummary` of one run: three aggregate queries and one top-1 lookup."""
    by_status = _count_programs(session, run_id)
    calls, prompt_tokens, completion_tokens, cost = _call_totals(session, run_id)
    best = session.exec(top_query(run_id, 1)).first()
    errors = _program_errors(by_status)
    for kind, count in _call_errors(session, run_id):
        errors[kind] = errors.get(kind, 0) + count
    programs = sum(by_status.values())
    return RunSummary(
        run_id=run_id,
        evaluations=programs - _count_where(by_status, NOT_EVALUATED),
        programs=programs,
        duplicates=_count_where(by_status, ("duplicate",)),
        best_score=None if best is None else best.score,
        best_program_id=None if best is None else best.id,
        llm_calls=calls,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost,
        errors=errors,
    )


def top_query(run_id: int, k: int) -> Any:
    """The k best "ok" programs: highest score first, oldest first among equals."""
    return (
        select(ProgramRow)
        .where(ProgramRow.run_id == run_id, ProgramRow.status == "ok")
        .where(col(ProgramRow.score).is_not(None))
        .order_by(col(ProgramRow.score).desc(), col(ProgramRow.id))
        .limit(k)
    )


def _count_programs(session: Session, run_id: int) -> dict[tuple[str, str], int]:
    """Program counts per (status, error_kind)."""
    query = (
        select(ProgramRow.status, ProgramRow.error_kind, func.count())
        .where(ProgramRow.run_id == run_id)
        .group_by(ProgramRow.status, ProgramRow.error_kind)
    )
    return {(status, kind): count for status, kind, count in session.exec(query)}


def _count_where(by_status: dict[tuple[str, str], int], statuses: Sequence[str]) -> int:
    return sum(count for (status, _kind), count in by_status.items() if status in statuses)


def _program_errors(by_status: dict[tuple[str, str], int]) -> dict[str, int]:
    errors: dict[str, int] = {}
    for (status, kind), count in by_status.items():
        if status not in FAILED_EXCLUDES:
            errors[kind or status] = errors.get(kind or status, 0) + count
    return errors


def _call_totals(session: Session, run_id: int) -> tuple[int, int, int, float]:
    query = select(
        func.count(),
        func.coalesce(func.sum(LLMCallRow.prompt_tokens), 0),
        func.coalesce(func.sum(LLMCallRow.completion_tokens), 0),
        func.coalesce(func.sum(LLMCallRow.cost_usd), 0.0),
    ).where(LLMCallRow.run_id == run_id)
    calls, prompt_tokens, completion_tokens, cost = session.exec(query).one()
    return int(calls), int(prompt_tokens), int(completion_tokens), float(cost)


def _call_errors(session: Session, run_id: int) -> list[tuple[str, int]]:
    query = (
        select(LLMCallRow.error_kind, func.count())
        .where(LLMCallRow.run_id == run_id, LLMCallRow.error != "")
        .group_by(LLMCallRow.error_kind)
    )
    return [(kind or "llm_error", count) for kind, count in session.exec(query)]
