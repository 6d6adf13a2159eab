"""The `Archive` interface, run against every backend of the `archive` fixture.

Backends: SQLite (a temporary file) always; PostgreSQL too when EVOLVE_TEST_POSTGRES_URL
names an empty scratch database (e.g. postgresql+psycopg://postgres@localhost/evolve_test,
with psycopg installed): the fixture drops the archive's tables before and after each test.
SQLite-only behaviour (files, WAL, schema fixtures) is in test_archive_database.py.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from archive import (
    Archive,
    ArchiveError,
    NewLLMCall,
    NewProgram,
    ProgramRecord,
    prompt_hash,
    syntactic_hash,
)
from archive.tables import TABLES

POSTGRES_URL = os.environ.get("EVOLVE_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _drop_tables(url: str) -> None:
    engine = create_engine(url)
    SQLModel.metadata.drop_all(engine, tables=TABLES)
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    url = f"sqlite:///{tmp_path / 'archive.db'}" if request.param == "sqlite" else POSTGRES_URL
    if request.param == "postgresql":
        _drop_tables(url)
    with Archive(url) as opened:
        yield opened
    if request.param == "postgresql":
        _drop_tables(url)


@pytest.fixture
def run_id(archive: Archive) -> int:
    return archive.create_run("r1", "bin_packing", {"model": "builtin:mutate"}, 7).id


def add(archive: Archive, run_id: int, **fields: object) -> ProgramRecord:
    fields.setdefault("source", "x = 1")
    return archive.add_program(run_id, NewProgram(**fields))  # type: ignore[arg-type]


def messages(prompt: str = "improve priority") -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}]


def call(reply: str = "reply", /, prompt: str = "improve priority", **fields: object) -> NewLLMCall:
    return NewLLMCall(model="m", messages=messages(prompt), reply=reply, **fields)  # type: ignore[arg-type]


# -- runs -----------------------------------------------------------------------------


def test_create_and_get_run(archive: Archive) -> None:
    config = {"llm": {"models": ["a", "b"], "weights": [0.5, 0.5]}, "budget": None}
    run = archive.create_run("r1", "tsp", config, 42)
    assert (run.name, run.problem, run.config, run.seed) == ("r1", "tsp", config, 42)
    assert run.status == "running" and run.state == {}
    assert run.created_at.utcoffset() == timedelta(0)  # aware, in UTC
    assert abs(datetime.now(UTC) - run.created_at) < timedelta(minutes=1)
    assert archive.get_run("r1") == run == archive.get_run(run.id) == archive.get_run(str(run.id))
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.status = "finished"  # type: ignore[misc]


def test_list_runs_oldest_first(archive: Archive) -> None:
    for name in ("b", "a", "c"):
        archive.create_run(name, "tsp", {}, 0)
    assert [run.name for run in archive.list_runs()] == ["b", "a", "c"]


def test_duplicate_run_name_says_what_to_do(archive: Archive, run_id: int) -> None:
    with pytest.raises(ArchiveError, match=r"run 'r1' exists; use --resume r1 or another"):
        archive.create_run("r1", "tsp", {}, 0)


def test_missing_run_points_to_evolve_runs(archive: Archive) -> None:
    with pytest.raises(ArchiveError, match=r"no run 'nope' .*evolve runs"):
        archive.get_run("nope")
    with pytest.raises(ArchiveError, match="no run 99"):
        archive.get_run(99)


def test_update_run(archive: Archive, run_id: int) -> None:
    before = archive.get_run(run_id)
    state = {"random": [3, [1, 2, 3], None], "islands": {"0": [1, 2]}}
    updated = archive.update_run(run_id, status="interrupted", state=state)
    assert (updated.status, updated.state) == ("interrupted", state)
    assert updated.updated_at >= before.updated_at
    assert archive.get_run(run_id) == updated
    assert archive.update_run(run_id, status="finished").state == state
    with pytest.raises(ArchiveError, match="unknown run status 'done'"):
        archive.update_run(run_id, status="done")
    with pytest.raises(ArchiveError, match="no run 99"):
        archive.update_run(99, status="failed")


# -- programs and calls -----------------------------------------------------------------


def test_add_program_with_its_llm_call(archive: Archive, run_id: int) -> None:
    seed = add(archive, run_id, score=1.0)
    child = archive.add_program(
        run_id,
        NewProgram(
            source="def f(x):\n    return x + 1\n",
            parent_ids=(seed.id,),
            island=2,
            score=2.5,
            scores={"or1": 2.0, "or2": 3.0},
            metrics={"bins": 12.0},
            functional_hash="fh",
            eval_s=0.25,
        ),
        call(prompt_tokens=10, completion_tokens=5, cost_usd=0.01, latency_s=1.5),
    )
    assert archive.get_program(child.id) == child
    assert (child.parent_ids, child.island, child.scores) == (
        (seed.id,),
        2,
        {"or1": 2.0, "or2": 3.0},
    )
    assert (child.metrics, child.functional_hash, child.eval_s) == ({"bins": 12.0}, "fh", 0.25)
    assert isinstance(child.created_at, datetime)
    assert seed.is_seed and not child.is_seed
    stored = archive.get_llm_call(child.llm_call_id or 0)
    assert (stored.run_id, stored.model, stored.reply, stored.error) == (run_id, "m", "reply", "")
    assert stored.messages == [{"role": "user", "content": "improve priority"}]
    assert (stored.prompt_tokens, stored.completion_tokens) == (10, 5)
    assert (stored.cost_usd, stored.latency_s) == (0.01, 1.5)


def test_hashes_are_computed_when_not_given(archive: Archive, run_id: int) -> None:
    program = archive.add_program(run_id, NewProgram(source="y = 2  # two"), call())
    assert program.syntactic_hash == syntactic_hash("y = 2")
    stored = archive.get_llm_call(program.llm_call_id or 0)
    assert stored.prompt_hash == prompt_hash(stored.messages)
    digest = prompt_hash(messages("p1"))
    assert archive.add_llm_call(run_id, call(prompt="p1", prompt_hash=digest)).prompt_hash == digest
    with pytest.raises(ValueError, match="prompt_hash 'p1' is not the hash of the messages"):
        call(prompt_hash="p1")  # prompts are stored by their hash: it must be theirs


def test_json_round_trip_keeps_unicode_and_nesting(archive: Archive, run_id: int) -> None:
    messages = [{"role": "system", "content": "Σ ≤ 1 — «ok» 🙂"}, {"role": "user", "content": ""}]
    stored = archive.add_llm_call(run_id, NewLLMCall(model="m", messages=messages))
    assert archive.get_llm_call(stored.id).messages == messages
    program = add(archive, run_id, scores={"é": -0.5, "1e3": 1e300})
    assert archive.get_program(program.id).scores == {"é": -0.5, "1e3": 1e300}


def test_values_that_are_not_json_are_refused(archive: Archive, run_id: int) -> None:
    with pytest.raises(ArchiveError, match=r"not JSON data \(Object of type datetime"):
        add(archive, run_id, metrics={"when": datetime.now()})
    with pytest.raises(ArchiveError, match="not JSON data"):
        add(archive, run_id, scores={"or1": float("inf")})
    with pytest.raises(ArchiveError, match="not JSON data"):
        archive.create_run("r2", "tsp", {"path": Path(".")}, 0)
    assert archive.summary(run_id).programs == 0
    assert [run.name for run in archive.list_runs()] == ["r1"]


def test_add_program_is_one_transaction(archive: Archive, run_id: int) -> None:
    with pytest.raises(ArchiveError, match="program refused"):
        archive.add_program(run_id, NewProgram(source="x = 2", parent_ids=(12345,)), call())
    summary = archive.summary(run_id)
    assert (summary.programs, summary.llm_calls) == (0, 0)


def test_writes_to_a_missing_run_are_refused(archive: Archive) -> None:
    with pytest.raises(ArchiveError, match="run 99"):
        add(archive, 99)
    with pytest.raises(ArchiveError, match="run 99"):
        archive.add_llm_call(99, call())


def test_missing_program_and_call(archive: Archive, run_id: int) -> None:
    with pytest.raises(ArchiveError, match="no program 5"):
        archive.get_program(5)
    with pytest.raises(ArchiveError, match="no LLM call 5"):
        archive.get_llm_call(5)


def test_get_programs_in_the_order_given(archive: Archive, run_id: int) -> None:
    ids = [add(archive, run_id, source=f"x = {i}").id for i in range(5)]
    wanted = [ids[3], ids[0], ids[3], ids[4]]
    assert [p.id for p in archive.get_programs(wanted)] == wanted
    assert archive.get_programs([]) == []
    with pytest.raises(ArchiveError, match=r"no programs \[999\]"):
        archive.get_programs([ids[0], 999])


def test_new_program_rejects_a_non_finite_score() -> None:
    with pytest.raises(ValueError, match="finite"):
        NewProgram(source="x = 1", score=float("nan"))


# -- queries --------------------------------------------------------------------------------


def test_find_by_syntactic_hash(archive: Archive, run_id: int) -> None:
    first = add(archive, run_id, status="duplicate", syntactic_hash="h")
    second = add(archive, run_id, status="error", syntactic_hash="h")
    add(archive, run_id, syntactic_hash="h")
    other_run = archive.create_run("r2", "tsp", {}, 0).id
    add(archive, other_run, syntactic_hash="g")
    assert first.id < second.id
    assert archive.find_by_syntactic_hash(run_id, "h") == second
    assert archive.find_by_syntactic_hash(run_id, "g") is None
    assert archive.find_by_syntactic_hash(run_id, "missing") is None


def test_top_programs_by_score_then_age(archive: Archive, run_id: int) -> None:
    ids = {}
    for name, score, status in [
        ("a", 1.0, "ok"),
        ("b", 3.0, "ok"),
        ("c", 9.0, "invalid"),
        ("d", None, "ok"),
        ("e", 3.0, "ok"),
        ("f", -2.0, "ok"),
    ]:
        ids[name] = add(archive, run_id, source=f"{name} = 1", score=score, status=status).id
    add(archive, archive.create_run("r2", "tsp", {}, 0).id, score=100.0)
    top = [p.id for p in archive.top_programs(run_id, k=10)]
    assert top == [ids["b"], ids["e"], ids["a"], ids["f"]]
    assert [p.id for p in archive.top_programs(run_id, k=2)] == [ids["b"], ids["e"]]


def test_iter_programs_streams_in_batches(archive: Archive, run_id: int) -> None:
    ids = [add(archive, run_id, source=f"x = {i}").id for i in range(25)]
    add(archive, archive.create_run("r2", "tsp", {}, 0).id)
    assert [p.id for p in archive.iter_programs(run_id, batch=10)] == ids
    assert [p.id for p in archive.iter_programs(run_id, batch=25)] == ids
    stream = archive.iter_programs(run_id, batch=10)
    seen = [next(stream).id for _ in range(10)]  # one batch read, nothing held open
    later = add(archive, run_id, source="late = 1").id
    assert seen + [p.id for p in stream] == [*ids, later]
    with pytest.raises(ValueError, match="batch"):
        archive.iter_programs(run_id, batch=0)


def test_recent_failures_of_parents(archive: Archive, run_id: int) -> None:
    p1, p2, other = (add(archive, run_id, source=f"p{i} = 1").id for i in range(3))
    old = add(archive, run_id, parent_ids=(p1,), status="error", error="ZeroDivisionError")
    add(archive, run_id, parent_ids=(p1,), status="ok", score=1.0)
    add(archive, run_id, parent_ids=(p1,), status="duplicate")
    add(archive, run_id, parent_ids=(other,), status="timeout")
    both = add(archive, run_id, parent_ids=(p1, p2), status="patch_error")
    new = add(archive, run_id, parent_ids=(p2,), status="timeout", error_kind="sandbox:timeout")
    assert [p.id for p in archive.recent_failures(run_id, [p1, p2])] == [new.id, both.id, old.id]
    assert [p.id for p in archive.recent_failures(run_id, [p1], limit=1)] == [both.id]
    assert archive.recent_failures(run_id, []) == []


def test_replies_for_a_prompt_in_call_order(archive: Archive, run_id: int) -> None:
    archive.add_llm_call(run_id, call("first", prompt="p"))
    archive.add_llm_call(run_id, call("", prompt="p", error="429", error_kind="llm:rate"))
    add(archive, run_id)
    archive.add_program(run_id, NewProgram(source="x = 3"), call("second", prompt="p"))
    archive.add_llm_call(run_id, call("other", prompt="q"))
    archive.add_llm_call(archive.create_run("r2", "tsp", {}, 0).id, call("x", prompt="p"))
    assert archive.replies_for(run_id, prompt_hash(messages("p"))) == ["first", "second"]
    assert archive.replies_for(run_id, "none") == []


def test_summary_counts(archive: Archive, run_id: int) -> None:
    usage: dict[str, object] = {"prompt_tokens": 100, "completion_tokens": 20, "cost_usd": 0.5}
    seed = add(archive, run_id, score=1.0)
    best = archive.add_program(run_id, NewProgram(source="b = 1", score=4.0), call(**usage))
    archive.add_program(run_id, NewProgram(source="b = 1", status="duplicate"), call(**usage))
    for status, kind in [("error", "sandbox:error"), ("timeout", "sandbox:timeout"),
                         ("timeout", "sandbox:timeout"), ("patch_error", "patch:no_code"),
                         ("invalid", "")]:  # fmt: skip
        add(archive, run_id, parent_ids=(seed.id,), status=status, error_kind=kind)
    archive.add_llm_call(run_id, call("", error="timed out", error_kind="llm:timeout", **usage))
    archive.add_llm_call(run_id, call("", error="boom"))
    summary = archive.summary(run_id)
    assert (summary.programs, summary.duplicates, summary.evaluations) == (8, 1, 6)
    assert (summary.best_score, summary.best_program_id) == (4.0, best.id)
    assert (summary.llm_calls, summary.prompt_tokens, summary.completion_tokens) == (4, 300, 60)
    assert summary.cost_usd == pytest.approx(1.5)
    assert summary.errors == {
        "sandbox:error": 1,
        "sandbox:timeout": 2,
        "patch:no_code": 1,
        "invalid": 1,
        "llm:timeout": 1,
        "llm_error": 1,
    }


def test_summary_of_an_empty_and_a_missing_run(archive: Archive, run_id: int) -> None:
    summary = archive.summary(run_id)
    assert (summary.programs, summary.evaluations, summary.llm_calls) == (0, 0, 0)
    assert (summary.best_score, summary.best_program_id, summary.errors) == (None, None, {})
    assert summary.cost_usd == 0.0
    with pytest.raises(ArchiveError, match="no run 99"):
        archive.summary(99)


def test_records_are_frozen_copies(archive: Archive, run_id: int) -> None:
    program = add(archive, run_id, scores={"a": 1.0})
    program.scores["a"] = 5.0
    assert archive.get_program(program.id).scores == {"a": 1.0}
    with pytest.raises(dataclasses.FrozenInstanceError):
        program.score = 3.0  # type: ignore[misc]


def test_a_closed_archive_says_so(archive: Archive) -> None:
    archive.close()
    with pytest.raises(ArchiveError, match="closed"):
        archive.list_runs()
