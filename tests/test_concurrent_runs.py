"""Two `evolve run` processes writing to one database at once lose nothing.

On a SQLite file always; on PostgreSQL too when EVOLVE_TEST_POSTGRES_URL is set (see
tests/test_archive_storage.py; the archive's tables there are dropped before and after).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from archive import Archive
from archive.tables import TABLES

POSTGRES_URL = os.environ.get("EVOLVE_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
EVALS = 20


def _drop_tables(url: str) -> None:
    engine = create_engine(url)
    SQLModel.metadata.drop_all(engine, tables=TABLES)
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database that does not hold an archive yet: both processes race to create it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    _drop_tables(POSTGRES_URL)
    yield POSTGRES_URL
    _drop_tables(POSTGRES_URL)


def _start(problem: str, db: str, name: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "evolve", "run", problem, "--db", db]
    command += ["--max-evals", str(EVALS), "--run-name", name, "--workers", "1", "--json"]
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


@pytest.mark.slow
def test_two_runs_on_one_database_at_once(db: str, tiny_problem_path: str) -> None:
    processes = [_start(tiny_problem_path, db, name) for name in ("A", "B")]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    with Archive(db) as archive:
        assert sorted(run.name for run in archive.list_runs()) == ["A", "B"]
        for name in ("A", "B"):
            _check_intact(archive, name)


def _check_intact(archive: Archive, name: str) -> None:
    run = archive.get_run(name)
    summary = archive.summary(run.id)
    assert run.status == "finished" and summary.evaluations == EVALS
    programs = {p.id: p for p in archive.iter_programs(run.id)}
    assert len(programs) == summary.programs
    assert sum(p.is_seed for p in programs.values()) == 1
    for program in programs.values():
        assert all(parent in programs for parent in program.parent_ids)
        if program.duplicate_of is not None:
            assert program.duplicate_of in programs
        if program.llm_call_id is not None:
            assert archive.get_llm_call(program.llm_call_id).run_id == run.id
        assert archive.lineage(program.id)[-1].is_seed
