"""One field list: records, `New*` values and tables agree, and every field round-trips."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlmodel import SQLModel

from archive import (
    Archive,
    ArchiveError,
    LLMCallRecord,
    NewLLMCall,
    NewProgram,
    NewValidation,
    ProgramRecord,
    RunRecord,
    ValidationRecord,
)
from archive.tables import LLMCallRow, ProgramRow, RunRow, ValidationRow
from tests import test_archive_storage as backends
from tests.test_archive_storage import add, messages

archive = backends.archive  # the same backend-parametrized fixtures
run_id = backends.run_id


def _names(kind: Any) -> set[str]:
    return {field.name for field in dataclasses.fields(kind)}


def _values(record: object, kind: Any) -> dict[str, Any]:
    """The record's values of the fields of `kind` (a `New*` class)."""
    return {name: getattr(record, name) for name in _names(kind)}


def _columns(row: type[SQLModel]) -> set[str]:
    return set(SQLModel.metadata.tables[str(row.__tablename__)].columns.keys())


LEASE_COLUMNS = {"lease_token", "lease_host", "lease_pid", "lease_since", "lease_expires_at"}


@pytest.mark.parametrize(
    ("row", "record", "new", "not_columns", "not_fields"),
    [
        (ProgramRow, ProgramRecord, NewProgram, set(), set()),
        (LLMCallRow, LLMCallRecord, NewLLMCall, {"messages"}, set()),  # messages: `prompts`
        (ValidationRow, ValidationRecord, NewValidation, set(), {"id"}),
        (RunRow, RunRecord, None, {"lease"}, LEASE_COLUMNS),  # lease: the lease_* columns
    ],
)
def test_records_and_new_values_have_the_columns_of_their_table(
    row: type[SQLModel], record: type, new: type | None, not_columns: set[str], not_fields: set[str]
) -> None:
    """A column added to a table and not to its record (or the reverse) fails here; the
    conversions themselves read these field lists (archive/tables.py)."""
    assert _names(record) - not_columns == _columns(row) - not_fields
    if new is not None:
        assert _names(new) - not_columns <= _names(record)


def _every_field_set(archive: Archive, run_id: int) -> NewProgram:
    """A program whose every field differs from its default."""
    seed = add(archive, run_id, score=1.0)
    return NewProgram(
        source="def f(x):\n    return x + 2\n",
        parent_ids=(seed.id, seed.id),
        island=3,
        status="duplicate",
        score=1.5,
        scores={"a": 1.0},
        metrics={"m": 2.0},
        error="e",
        error_kind="k",
        syntactic_hash="s" * 8,
        functional_hash="f" * 8,
        duplicate_of=seed.id,
        eval_s=0.5,
        duplicate_kind="functional",
    )


def test_every_field_of_a_program_and_its_call_round_trips(archive: Archive, run_id: int) -> None:
    new = _every_field_set(archive, run_id)
    defaults = NewProgram(source="")
    changed = [f.name for f in dataclasses.fields(NewProgram) if f.name != "source"]
    assert all(getattr(new, name) != getattr(defaults, name) for name in changed)
    call = NewLLMCall(
        "m", messages("p"), "r", "", 1, 2, 0.5, 1.5, "boom", "llm:timeout", kind="llm"
    )
    stored = archive.add_program(run_id, new, call)
    for record in (stored, archive.get_program(stored.id)):
        assert _values(record, NewProgram) == dataclasses.asdict(new)
        assert record.run_id == run_id and record.llm_call_id is not None
    stored_call = archive.get_llm_call(stored.llm_call_id or 0)
    assert _values(stored_call, NewLLMCall) == dataclasses.asdict(call)


def test_every_field_of_a_validation_round_trips(archive: Archive, run_id: int) -> None:
    program = add(archive, run_id)
    new = NewValidation(program.id, "invalid", 2.5, {"a": 1.0}, {"m": 3.0}, "e", "k", 0.25, "x", 9)
    stored = archive.add_validation(run_id, new)
    for record in (stored, archive.validations(run_id)[program.id]):
        assert _values(record, NewValidation) == dataclasses.asdict(new)


@dataclasses.dataclass(frozen=True)
class _Extended(NewProgram):
    """A `NewProgram` with a field its table lacks (a column forgotten in a schema change)."""

    extra: int = 1


def test_a_field_without_a_column_is_refused_not_dropped(archive: Archive, run_id: int) -> None:
    with pytest.raises((TypeError, ArchiveError), match=r"no column \['extra'\] in programs"):
        archive.add_program(run_id, _Extended(source="x = 1"))
    assert archive.summary(run_id).programs == 0
