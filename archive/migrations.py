"""Upgrading an archive written by an older version of the schema, in place.

One function per step (`STEPS[n]` takes schema n to n + 1), each portable DDL for SQLite
and PostgreSQL. Steps from version 4 on are frozen SQL: they name the old shape's tables
and columns themselves and never the live models, which go on changing. `upgrade` runs
the steps and records the new version in the caller's transaction, so an interrupted
upgrade leaves the archive as it was (both databases have transactional DDL). Old-schema
archives are built by the tests as upgrade fixtures.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Index, text, update
from sqlmodel import SQLModel, col

from archive.tables import SCHEMA_VERSION, MetaRow, ProgramRow, ValidationRow

__all__ = ["OLDEST_UPGRADABLE", "STEPS", "upgrade"]


def _v1_to_v2(connection: Connection) -> None:
    """`programs.duplicate_kind` (every v1 duplicate was syntactic) and its indexes."""
    connection.execute(
        text("ALTER TABLE programs ADD COLUMN duplicate_kind VARCHAR NOT NULL DEFAULT ''")
    )
    connection.execute(
        update(ProgramRow)
        .where(col(ProgramRow.status) == "duplicate")
        .values(duplicate_kind="syntactic")
    )
    connection.execute(text("DROP INDEX ix_programs_run_id_syntactic_hash"))
    for name in ("syntactic_hash", "functional_hash", "status_error_kind", "duplicate_kind"):
        _index(f"ix_programs_run_id_{name}").create(connection)


def _v2_to_v3(connection: Connection) -> None:
    """`runs.draw_seeds` ({} for older runs: fixed instances) and the `validations` table."""
    connection.execute(text("ALTER TABLE runs ADD COLUMN draw_seeds JSON NOT NULL DEFAULT '{}'"))
    SQLModel.metadata.tables[ValidationRow.__tablename__].create(connection)


_V4_TIME = {"sqlite": "DATETIME", "postgresql": "TIMESTAMP WITH TIME ZONE"}
_V4_PROMPTS = """
INSERT INTO prompts (hash, messages)
SELECT prompt_hash, messages FROM llm_calls
WHERE id IN (SELECT MIN(id) FROM llm_calls WHERE model <> 'builtin:mutate' GROUP BY prompt_hash)
"""


def _v3_to_v4(connection: Connection) -> None:
    """Prompts once by hash in `prompts` (none for builtin:mutate, which never read
    them), `llm_calls.kind` ("mutator" for builtin:mutate) and the lease columns."""
    connection.execute(
        text("CREATE TABLE prompts (hash VARCHAR NOT NULL PRIMARY KEY, messages JSON NOT NULL)")
    )
    connection.execute(text(_V4_PROMPTS))
    connection.execute(text("ALTER TABLE llm_calls ADD COLUMN kind VARCHAR NOT NULL DEFAULT 'llm'"))
    connection.execute(text("UPDATE llm_calls SET kind = 'mutator' WHERE model = 'builtin:mutate'"))
    connection.execute(text("ALTER TABLE llm_calls DROP COLUMN messages"))
    time = _V4_TIME[connection.dialect.name]
    for column, kind in (
        ("token", "VARCHAR"),
        ("host", "VARCHAR"),
        ("pid", "INTEGER"),
        ("since", time),
        ("expires_at", time),
    ):
        connection.execute(text(f"ALTER TABLE runs ADD COLUMN lease_{column} {kind}"))


def _index(name: str) -> Index:
    table = SQLModel.metadata.tables[ProgramRow.__tablename__]
    return next(index for index in table.indexes if index.name == name)


STEPS: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}
"""STEPS[n] upgrades schema version n to n + 1."""

OLDEST_UPGRADABLE = min(STEPS)


def upgrade(connection: Connection, version: int) -> None:
    """Bring an archive from schema `version` to `SCHEMA_VERSION` (one transaction)."""
    for step in range(version, SCHEMA_VERSION):
        STEPS[step](connection)
    connection.execute(
        update(MetaRow)
        .where(col(MetaRow.key) == "schema_version")
        .values(value=str(SCHEMA_VERSION))
    )
