"""This process's hold on a run: the archive's lease (archive/leases.py), kept renewed.

`hold_run` takes a run for this process, or fails at once with `RunHeldError` naming the
process that runs it; a holder that died (kill -9: its lease expired, or its process on
this host is gone) is taken over, with a notice that says so. A `RunHold` renews the lease
from a thread every `HEARTBEAT_S` seconds, so a busy event loop or a long restore never
lets it lapse, and `release` stores the run's final status and frees it. A process that
stops renewing loses the run `LEASE_S` seconds later; if another process then takes it,
`lost` turns True and `on_lost` is called (the runner stops its loop).
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Callable
from typing import Any

from archive import Archive, ArchiveError, LeaseOwner, RunRecord

__all__ = ["HEARTBEAT_S", "LEASE_S", "RunHold", "hold_run", "new_owner"]

LEASE_S = 30.0
"""Seconds a lease holds without renewal: how long a killed holder blocks its run."""

HEARTBEAT_S = 5.0
"""Seconds between renewals: six per lease, so a few slow writes never lose the run."""


def new_owner() -> LeaseOwner:
    """This process, with a token of its own (two holds in one process are two owners)."""
    return LeaseOwner(socket.gethostname(), os.getpid(), secrets.token_hex(8))


def hold_run(archive: Archive, run: RunRecord) -> tuple[RunHold, RunRecord, str]:
    """Take `run` for this process: (the hold, the run as now stored, a notice or "").

    Raises `archive.RunHeldError` (nothing written) while a live process holds it.
    """
    owner = new_owner()
    stale = run.lease.stale_reason() if run.lease is not None else ""
    replacing = run.lease.owner.token if run.lease is not None and stale else None
    held = archive.take_run(run.id, owner, LEASE_S, replacing=replacing)
    notice = ""
    if run.lease is not None and stale:
        notice = (
            f"run {run.name!r} was held by {run.lease.owner} since "
            f"{run.lease.since:%Y-%m-%d %H:%M:%S} UTC, which stopped without releasing it "
            f"({stale}); taking it over."
        )
    elif run.status == "running":
        notice = (
            f"run {run.name!r} was left 'running' by a process that did not end it "
            "(killed?); taking it over."
        )
    before = "interrupted" if run.status == "running" else run.status
    return RunHold(archive, held, owner, status_before=before), held, notice


class RunHold:
    """A run held by this process; renewed by a daemon thread until `release`.

    `status_before` is the status to restore when the run is freed without running.
    """

    def __init__(
        self, archive: Archive, run: RunRecord, owner: LeaseOwner, *, status_before: str
    ) -> None:
        self.run_name, self.owner, self.status_before = run.name, owner, status_before
        self.on_lost: Callable[[], object] | None = None
        self._archive, self._run_id = archive, run.id
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._released = False
        self._thread: threading.Thread | None = None
        if not archive.in_memory:  # one shared connection: no other process can see it
            self._thread = threading.Thread(
                target=self._beat, name=f"evolve-lease-{run.id}", daemon=True
            )
            self._thread.start()

    @property
    def released(self) -> bool:
        """True once `release` stored the run's status and freed it."""
        return self._released

    @property
    def lost(self) -> bool:
        """True once another process took the run over."""
        return self._lost.is_set()

    def lost_error(self) -> ArchiveError:
        """What to tell the user when the run was taken over."""
        holder = self._archive.get_run(self._run_id).lease
        by = f" by {holder.owner}" if holder is not None else ""
        return ArchiveError(
            f"run {self.run_name!r} was taken over{by}: this process had not renewed its "
            f"lease for {LEASE_S:g} s, so it stopped (its last steps may be in the archive)"
        )

    def release(self, status: str, state: dict[str, Any]) -> bool:
        """Stop renewing, store the final status and state, free the run. False (nothing
        written) when another process took it over; True again once released."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._released or self.lost:
            return self._released
        self._released = self._archive.release_run(
            self._run_id, self.owner.token, status=status, state=state
        )
        if not self._released:
            self._lost.set()
        return self._released

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                held = self._archive.renew_run(self._run_id, self.owner.token, LEASE_S)
            except ArchiveError:  # the database is briefly unreachable: the next beat
                continue
            if not held:
                self._lost.set()
                if self.on_lost is not None:
                    self.on_lost()
                return
