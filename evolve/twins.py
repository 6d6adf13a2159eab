"""Finding a child's earlier twin: a program with the same syntactic or functional hash.

A twin may be in the archive or still being evaluated by another worker: a claim marks a
hash as "in flight", and a second child with that hash waits for the first one's record
instead of being evaluated again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from archive import Archive, ProgramRecord

__all__ = ["Claim", "Twins"]

HashKind = Literal["syntactic", "functional"]


@dataclass
class Claim:
    """Filled in by the claimant with the record that others may reuse (None: none)."""

    record: ProgramRecord | None = None


class Twins:
    """Earlier twins of one run's children, archived or in flight."""

    def __init__(self, archive: Archive, run_id: int) -> None:
        self.archive, self.run_id = archive, run_id
        self._in_flight: dict[tuple[HashKind, str], asyncio.Future[ProgramRecord | None]] = {}

    async def find(self, kind: HashKind, digest: str) -> ProgramRecord | None:
        """The first program with this hash, waiting for one still being evaluated."""
        pending = self._in_flight.get((kind, digest))
        if pending is not None and (record := await asyncio.shield(pending)) is not None:
            return record
        if kind == "syntactic":
            return self.archive.find_by_syntactic_hash(self.run_id, digest)
        return self.archive.find_by_functional_hash(self.run_id, digest)

    @contextmanager
    def claim(self, kind: HashKind, digest: str) -> Iterator[Claim]:
        """Mark a hash as in flight until the block ends; waiters get `claim.record`.
        Claims may overlap (two audited functional twins evaluated at once): the first
        one in flight is the one waiters get, and each claim removes only its own mark."""
        key = (kind, digest)
        future = asyncio.get_running_loop().create_future()
        first = key not in self._in_flight
        if first:
            self._in_flight[key] = future
        claim = Claim()
        try:
            yield claim
        finally:
            if first:
                del self._in_flight[key]
            future.set_result(claim.record)
