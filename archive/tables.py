"""The archive's SQLModel tables and their conversion to frozen records and back.

A record's fields and a `New*` value's fields are the columns of the same name: the
conversions read the field lists of the dataclasses (see `_record` and `_row`), so a new
column is added to the table and to the dataclasses, and to nothing else.

Portable SQL only (SQLite and PostgreSQL): JSON columns use SQLAlchemy's JSON type, times
are stored in UTC. `lineage` repeats `programs.parent_ids` as one indexed row per edge so
that "children of these programs" is an index lookup on both databases. `prompts` holds
each prompt's messages once, by hash: calls with the same prompt share one row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, TypeVar, get_origin, get_type_hints

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Text, text
from sqlmodel import Field, SQLModel

from archive.hashing import syntactic_hash
from archive.records import (
    LeaseOwner,
    LLMCallRecord,
    NewLLMCall,
    NewProgram,
    NewValidation,
    ProgramRecord,
    RunLease,
    RunRecord,
    ValidationRecord,
)

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "LLMCallRow",
    "LineageRow",
    "MetaRow",
    "ProgramRow",
    "PromptRow",
    "RunRow",
    "ValidationRow",
    "call_record",
    "call_row",
    "program_record",
    "program_row",
    "run_record",
    "utc",
    "utc_now",
    "validation_record",
    "validation_row",
]

SCHEMA_VERSION = 4
"""Bump with a migration (archive/migrations.py) whenever a table changes;
`meta.schema_version` holds it. 2: `programs.duplicate_kind` and three indexes.
3: `runs.draw_seeds` and the `validations` table. 4: the `prompts` table (for
`llm_calls.messages`), `llm_calls.kind` and the lease columns `runs.lease_*`."""


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
    # {split: seed} of the splits drawn from a secret seed (see RunRecord.draw_seeds)
    draw_seeds: dict[str, int] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False, server_default=text("'{}'")),
    )
    # The process running the run (all NULL when none): see archive/leases.py
    lease_token: str | None = None
    lease_host: str | None = None
    lease_pid: int | None = None
    lease_since: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    lease_expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class PromptRow(SQLModel, table=True):
    """A prompt's messages, stored once whatever the number of calls that sent it."""

    __tablename__ = "prompts"

    hash: str = Field(primary_key=True)  # archive.hashing.prompt_hash of the messages
    messages: list[dict[str, str]] = _json(list)


