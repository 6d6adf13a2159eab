"""How a run got where it is: its best score over time and a program's line of ancestors.

Both are single SQL statements (a window function, a recursive CTE), so neither loads a
run into memory whatever its size.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, literal
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from archive.tables import LineageRow, ProgramRow, utc

__all__ = ["best_over_time", "lineage_ids"]


def best_over_time(session: Session, run_id: int) -> list[tuple[datetime, int, float]]:
    """Each new best "ok" program of the run, in id order: (created_at, id, score).

    A program is a new best when its score beats every earlier one (ties do not count).
    """
    earlier_best = (
        func.max(ProgramRow.score)
        .over(order_by=col(ProgramRow.id), rows=(None, -1))
        .label("earlier_best")
    )
    scored = (
        select(col(ProgramRow.id), col(ProgramRow.created_at), col(ProgramRow.score), earlier_best)
        .where(ProgramRow.run_id == run_id, ProgramRow.status == "ok")
        .where(col(ProgramRow.score).is_not(None))
        .subquery()
    )
    query = (
        select(scored.c.created_at, scored.c.id, scored.c.score)
        .where((scored.c.earlier_best.is_(None)) | (scored.c.score > scored.c.earlier_best))
        .order_by(scored.c.id)
    )
    return [(utc(when), int(i), float(score)) for when, i, score in session.execute(query)]


def lineage_ids(session: Session, program_id: int) -> list[int]:
    """Ids from `program_id` back to its seed, following each program's LAST parent.

    The engine lists parents best-last, and the last one is the program the LLM improved.
    Parents are older than their children, so the chain always ends.
    """
    chain = select(literal(program_id).label("id"), literal(0).label("depth")).cte(
        "chain", recursive=True
    )
    edge = aliased(LineageRow)
    later = aliased(LineageRow)
    last_parent: Any = (
        select(later.child_id)
        .where(later.child_id == edge.child_id, later.position > edge.position)
        .exists()
    )
    step = (
        select(edge.parent_id, chain.c.depth + 1)
        .join(chain, col(edge.child_id) == chain.c.id)
        .where(~last_parent)
    )
    chain = chain.union_all(step)
    rows = session.execute(select(chain.c.id).order_by(chain.c.depth))
    return [int(row_id) for (row_id,) in rows]
