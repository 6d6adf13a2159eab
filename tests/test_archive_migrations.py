"""Schema upgrades are frozen SQL: each step's result is pinned here, on every backend.

The old archives are built with raw SQL by the downgrade helpers of
test_archive_duplicates.py (from a fresh archive, so the tables a step does not touch are
those of today). A step that read the live models would change with them; these tests
pin what each step must produce instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

from archive import SCHEMA_VERSION, Archive, NewProgram, NewValidation, migrations
from tests import test_archive_storage as backends
from tests.test_archive_duplicates import (
    _downgrade_to_v1,
    _downgrade_to_v2,
    _real_url,
    downgrade_to_v3,
)
from tests.test_archive_storage import add

archive = backends.archive  # the same backend-parametrized fixtures
run_id = backends.run_id

Shape = dict[str, dict[str, Any]]


def _shape(url: str) -> Shape:
    """{table: {"columns": {name: (type, nullable)}, "indexes": {name: (columns, unique)}}}."""
    engine = create_engine(url)
    found = inspect(engine)
    shape = {
        table: {
            "columns": {
                c["name"]: (str(c["type"]).split("(")[0], c["nullable"])
                for c in found.get_columns(table)
            },
            "indexes": {
                i["name"]: (tuple(i["column_names"]), bool(i["unique"]))
                for i in found.get_indexes(table)
            },
        }
        for table in found.get_table_names()
    }
    engine.dispose()
    return shape


def _step(url: str, version: int) -> None:
    """Run the one step from `version` (no version bump: that is `upgrade`'s)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        migrations.STEPS[version](connection)
    engine.dispose()


def _version(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(text("SELECT value FROM meta WHERE key = 'schema_version'"))
        version = str(value.scalar_one())
    engine.dispose()
    return version


V2_PROGRAM_INDEXES = {
    "ix_programs_run_id_id": (("run_id", "id"), False),
    "ix_programs_run_id_score": (("run_id", "score"), False),
    "ix_programs_run_id_syntactic_hash": (("run_id", "syntactic_hash", "duplicate_kind"), False),
    "ix_programs_run_id_functional_hash": (("run_id", "functional_hash", "duplicate_kind"), False),
    "ix_programs_run_id_status_error_kind": (("run_id", "status", "error_kind"), False),
    "ix_programs_run_id_duplicate_kind": (("run_id", "duplicate_kind"), False),
}
V3_VALIDATION_COLUMNS = [
    "id",
    "run_id",
    "program_id",
    "split",
    "draw_seed",
    "status",
    "score",
    "scores",
    "metrics",
    "error",
    "error_kind",
    "eval_s",
    "created_at",
]


def test_the_steps_name_no_live_model() -> None:
    """A step that used a SQLModel table would change whenever that table does."""
    models = [
        name
        for name, value in vars(migrations).items()
        if isinstance(value, type) and issubclass(value, SQLModel)
    ]
    assert models == []


def test_step_1_adds_duplicate_kind_and_the_v2_indexes(archive: Archive, run_id: int) -> None:
    seed = add(archive, run_id, score=1.0)
    add(archive, run_id, status="duplicate", score=1.0, duplicate_of=seed.id)
    url = _real_url(archive)
    archive.close()
    _downgrade_to_v1(url)
    v1 = _shape(url)
    assert "duplicate_kind" not in v1["programs"]["columns"]
    _step(url, 1)
    v2 = _shape(url)
    assert v2["programs"]["columns"] == v1["programs"]["columns"] | {
        "duplicate_kind": ("VARCHAR", False)
    }
    assert v2["programs"]["indexes"] == V2_PROGRAM_INDEXES
    assert {t: s for t, s in v2.items() if t != "programs"} == {
        t: s for t, s in v1.items() if t != "programs"
    }
    engine = create_engine(url)
    with engine.connect() as connection:
        kinds = connection.execute(text("SELECT duplicate_kind FROM programs ORDER BY id"))
        assert list(kinds.scalars()) == ["", "syntactic"]
    engine.dispose()


def test_step_2_adds_draw_seeds_and_the_v3_validations_table(archive: Archive, run_id: int) -> None:
    url = _real_url(archive)
    archive.close()
    _downgrade_to_v2(url)
    v2 = _shape(url)
    _step(url, 2)
    v3 = _shape(url)
    assert v3["runs"]["columns"] == v2["runs"]["columns"] | {"draw_seeds": ("JSON", False)}
    validations = v3.pop("validations")
    assert list(validations["columns"]) == V3_VALIDATION_COLUMNS
    nullable = {name for name, (_, null) in validations["columns"].items() if null}
    assert nullable == {"draw_seed", "score"}
    assert validations["columns"]["draw_seed"][0] == "BIGINT"  # seeds up to 2**63 - 1
    assert validations["indexes"] == {
        "ix_validations_run_id_program_id": (("run_id", "program_id"), True)
    }
    assert {t: s for t, s in v3.items() if t != "runs"} == {
        t: s for t, s in v2.items() if t != "runs"
    }


def test_a_version_1_archive_upgrades_to_the_schema_of_a_new_one(
    archive: Archive, run_id: int
) -> None:
    program = add(archive, run_id, score=1.0)
    url = _real_url(archive)
    fresh = _shape(url)
    archive.close()
    _downgrade_to_v1(url)
    with Archive(url) as upgraded:  # every step, in one transaction
        upgraded.add_validation(run_id, NewValidation(program.id, "ok", 2.0, draw_seed=3))
        new = upgraded.add_program(run_id, NewProgram(source="y = 2", parent_ids=(program.id,)))
        assert new.id > program.id
        assert upgraded.validations(run_id)[program.id].draw_seed == 3
    assert _version(url) == str(SCHEMA_VERSION)
    assert _shape(url) == fresh


def test_each_old_version_upgrades_to_the_schema_of_a_new_one(
    archive: Archive, run_id: int
) -> None:
    url = _real_url(archive)
    fresh = _shape(url)
    archive.close()
    for downgrade in (downgrade_to_v3, _downgrade_to_v2):
        downgrade(url)
        Archive(url).close()
        assert _shape(url) == fresh and _version(url) == str(SCHEMA_VERSION)
