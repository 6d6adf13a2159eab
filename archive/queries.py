"""Read queries with more than one statement, shared by `Archive` methods.

Each function runs inside the caller's session (transaction) and returns plain values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, func, or_
from sqlalchemy import select as sa_select  # sqlmodel's select takes at most four columns
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from archive.records import COLLISION_TOLERANCE, FAILED_EXCLUDES, NOT_EVALUATED, RunSummary
from archive.tables import LLMCallRow, ProgramRow, ValidationRow

__all__ = [
    "failure_counts",
    "failures_query",
    "summarize",
    "top_query",
    "twin_query",
    "validation_query",
]


def summarize(session: Session, run_id: int) -> RunSummary:
    """The `RunSummary` of one run: five aggregate queries and one top-1 lookup."""
    by_status = _count_programs(session, run_id)
    calls, steps, prompt_tokens, completion_tokens, cost = _call_totals(session, run_id)
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
        mutator_steps=steps,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost,
        errors=errors,
        **_duplicate_totals(session, run_id),
    )


def twin_query(run_id: int, column: Any, digest: str) -> Any:
    """The first program of the run with `column == digest` that is no duplicate at all."""
    return (
        select(ProgramRow)
        .where(ProgramRow.run_id == run_id, column == digest)
        .where(ProgramRow.status != "duplicate", ProgramRow.duplicate_kind == "")
        .order_by(col(ProgramRow.id))
        .limit(1)
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


def validation_query(run_id: int, program_ids: Sequence[int] | None) -> Any:
    """The run's re-validations (of these programs only, if given), by program id."""
    query = select(ValidationRow).where(ValidationRow.run_id == run_id)
    if program_ids is not None:
        query = query.where(col(ValidationRow.program_id).in_(list(program_ids)))
    return query.order_by(col(ValidationRow.program_id))


def failure_counts(session: Session, run_id: int) -> dict[str, int]:
    """The run's failed programs per kind (`error_kind`, else the status), most first."""
    errors = _program_errors(_count_programs(session, run_id))
    return dict(sorted(errors.items(), key=lambda item: (-item[1], item[0])))


def failures_query(run_id: int, kind: str | None, limit: int) -> Any:
    """The run's newest failed programs, only those of `kind` if given (see
    `failure_counts`)."""
    query = select(ProgramRow).where(
        ProgramRow.run_id == run_id, col(ProgramRow.status).not_in(FAILED_EXCLUDES)
    )
    if kind is not None:
        error_kind, status = col(ProgramRow.error_kind), col(ProgramRow.status)
        query = query.where(or_(error_kind == kind, and_(error_kind == "", status == kind)))
    return query.order_by(col(ProgramRow.id).desc()).limit(limit)


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


def _call_totals(session: Session, run_id: int) -> tuple[int, int, int, int, float]:
    """LLM calls, mutator steps, prompt and completion tokens, dollars."""
    is_step = case((col(LLMCallRow.kind) == "mutator", 1), else_=0)
    query = sa_select(
        func.count(),
        func.coalesce(func.sum(is_step), 0),
        func.coalesce(func.sum(LLMCallRow.prompt_tokens), 0),
        func.coalesce(func.sum(LLMCallRow.completion_tokens), 0),
        func.coalesce(func.sum(LLMCallRow.cost_usd), 0.0),
    ).where(col(LLMCallRow.run_id) == run_id)
    total, steps, prompt_tokens, completion_tokens, cost = session.execute(query).one()
    steps = int(steps)
    return int(total) - steps, steps, int(prompt_tokens), int(completion_tokens), float(cost)


def _call_errors(session: Session, run_id: int) -> list[tuple[str, int]]:
    query = (
        select(LLMCallRow.error_kind, func.count())
        .where(LLMCallRow.run_id == run_id, LLMCallRow.error != "")
        .group_by(LLMCallRow.error_kind)
    )
    return [(kind or "llm_error", count) for kind, count in session.exec(query)]


def _duplicate_totals(session: Session, run_id: int) -> dict[str, Any]:
    """Duplicates per kind, the seconds they saved, and the audits' collisions."""
    original = aliased(ProgramRow)
    copy = aliased(ProgramRow)
    slower = col(original.eval_s) > col(copy.eval_s)
    saved = case((slower, col(original.eval_s) - col(copy.eval_s)), else_=0.0)
    query = (
        select(copy.duplicate_kind, func.count(), func.coalesce(func.sum(saved), 0.0))
        .join(original, col(original.id) == col(copy.duplicate_of))
        .where(copy.run_id == run_id, copy.status == "duplicate")
        .group_by(copy.duplicate_kind)
    )
    counts: dict[str, int] = {}
    seconds = 0.0
    for kind, count, kind_seconds in session.exec(query):
        counts[kind] = count
        seconds += float(kind_seconds)
    audits, collisions = _audit_totals(session, run_id)
    return {
        "duplicates_syntactic": counts.get("syntactic", 0),
        "duplicates_functional": counts.get("functional", 0),
        "seconds_saved": seconds,
        "audits": audits,
        "collisions": collisions,
        "collision_rate": collisions / audits if audits else None,
    }


def _audit_totals(session: Session, run_id: int) -> tuple[int, int]:
    """(audits, collisions): a collision's status or score differs from its original's."""
    original = aliased(ProgramRow)
    audit = aliased(ProgramRow)
    a, o = col(audit.score), col(original.score)
    larger = case((func.abs(a) > func.abs(o), func.abs(a)), else_=func.abs(o))
    differs = or_(
        col(audit.status) != col(original.status),
        and_(a.is_(None), o.is_not(None)),
        and_(a.is_not(None), o.is_(None)),
        func.abs(a - o) > COLLISION_TOLERANCE * larger,
    )
    query = (
        select(func.count(), func.coalesce(func.sum(case((differs, 1), else_=0)), 0))
        .join(original, col(original.id) == col(audit.duplicate_of))
        .where(audit.run_id == run_id, audit.duplicate_kind == "functional_audit")
    )
    audits, collisions = session.exec(query).one()
    return int(audits), int(collisions)
