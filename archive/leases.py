"""One process at a time runs a run: a lease in the run's row.

The holder writes its owner (host, pid, a random token) and an expiry time into the run's
row with one conditional UPDATE, which changes the row only when the run is free, its
lease expired, the caller holds it already, or the caller names the holder it found dead
(`replacing`). Both databases apply such an UPDATE atomically, so of two processes taking
one run at once exactly one succeeds. The holder renews the expiry while it runs (its
heartbeat) and clears the lease when it ends; a holder killed with kill -9 leaves its lease
behind, stale once it expires (`RunLease.stale_reason`).

Times come from the holders' clocks (UTC): hosts that share a PostgreSQL archive need
clocks that agree to well within a lease's length. Each function runs in the caller's
session (transaction).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, update
from sqlmodel import Session, col

from archive.errors import ArchiveError
from archive.records import RUN_STATUSES, LeaseOwner, RunLease, RunRecord
from archive.tables import RunRow, run_record, utc_now

__all__ = ["RunHeldError", "RunLeases", "lease_values", "release", "renew", "take"]


class RunHeldError(ArchiveError):
    """Another process holds the run; `lease` says which and since when."""

    def __init__(self, run_name: str, lease: RunLease) -> None:
        owner = lease.owner
        super().__init__(
            f"run {run_name!r} is being run by {owner} since "
            f"{lease.since:%Y-%m-%d %H:%M:%S} UTC (its lease runs to "
            f"{lease.expires_at:%H:%M:%S} UTC and is renewed while it runs); one process at "
            f"a time runs a run: wait for it to end, or stop it (kill {owner.pid} on "
            f"{owner.host}) and resume"
        )
        self.lease = lease


class RunLeases:
    """The lease methods of `Archive` (a mixin: one transaction each, like the others)."""

    if TYPE_CHECKING:

        def _session(self, refused: str = "") -> AbstractContextManager[Session]: ...

        def _find_run(self, session: Session, key: str | int) -> RunRow: ...

    def take_run(
        self, run_id: int, owner: LeaseOwner, lease_s: float, *, replacing: str | None = None
    ) -> RunRecord:
        """Hold the run for `lease_s` seconds and mark it "running": free, expired, already
        `owner`'s, or held by the token `replacing` (a holder found dead). Else
        `RunHeldError`, naming the holder, and nothing changes."""
        with self._session() as session:
            return take(session, self._find_run(session, run_id), owner, lease_s, replacing)

    def renew_run(self, run_id: int, token: str, lease_s: float) -> bool:
        """Extend `token`'s lease by `lease_s` seconds from now; False if it lost the run."""
        with self._session() as session:
            return renew(session, run_id, token, lease_s)

    def release_run(self, run_id: int, token: str, *, status: str, state: dict[str, Any]) -> bool:
        """Store the run's final status and state and free it, if `token` still holds it
        (False, and nothing written, when another process took it over)."""
        if status not in RUN_STATUSES:
            raise ArchiveError(f"unknown run status {status!r}; use one of {RUN_STATUSES}")
        with self._session() as session:
            return release(session, run_id, token, {"status": status, "state": state})


def lease_values(owner: LeaseOwner, lease_s: float) -> dict[str, Any]:
    """The `runs` columns of a lease taken now by `owner` for `lease_s` seconds."""
    now = utc_now()
    return {
        "lease_token": owner.token,
        "lease_host": owner.host,
        "lease_pid": owner.pid,
        "lease_since": now,
        "lease_expires_at": now + timedelta(seconds=lease_s),
    }


def take(
    session: Session, row: RunRow, owner: LeaseOwner, lease_s: float, replacing: str | None
) -> RunRecord:
    """Hold the run and mark it "running"; RunHeldError when another process holds it."""
    values = lease_values(owner, lease_s)
    free = or_(
        col(RunRow.lease_token).is_(None),
        col(RunRow.lease_expires_at) <= values["lease_since"],
        col(RunRow.lease_token).in_([owner.token, replacing or owner.token]),
    )
    query = _update(row.id).where(free)
    taken = session.execute(query.values(status="running", updated_at=utc_now(), **values))
    session.refresh(row)
    record = run_record(row)
    if _rowcount(taken) == 1:
        return record
    if record.lease is None:  # released between the UPDATE and the read
        raise ArchiveError(f"run {row.name!r} changed hands while being taken; try again")
    raise RunHeldError(row.name, record.lease)


def renew(session: Session, run_id: int, token: str, lease_s: float) -> bool:
    """Push the lease's expiry `lease_s` seconds ahead; False when `token` lost the run."""
    expires = utc_now() + timedelta(seconds=lease_s)
    query = _update(run_id).where(col(RunRow.lease_token) == token)
    return _rowcount(session.execute(query.values(lease_expires_at=expires))) == 1


def release(session: Session, run_id: int, token: str, values: dict[str, Any]) -> bool:
    """Clear the lease and set `values` (status, state) if `token` still holds the run."""
    free = {f"lease_{name}": None for name in ("token", "host", "pid", "since", "expires_at")}
    query = _update(run_id).where(col(RunRow.lease_token) == token)
    changed = session.execute(query.values(**values, **free, updated_at=utc_now()))
    return _rowcount(changed) == 1


def _update(run_id: int | None) -> Any:
    """An UPDATE of one run's row that leaves the session's objects alone."""
    query = update(RunRow).where(col(RunRow.id) == run_id)
    return query.execution_options(synchronize_session=False)


def _rowcount(result: Any) -> int:
    """Rows the UPDATE matched (both drivers count matched rows, changed or not)."""
    return int(result.rowcount)
