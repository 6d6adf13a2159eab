"""Duplicates, lineage, the best score over time and schema upgrades, on every backend."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import create_engine, text

from archive import SCHEMA_VERSION, Archive, ArchiveError, NewProgram, NewValidation
from tests import test_archive_storage as backends
from tests.test_archive_storage import add

archive = backends.archive  # the same backend-parametrized fixtures
run_id = backends.run_id


def test_duplicate_kind_round_trips_and_unknown_kinds_are_refused(
    archive: Archive, run_id: int
) -> None:
    seed = add(archive, run_id, score=1.0)
    copy = add(
        archive, run_id, status="duplicate", duplicate_of=seed.id, duplicate_kind="functional"
    )
    assert archive.get_program(copy.id).duplicate_kind == "functional"
    assert seed.duplicate_kind == ""
    with pytest.raises(ValueError, match="duplicate_kind must be one of"):
        NewProgram(source="x", duplicate_kind="semantic")


def test_find_by_functional_hash_skips_duplicates_and_audits(archive: Archive, run_id: int) -> None:
    assert archive.find_by_functional_hash(run_id, "f") is None
    audit_first = add(
        archive, run_id, source="a", functional_hash="g", duplicate_kind="functional_audit"
    )
    first = add(archive, run_id, source="b", functional_hash="f", score=1.0)
    add(archive, run_id, source="c", functional_hash="f", status="duplicate",
        duplicate_of=first.id, duplicate_kind="functional")  # fmt: skip
    add(archive, run_id, source="d", functional_hash="f", score=2.0)
    assert archive.find_by_functional_hash(run_id, "f") == first
    assert archive.find_by_functional_hash(run_id, "g") is None  # only an audit has it
    assert audit_first.functional_hash == "g"
    other = archive.create_run("r2", "tsp", {}, 0).id
    assert archive.find_by_functional_hash(other, "f") is None


def test_different_programs_are_not_merged(archive: Archive, run_id: int) -> None:
    one = add(archive, run_id, source="def f(a, b):\n    return a - b", functional_hash="h1")
    two = add(archive, run_id, source="def f(a, b):\n    return b - a", functional_hash="h2")
    assert one.syntactic_hash != two.syntactic_hash
    assert archive.find_by_syntactic_hash(run_id, two.syntactic_hash) == two
    assert archive.find_by_functional_hash(run_id, "h2") == two


def _duplicates_run(archive: Archive, run_id: int) -> None:
    seed = add(archive, run_id, score=10.0, eval_s=2.0, functional_hash="s")
    slow = add(archive, run_id, source="y", score=-4.0, eval_s=5.0, functional_hash="t")
    failed = add(archive, run_id, source="z", status="error", eval_s=1.0, functional_hash="u")
    add(archive, run_id, source="x  = 1", status="duplicate", score=10.0, duplicate_of=seed.id,
        duplicate_kind="syntactic")  # saves 2.0 s  # fmt: skip
    for source, eval_s in [("a", 0.5), ("b", 7.0)]:  # saves 4.5 s, then 0 (slower than 5 s)
        add(archive, run_id, source=source, status="duplicate", score=-4.0, eval_s=eval_s,
            duplicate_of=slow.id, duplicate_kind="functional", functional_hash="t")  # fmt: skip
    audits = [
        (seed, "ok", 10.0 * (1 + 1e-12)),  # equal within the tolerance
        (seed, "ok", 10.0001),  # collision: score
        (slow, "ok", -4.0),  # equal
        (failed, "ok", 3.0),  # collision: status
        (failed, "error", None),  # equal
    ]
    for index, (original, status, score) in enumerate(audits):
        add(archive, run_id, source=f"audit{index}", status=status, score=score, eval_s=3.0,
            duplicate_of=original.id, duplicate_kind="functional_audit")  # fmt: skip


def test_summary_counts_duplicates_time_saved_and_collisions(archive: Archive, run_id: int) -> None:
    assert archive.summary(run_id).collision_rate is None
    _duplicates_run(archive, run_id)
    s = archive.summary(run_id)
    assert (s.duplicates, s.duplicates_syntactic, s.duplicates_functional) == (3, 1, 2)
    assert s.seconds_saved == pytest.approx(6.5)
    assert (s.audits, s.collisions, s.collision_rate) == (5, 2, pytest.approx(0.4))
    assert (s.programs, s.evaluations) == (11, 8)  # audits are evaluations


def test_best_over_time_lists_each_new_best(archive: Archive, run_id: int) -> None:
    assert archive.best_over_time(run_id) == []
    scores = [(3.0, "ok"), (2.0, "ok"), (9.0, "error"), (5.0, "ok"), (5.0, "ok"), (7.0, "ok")]
    ids = [add(archive, run_id, source=f"p{i}", score=s, status=st).id
           for i, (s, st) in enumerate(scores)]  # fmt: skip
    add(archive, run_id, source="d", status="duplicate", score=8.0, duplicate_of=ids[0])
    best = archive.best_over_time(run_id)
    assert [(i, s) for _, i, s in best] == [(ids[0], 3.0), (ids[3], 5.0), (ids[5], 7.0)]
    assert all(isinstance(when, datetime) and when.tzinfo for when, _, _ in best)
    with pytest.raises(ArchiveError, match="no run 99"):
        archive.best_over_time(99)


def test_lineage_follows_the_last_parent_back_to_the_seed(archive: Archive, run_id: int) -> None:
    seed = add(archive, run_id, score=1.0)
    a = add(archive, run_id, source="a", parent_ids=(seed.id,), score=2.0)
    b = add(archive, run_id, source="b", parent_ids=(seed.id,), score=3.0)
    c = add(archive, run_id, source="c", parent_ids=(a.id, b.id), score=4.0)  # improves b
    d = add(archive, run_id, source="d", parent_ids=(c.id,), score=5.0)
    assert [p.id for p in archive.lineage(d.id)] == [d.id, c.id, b.id, seed.id]
    assert archive.lineage(seed.id) == [seed]
    with pytest.raises(ArchiveError, match="no program 999"):
        archive.lineage(999)


def test_lineage_survives_reopening_the_archive(archive: Archive, run_id: int) -> None:
    seed = add(archive, run_id, score=1.0)
    child = add(archive, run_id, source="a", parent_ids=(seed.id,), score=2.0)
    with Archive(_real_url(archive)) as reopened:
        grandchild = reopened.add_program(
            run_id, NewProgram(source="b", parent_ids=(child.id,), score=3.0)
        )
        assert [p.id for p in reopened.lineage(grandchild.id)] == [
            grandchild.id,
            child.id,
            seed.id,
        ]


def _real_url(archive: Archive) -> str:
    """The URL with its password (`Archive.url` hides it)."""
    return archive._engine.url.render_as_string(hide_password=False)


V3_LEASE_COLUMNS = ("token", "host", "pid", "since", "expires_at")


def downgrade_to_v3(url: str) -> None:
    """An archive as schema version 3 wrote it: each call's messages in `llm_calls`
    (builtin:mutate's too), no `prompts` table, no `llm_calls.kind`, no lease columns."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("ALTER TABLE llm_calls ADD COLUMN messages JSON NOT NULL DEFAULT '[]'")
        )
        connection.execute(
            text(
                "UPDATE llm_calls SET messages = (SELECT p.messages FROM prompts p "
                "WHERE p.hash = llm_calls.prompt_hash) WHERE kind = 'llm'"
            )
        )
        connection.execute(text("ALTER TABLE llm_calls DROP COLUMN kind"))
        connection.execute(text("DROP TABLE prompts"))
        for column in V3_LEASE_COLUMNS:
            connection.execute(text(f"ALTER TABLE runs DROP COLUMN lease_{column}"))
        connection.execute(text("UPDATE meta SET value = '3' WHERE key = 'schema_version'"))
    engine.dispose()