class LLMCallRow(SQLModel, table=True):
    __tablename__ = "llm_calls"
    __table_args__ = (
        Index("ix_llm_calls_run_id_id", "run_id", "id"),
        Index("ix_llm_calls_run_id_prompt_hash", "run_id", "prompt_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id")
    model: str
    # the messages are in `prompts` (kind "llm"), or nowhere (a "mutator" step)
    prompt_hash: str
    reply: str = Field(sa_type=Text)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    error: str = Field(default="", sa_type=Text)
    error_kind: str = ""
    created_at: datetime = _time()
    kind: str = Field(default="llm", sa_column_kwargs={"server_default": "llm"})


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


class ValidationRow(SQLModel, table=True):
    """A program re-validated on the held-out test split (one row per run and program)."""

    __tablename__ = "validations"
    __table_args__ = (
        Index("ix_validations_run_id_program_id", "run_id", "program_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id")
    program_id: int = Field(foreign_key="programs.id")
    split: str = "test"
    draw_seed: int | None = Field(default=None, sa_type=BigInteger)
    status: str
    score: float | None = None
    scores: dict[str, float] = _json()
    metrics: dict[str, float] = _json()
    error: str = Field(default="", sa_type=Text)
    error_kind: str = ""
    eval_s: float = 0.0
    created_at: datetime = _time()


TABLES = [
    SQLModel.metadata.tables[row.__tablename__]
    for row in (MetaRow, RunRow, PromptRow, LLMCallRow, ProgramRow, LineageRow, ValidationRow)
]
"""The archive's tables, in creation order (created explicitly: other code may share
`SQLModel.metadata`)."""


def run_record(row: RunRow) -> RunRecord:
    draw_seeds = {str(k): int(v) for k, v in (row.draw_seeds or {}).items()}
    return _record(RunRecord, row, draw_seeds=draw_seeds, lease=_lease(row))


def _lease(row: RunRow) -> RunLease | None:
    if row.lease_token is None or row.lease_since is None or row.lease_expires_at is None:
        return None
    owner = LeaseOwner(row.lease_host or "", row.lease_pid or 0, row.lease_token)
    return RunLease(owner, utc(row.lease_since), utc(row.lease_expires_at))


def program_record(row: ProgramRow) -> ProgramRecord:
    return _record(ProgramRecord, row)


def call_record(row: LLMCallRow, messages: list[dict[str, str]] | None) -> LLMCallRecord:
    """The record of a call; `messages` from its `prompts` row (None: none stored)."""
    return _record(LLMCallRecord, row, messages=[dict(m) for m in messages or []])


def validation_record(row: ValidationRow) -> ValidationRecord:
    return _record(ValidationRecord, row)


def call_row(run_id: int, call: NewLLMCall) -> LLMCallRow:
    """The call's row; its messages go to `prompts` (see `archive.prompts`)."""
    return _row(LLMCallRow, call, skip={"messages"}, run_id=run_id)


def program_row(run_id: int, program: NewProgram, llm_call_id: int | None) -> ProgramRow:
    digest = program.syntactic_hash or syntactic_hash(program.source)
    return _row(ProgramRow, program, run_id=run_id, llm_call_id=llm_call_id, syntactic_hash=digest)


def validation_row(run_id: int, validation: NewValidation) -> ValidationRow:
    return _row(ValidationRow, validation, run_id=run_id)


# -- one field list: records and rows are converted by the record's field names ----------

_Record = TypeVar("_Record")
_Row = TypeVar("_Row", bound=SQLModel)


def _record(kind: type[_Record], row: SQLModel, **given: Any) -> _Record:
    """A `kind` record of the row: each field of `kind` not in `given` is the row's column
    of that name (times made UTC, JSON values copied, tuples where the record says so)."""
    if getattr(row, "id", 0) is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it before reading it")
    names, tuples = _fields(kind)
    values = {
        name: _record_value(getattr(row, name), name in tuples)
        for name in names
        if name not in given
    }
    return kind(**values, **given)


def _row(kind: type[_Row], new: Any, *, skip: Collection[str] = (), **given: Any) -> _Row:
    """A `kind` row of the `New*` value: each of its fields not in `skip` or `given` goes
    to the column of that name (JSON values copied, tuples as lists). A field with no
    column is an error, never silently dropped."""
    values = {
        name: _row_value(getattr(new, name))
        for name in _fields(type(new))[0]
        if name not in given and name not in skip
    }
    columns = SQLModel.metadata.tables[str(kind.__tablename__)].columns
    unknown = [name for name in (*values, *given) if name not in columns]
    if unknown:
        raise TypeError(f"{type(new).__name__}: no column {unknown} in {kind.__tablename__}")
    return kind(**values, **given)


def _record_value(value: Any, as_tuple: bool) -> Any:
    if isinstance(value, datetime):
        return utc(value)
    if as_tuple:
        return tuple(value)
    return _copy(value)


def _row_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return _copy(value)


def _copy(value: Any) -> Any:
    """JSON values are copied (one level, as records are handed out by the thousand)."""
    if isinstance(value, dict):
        return dict(value)
    return list(value) if isinstance(value, list) else value


_FIELDS: dict[type, tuple[tuple[str, ...], frozenset[str]]] = {}


def _fields(kind: type) -> tuple[tuple[str, ...], frozenset[str]]:
    """The field names of a dataclass, and those declared as tuples (cached per class)."""
    if kind not in _FIELDS:
        names = tuple(field.name for field in dataclasses.fields(kind))
        hints = get_type_hints(kind)
        _FIELDS[kind] = (names, frozenset(n for n in names if get_origin(hints[n]) is tuple))
    return _FIELDS[kind]
