"""Kill -9 in the middle of a run, then resume: nothing lost but the calls in flight."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive import Archive
from tests.cli_helpers import evolve_json


def count_evaluations(db: str) -> int:
    with Archive(db) as archive:
        runs = archive.list_runs()
        return archive.summary(runs[0].id).evaluations if runs else 0


@pytest.mark.slow
def test_kill_9_then_resume(tmp_path: Path, tiny_problem_path: str) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evolve",
            "run",
            tiny_problem_path,
            "--db",
            db,
            "--run-name",
            "victim",
            "--max-evals",
            "100000",
            "--json",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while count_evaluations(db) < 20 and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    killed_at = count_evaluations(db)
    assert killed_at >= 20

    summary = evolve_json(
        "run", "--resume", "victim", "--db", db, "--max-evals", str(killed_at + 15)
    )
    with Archive(db) as archive:
        run = archive.get_run("victim")
        programs = list(archive.iter_programs(run.id))
        assert run.status == "finished"
    assert sum(p.is_seed for p in programs) == 1  # the seed was not added again
    assert summary["evaluations"] == killed_at + 15
    ids = {p.id for p in programs}
    assert all(set(p.parent_ids) <= ids for p in programs)  # lineage is intact