def _downgrade_to_v2(url: str) -> None:
    """An archive as schema version 2 wrote it: no runs.draw_seeds, no validations table."""
    downgrade_to_v3(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE validations"))
        connection.execute(text("ALTER TABLE runs DROP COLUMN draw_seeds"))
        connection.execute(text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))
    engine.dispose()


def _downgrade_to_v1(url: str) -> None:
    """An archive as schema version 1 wrote it: no duplicate_kind and none of its indexes."""
    _downgrade_to_v2(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        for name in ("syntactic_hash", "functional_hash", "status_error_kind", "duplicate_kind"):
            connection.execute(text(f"DROP INDEX ix_programs_run_id_{name}"))
        v1_index = "CREATE INDEX ix_programs_run_id_syntactic_hash ON programs"
        connection.execute(text(f"{v1_index} (run_id, syntactic_hash)"))
        connection.execute(text("ALTER TABLE programs DROP COLUMN duplicate_kind"))
        connection.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
    engine.dispose()


def test_a_version_1_archive_is_upgraded_in_place(archive: Archive, run_id: int) -> None:
    seed = add(archive, run_id, score=1.0)
    add(archive, run_id, status="duplicate", score=1.0, duplicate_of=seed.id)
    url = _real_url(archive)
    archive.close()
    _downgrade_to_v1(url)
    with Archive(url) as upgraded:
        programs = list(upgraded.iter_programs(run_id))
        assert [p.duplicate_kind for p in programs] == ["", "syntactic"]
        assert upgraded.summary(run_id).duplicates_syntactic == 1
        upgraded.add_program(run_id, NewProgram(source="f", functional_hash="h"))
        assert upgraded.find_by_functional_hash(run_id, "h") is not None
    engine = create_engine(url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT value FROM meta WHERE key = 'schema_version'"))
        assert stored.scalar_one() == str(SCHEMA_VERSION)
    engine.dispose()


def test_a_version_2_archive_is_upgraded_in_place(archive: Archive, run_id: int) -> None:
    program = add(archive, run_id, score=1.0)
    url = _real_url(archive)
    archive.close()
    _downgrade_to_v2(url)
    with Archive(url) as upgraded:
        run = upgraded.get_run(run_id)
        assert run.draw_seeds == {} and upgraded.validations(run_id) == {}
        upgraded.update_run(run_id, draw_seeds={"test": 2**63 - 1})
        upgraded.add_validation(run_id, NewValidation(program.id, "ok", 2.0, draw_seed=2**63 - 1))
        assert upgraded.get_run(run_id).draw_seeds == {"test": 2**63 - 1}
        assert upgraded.validations(run_id)[program.id].score == 2.0
        new = upgraded.create_run("r2", "bin_packing", {}, 0, {"test": 5})
        assert upgraded.get_run(new.id).draw_seeds == {"test": 5}
