"""One process at a time runs a run: a second `--resume` fails at once naming the holder,
a dead holder's run is taken over with a notice, `evolve runs` shows it died, and a
process whose run was taken over stops writing."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import Archive, ArchiveError, LeaseOwner, RunHeldError
from evolve import lease
from evolve.runner import prepare_run
from tests.cli_helpers import evolve, evolve_json
from tests.test_archive_storage import BACKENDS, POSTGRES_URL, _drop_tables

HOST = socket.gethostname()
ELSEWHERE = LeaseOwner("elsewhere", 4242, "other")


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path, tiny_problem_path: str) -> Iterator[str]:
    """An archive with run "A" (3 evaluations of the tiny problem), finished; on a SQLite
    file, and on PostgreSQL when EVOLVE_TEST_POSTGRES_URL is set (see test_archive_storage)."""
    url = f"sqlite:///{tmp_path / 'runs.db'}" if request.param == "sqlite" else POSTGRES_URL
    if request.param == "postgresql":
        _drop_tables(url)
    evolve_json("run", tiny_problem_path, "--db", url, "--run-name", "A", "--max-evals", "3")
    yield url
    if request.param == "postgresql":
        _drop_tables(url)


def evaluations(db: str) -> int:
    with Archive(db) as archive:
        return archive.summary(archive.get_run("A").id).evaluations


def start_resume(db: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "evolve", "run", "--resume", "A", "--db", db]
    command += ["--max-evals", "100000", "--workers", "1", "--json"]
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_second_resume_fails_at_once_and_the_first_ends_interrupted(
    db: str, stop: signal.Signals
) -> None:
    first = start_resume(db)
    deadline = time.monotonic() + 60
    while evaluations(db) < 10 and time.monotonic() < deadline:
        time.sleep(0.2)
    started = time.monotonic()
    second = evolve("run", "--resume", "A", "--db", db, "--max-evals", "100000", timeout=60)
    assert second.returncode == 1, second.stderr
    assert f"run 'A' is being run by pid {first.pid} on {HOST} since" in second.stderr
    assert time.monotonic() - started < 30  # at once: no evaluation was waited for
    with Archive(db) as archive:
        held = archive.get_run("A")
    assert held.lease is not None and held.lease.owner.pid == first.pid
    assert [r["status"] for r in evolve_json("runs", "--db", db)] == ["running"]
    first.send_signal(stop)
    _, stderr = first.communicate(timeout=60)
    assert first.returncode == 130, stderr
    with Archive(db) as archive:
        ended = archive.get_run("A")
    assert (ended.status, ended.lease) == ("interrupted", None)
    assert ended.state["stop_reason"] == "interrupted"


@pytest.mark.slow
def test_a_killed_run_shows_as_died_and_is_taken_over(db: str) -> None:
    first = start_resume(db)
    deadline = time.monotonic() + 60
    while evaluations(db) < 10 and time.monotonic() < deadline:
        time.sleep(0.2)
    first.kill()  # kill -9: no status written, the lease stays
    first.wait()
    runs = evolve_json("runs", "--db", db)
    assert runs[0]["status"] == "died" and runs[0]["lease"]["owner"]["pid"] == first.pid
    assert "died" in evolve("runs", "--db", db).stdout
    killed_at = evaluations(db)
    resumed = evolve("run", "--resume", "A", "--db", db, "--max-evals", str(killed_at + 3))
    assert resumed.returncode == 0, resumed.stderr
    assert f"was held by pid {first.pid} on {HOST}" in resumed.stderr
    assert f"process {first.pid} is gone); taking it over" in " ".join(resumed.stderr.split())
    assert json.loads(evolve("runs", "--db", db, "--json").stdout)[0]["status"] == "finished"


@pytest.mark.slow
def test_resume_takes_over_an_expired_lease_of_another_host(db: str) -> None:
    with Archive(db) as archive:
        archive.take_run(archive.get_run("A").id, ELSEWHERE, 0.05)
    time.sleep(0.1)
    prepared = prepare_run({"db": db}, resume="A")
    try:
        notice = next(n for n in prepared.notices if "taking it over" in n)
        assert "was held by pid 4242 on elsewhere since" in notice
        assert "which stopped without releasing it (its lease expired" in notice
        assert prepared.run.lease is not None and prepared.run.lease.owner.pid != 4242
    finally:
        prepared.close()
    with Archive(db) as archive:
        freed = archive.get_run("A")
    assert (freed.status, freed.lease) == ("interrupted", None)  # its holder had died


@pytest.mark.slow
def test_a_run_held_elsewhere_is_not_touched(db: str) -> None:
    with Archive(db) as archive:
        held = archive.take_run(archive.get_run("A").id, ELSEWHERE, 3600)
    with pytest.raises(RunHeldError, match=r"run 'A' is being run by pid 4242 on elsewhere"):
        prepare_run({"db": db, "max_evals": 50}, resume="A")
    with Archive(db) as archive:
        assert archive.get_run("A") == held


@pytest.mark.slow
def test_a_run_taken_over_stops_and_writes_no_status(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This process stopped renewing (frozen, say) and another took the run over."""
    monkeypatch.setattr(lease, "HEARTBEAT_S", 0.05)
    prepared = prepare_run({"db": db, "max_evals": 100000, "workers": 1}, resume="A")
    token = prepared.hold.owner.token

    def take_over() -> None:
        time.sleep(1.0)
        with Archive(db) as archive:
            archive.take_run(prepared.run.id, ELSEWHERE, 3600, replacing=token)

    thief = threading.Thread(target=take_over)
    thief.start()
    with pytest.raises(ArchiveError, match=r"run 'A' was taken over by pid 4242 on elsewhere"):
        prepared.execute()
    thief.join()
    prepared.close()
    with Archive(db) as archive:
        run = archive.get_run("A")
    assert run.status == "running" and run.lease is not None and run.lease.owner == ELSEWHERE
