"""Upgrading an archive written by an older version of the schema, in place.

One function per step (`STEPS[n]` takes schema n to n + 1), each frozen SQL valid on
SQLite and PostgreSQL: a step names the old shape's tables, columns and indexes itself and
never the live models (archive/tables.py), which go on changing, so an old step never
changes with them. `upgrade` runs the steps and records the new version in the caller's
transaction, so an interrupted upgrade leaves the archive as it was (both databases have
transactional DDL). Old-schema archives are built by the tests as upgrade fixtures.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, text

from archive.tables import SCHEMA_VERSION

__all__ = ["OLDEST_UPGRADABLE", "STEPS", "upgrade"]

_TIME = {"sqlite": "DATETIME", "postgresql": "TIMESTAMP WITH TIME ZONE"}
_SERIAL = {"sqlite": "INTEGER", "postgresql": "SERIAL"}  # an integer key numbered on insert

_V2_INDEXES = {
    "syntactic_hash": "run_id, syntactic_hash, duplicate_kind",
    "functional_hash": "run_id, functional_hash, duplicate_kind",
    "status_error_kind": "run_id, status, error_kind",
    "duplicate_kind": "run_id, duplicate_kind",
}


def _v1_to_v2(connection: Connection) -> None:
    """`programs.duplicate_kind` (every v1 duplicate was syntactic) and its indexes."""
    connection.execute(
        text("ALTER TABLE programs ADD COLUMN duplicate_kind VARCHAR NOT NULL DEFAULT ''")
    )
    connection.execute(
        text("UPDATE programs SET duplicate_kind = 'syntactic' WHERE status = 'duplicate'")
    )
    connection.execute(text("DROP INDEX ix_programs_run_id_syntactic_hash"))
    for name, columns in _V2_INDEXES.items():
        connection.execute(text(f"CREATE INDEX ix_programs_run_id_{name} ON programs ({columns})"))


_V3_VALIDATIONS = """
CREATE TABLE validations (
    id {serial} NOT NULL,
    run_id INTEGER NOT NULL,
    program_id INTEGER NOT NULL,
    split VARCHAR NOT NULL,
    draw_seed BIGINT,
    status VARCHAR NOT NULL,
    score FLOAT,
    scores JSON NOT NULL,
    metrics JSON NOT NULL,
    error TEXT NOT NULL,
    error_kind VARCHAR NOT NULL,
    eval_s FLOAT NOT NULL,
    created_at {time} NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (run_id) REFERENCES runs (id),
    FOREIGN KEY (program_id) REFERENCES programs (id)
)
"""


def _v2_to_v3(connection: Connection) -> None:
    """`runs.draw_seeds` ({} for older runs: fixed instances) and the `validations` table."""
    dialect = connection.dialect.name
    connection.execute(text("ALTER TABLE runs ADD COLUMN draw_seeds JSON NOT NULL DEFAULT '{}'"))
    connection.execute(text(_V3_VALIDATIONS.format(serial=_SERIAL[dialect], time=_TIME[dialect])))
    connection.execute(
        text(
            "CREATE UNIQUE INDEX ix_validations_run_id_program_id "
            "ON validations (run_id, program_id)"
        )
    )


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
    time = _TIME[connection.dialect.name]
    for column, kind in (
        ("token", "VARCHAR"),
        ("host", "VARCHAR"),
        ("pid", "INTEGER"),
        ("since", time),
        ("expires_at", time),
    ):
        connection.execute(text(f"ALTER TABLE runs ADD COLUMN lease_{column} {kind}"))


STEPS: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}
"""STEPS[n] upgrades schema version n to n + 1."""

OLDEST_UPGRADABLE = min(STEPS)


def upgrade(connection: Connection, version: int) -> None:
    """Bring an archive from schema `version` to `SCHEMA_VERSION` (one transaction)."""
    for step in range(version, SCHEMA_VERSION):
        STEPS[step](connection)
    connection.execute(
        text("UPDATE meta SET value = :version WHERE key = 'schema_version'"),
        {"version": str(SCHEMA_VERSION)},
    )
