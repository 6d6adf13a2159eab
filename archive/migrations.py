"""Upgrading an archive written by an older version of the schema, in place.

One function per step (`STEPS[n]` takes schema n to n + 1), each portable DDL for SQLite
and PostgreSQL. `upgrade` runs the steps and records the new version in the caller's
transaction, so an interrupted upgrade leaves the archive as it was (both databases have
transactional DDL). Old-schema archives are built by the tests as upgrade fixtures.
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


def _index(name: str) -> Index:
    table = SQLModel.metadata.tables[ProgramRow.__tablename__]
    return next(index for index in table.indexes if index.name == name)


STEPS: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3}
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
