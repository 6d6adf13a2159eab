"""Who runs a run: the lease in the run's row, on every backend of the `archive` fixture."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import pytest

from archive import Archive, ArchiveError, LeaseOwner, RunHeldError
from tests import test_archive_storage as backends

archive = backends.archive  # the same backend-parametrized fixtures
run_id = backends.run_id

HOST = socket.gethostname()
ME = LeaseOwner(HOST, 1, "me")
OTHER = LeaseOwner("elsewhere", 4242, "other")


def dead_pid() -> int:
    """The pid of a process of this host that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_run_created_with_an_owner_is_held_by_it(archive: Archive) -> None:
    run = archive.create_run("r", "tsp", {}, 0, owner=OTHER, lease_s=30)
    assert run.lease is not None and run.lease.owner == OTHER
    assert run.lease.stale_reason() == "" and run.live_status == "running"
    with pytest.raises(RunHeldError, match=r"run 'r' is being run by pid 4242 on elsewhere since"):
        archive.take_run(run.id, ME, 30)
    assert archive.get_run(run.id) == run  # nothing changed
    assert archive.take_run(run.id, OTHER, 30).lease.owner == OTHER  # type: ignore[union-attr]


def test_renew_and_release_only_by_the_holder(archive: Archive, run_id: int) -> None:
    taken = archive.take_run(run_id, ME, 30)
    assert taken.status == "running" and taken.lease is not None and taken.lease.owner == ME
    assert (taken.lease.expires_at - taken.lease.since).total_seconds() == pytest.approx(30)
    assert archive.renew_run(run_id, "me", 60)
    assert archive.get_run(run_id).lease.expires_at > taken.lease.expires_at  # type: ignore[union-attr]
    assert not archive.renew_run(run_id, "other", 60)
    assert not archive.release_run(run_id, "other", status="failed", state={"x": 1})
    assert archive.get_run(run_id).status == "running"
    assert archive.release_run(run_id, "me", status="interrupted", state={"x": 2})
    released = archive.get_run(run_id)
    assert (released.status, released.state, released.lease) == ("interrupted", {"x": 2}, None)
    assert archive.take_run(run_id, OTHER, 30).live_status == "running"
    with pytest.raises(ArchiveError, match="unknown run status 'done'"):
        archive.release_run(run_id, "other", status="done", state={})


def test_an_expired_lease_is_taken_over_and_its_holder_knows(archive: Archive, run_id: int) -> None:
    archive.take_run(run_id, OTHER, 0.05)
    time.sleep(0.1)
    stale = archive.get_run(run_id)
    assert stale.lease is not None and "its lease expired" in stale.lease.stale_reason()
    assert stale.live_status == "died" and stale.status == "running"
    assert archive.take_run(run_id, ME, 30).lease.owner == ME  # type: ignore[union-attr]
    assert not archive.renew_run(run_id, "other", 30)  # the old holder lost it
    assert not archive.release_run(run_id, "other", status="finished", state={})


def test_a_dead_holder_on_this_host_is_replaced_by_name(archive: Archive, run_id: int) -> None:
    gone = LeaseOwner(HOST, dead_pid(), "gone")
    archive.take_run(run_id, gone, 3600)  # a long lease: only its pid says it is dead
    run = archive.get_run(run_id)
    assert run.lease is not None and run.lease.stale_reason() == f"process {gone.pid} is gone"
    assert run.live_status == "died"
    with pytest.raises(RunHeldError):
        archive.take_run(run_id, ME, 30)  # not expired: the caller must name the dead holder
    assert archive.take_run(run_id, ME, 30, replacing="gone").lease.owner == ME  # type: ignore[union-attr]


def test_a_running_run_without_a_lease_died(archive: Archive, run_id: int) -> None:
    """As a run killed under an evolve without leases (schema 3) is left."""
    run = archive.get_run(run_id)
    assert (run.status, run.lease, run.live_status) == ("running", None, "died")
    assert archive.update_run(run_id, status="finished").live_status == "finished"


def test_of_many_processes_taking_one_run_one_wins(archive: Archive, run_id: int) -> None:
    url = archive._engine.url.render_as_string(hide_password=False)
    takers = 6
    barrier = threading.Barrier(takers)
    outcomes: list[str] = []

    def take(index: int) -> None:
        with Archive(url) as mine:  # one archive (engine, connections) per taker
            barrier.wait()
            try:
                mine.take_run(run_id, LeaseOwner(HOST, index, f"t{index}"), 30)
                outcomes.append("taken")
            except RunHeldError:
                outcomes.append("held")

    threads = [threading.Thread(target=take, args=(i,)) for i in range(takers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["held"] * (takers - 1) + ["taken"]
