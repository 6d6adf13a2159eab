"""The archive's SQLModel tables and their conversion to frozen records.

Portable SQL only (SQLite and PostgreSQL): JSON columns use SQLAlchemy's JSON type, times
are stored in UTC. `lineage` repeats `programs.parent_ids` as one indexed row per edge so
that "children of these programs" is an index lookup on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel

from archive.records import LLMCallRecord, ProgramRecord, RunRecord

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "LLMCallRow",
    "LineageRow",
    "MetaRow",
    "ProgramRow",
    "RunRow",
    "call_record",
    "program_record",
    "run_record",
    "utc",
    "utc_now",
]

SCHEMA_VERSION = 2
"""Bump with a migration (archive/migrations.py) whenever a table changes;
`meta.schema_version` holds it. 2: `programs.duplicate_kind` and three indexes."""


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _json(default: Any = None) -> Any:
    factory = dict if default is None else default
    return Field(default_factory=factory, sa_column=Column(JSON, nullable=False))


def _time() -> Any:
    return Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class MetaRow(SQLModel, table=True):
    """Key/value facts about the archive itself (`schema_version`)."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True)
    value: str


class RunRow(SQLModel, table=True):
    __tablename__ = "runs"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    problem: str
    config: dict[str, Any] = _json()
    seed: int
    status: str = "running"
    state: dict[str, Any] = _json()
    created_at: datetime = _time()
    updated_at: datetime = _time()


class LLMCallRow(SQLModel, table=True):
    __tablename__ = "llm_calls"
    __table_args__ = (
        Index("ix_llm_calls_run_id_id", "run_id", "id"),
        Index("ix_llm_calls_run_id_prompt_hash", "run_id", "prompt_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id")
    model: str
    messages: list[dict[str, str]] = _json(list)
    prompt_hash: str
    reply: str = Field(sa_type=Text)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    error: str = Field(default="", sa_type=Text)
    error_kind: str = ""
    created_at: datetime = _time()


class ProgramRow(SQLModel, table=True):
    __tablename__ = "programs"
    __table_args__ = (
        Index("ix_programs_run_id_id", "run_id", "id"),
        Index("ix_programs_run_id_score", "run_id", "score"),
        # duplicate_kind last: twin lookups (kind "") match three columns, so SQLite picks
        # these over ix_programs_run_id_duplicate_kind even without ANALYZE statistics.
        Index("ix_programs_run_id_syntactic_hash", "run_id", "syntactic_hash", "duplicate_kind"),
        Index("ix_programs_run_id_functional_hash", "run_id", "functional_hash", "duplicate_kind"),
        # Summaries count by status and find duplicates and audits without reading rows:
        Index("ix_programs_run_id_status_error_kind", "run_id", "status", "error_kind"),
        Index("ix_programs_run_id_duplicate_kind", "run_id", "duplicate_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id")
    source: str = Field(sa_type=Text)
    parent_ids: list[int] = _json(list)
    island: int | None = None
    status: str
    score: float | None = None
    scores: dict[str, float] = _json()
    metrics: dict[str, float] = _json()
    error: str = Field(default="", sa_type=Text)
    error_kind: str = ""
    syntactic_hash: str
    functional_hash: str | None = None
    duplicate_of: int | None = Field(default=None, foreign_key="programs.id")
    llm_call_id: int | None = Field(default=None, foreign_key="llm_calls.id")
    eval_s: float = 0.0
    created_at: datetime = _time()
    duplicate_kind: str = Field(default="", sa_column_kwargs={"server_default": ""})


class LineageRow(SQLModel, table=True):
    """One parent -> child edge (a copy of `programs.parent_ids`, for indexed lookups)."""

    __tablename__ = "lineage"
    __table_args__ = (Index("ix_lineage_parent_id_child_id", "parent_id", "child_id"),)

    child_id: int = Field(foreign_key="programs.id", primary_key=True)
    position: int = Field(primary_key=True)
    parent_id: int = Field(foreign_key="programs.id")


TABLES = [
    SQLModel.metadata.tables[row.__tablename__]
    for row in (MetaRow, RunRow, LLMCallRow, ProgramRow, LineageRow)
]
"""The archive's tables, in creation order (created explicitly: other code may share
`SQLModel.metadata`)."""


def run_record(row: RunRow) -> RunRecord:
    assert row.id is not None
    return RunRecord(
        id=row.id,
        name=row.name,
        problem=row.problem,
        config=dict(row.config),
        seed=row.seed,
        status=row.status,
        state=dict(row.state),
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
    )


def program_record(row: ProgramRow) -> ProgramRecord:
    assert row.id is not None
    return ProgramRecord(
        id=row.id,
        run_id=row.run_id,
        source=row.source,
        parent_ids=tuple(row.parent_ids),
        island=row.island,
        status=row.status,
        score=row.score,
        scores=dict(row.scores),
        metrics=dict(row.metrics),
        error=row.error,
        error_kind=row.error_kind,
        syntactic_hash=row.syntactic_hash,
        functional_hash=row.functional_hash,
        duplicate_of=row.duplicate_of,
        llm_call_id=row.llm_call_id,
        eval_s=row.eval_s,
        created_at=utc(row.created_at),
        duplicate_kind=row.duplicate_kind,
    )


def call_record(row: LLMCallRow) -> LLMCallRecord:
    assert row.id is not None
    return LLMCallRecord(
        id=row.id,
        run_id=row.run_id,
        model=row.model,
        messages=[dict(m) for m in row.messages],
        prompt_hash=row.prompt_hash,
        reply=row.reply,
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        cost_usd=row.cost_usd,
        latency_s=row.latency_s,
        error=row.error,
        error_kind=row.error_kind,
        created_at=utc(row.created_at),
    )
