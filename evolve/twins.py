"""Finding a child's earlier twin: a program with the same syntactic or functional hash.

A twin may be in the archive or still in flight in another step. Each step holds a
`Ticket`; it publishes its hashes there, and a later child with the same hash reuses the
earlier one's result instead of being evaluated again. The earlier program is the first
one that is no duplicate (what `Archive.find_by_*_hash` returns once it is stored).

In step order (`ordered`, the reproducible mode) a step sees exactly the steps before
it, whatever finished first: `find` waits until every earlier step has published its
hash of that kind (or said it has none), and ignores later ones. Otherwise it sees the
steps that published before it did, as they come.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
from dataclasses import dataclass, field
from typing import Any, Literal

from archive import Archive, ProgramRecord

__all__ = ["KINDS", "HashKind", "Ticket", "Twin", "Twins"]

HashKind = Literal["syntactic", "functional"]
KINDS: tuple[HashKind, ...] = ("syntactic", "functional")


def _future() -> asyncio.Future[Any]:
    return asyncio.get_running_loop().create_future()


@dataclass(eq=False)
class Ticket:
    """One step's place among the twins.

    Attributes:
        index: the step's index (its order, in ordered mode).
        record: set when the step's program is stored (None: it stored none).
        original: whether the step's program is no duplicate of any kind (set once its
            cascade decided it), as later syntactic twins must know.
        published: the kinds of hash the step published (or said it has none of).
        entries: its (kind, hash) among the pending ones, until it is stored.
    """

    index: int
    record: asyncio.Future[ProgramRecord | None] = field(default_factory=_future)
    original: asyncio.Future[bool] = field(default_factory=_future)
    published: set[HashKind] = field(default_factory=set)
    entries: list[tuple[HashKind, str]] = field(default_factory=list)

    def settle(self, original: bool) -> None:
        """Say whether the program is an original (first call wins)."""
        if not self.original.done():
            self.original.set_result(original)


Twin = ProgramRecord | Ticket
"""An earlier twin: stored already, or the ticket of a step whose record comes later."""


class Twins:
    """Earlier twins of one run's children, archived or in flight."""

    def __init__(self, archive: Archive, run_id: int, *, ordered: bool, first_step: int) -> None:
        self.archive, self.run_id, self.ordered = archive, run_id, ordered
        self._pending: dict[tuple[HashKind, str], list[tuple[int, Ticket]]] = {}
        self._arrivals = itertools.count()
        self._frontier = dict.fromkeys(KINDS, first_step)  # every step below it published
        self._early: dict[HashKind, set[int]] = {kind: set() for kind in KINDS}
        self._waiters: dict[HashKind, list[tuple[int, asyncio.Future[bool]]]] = {
            kind: [] for kind in KINDS
        }

    async def find(self, kind: HashKind, ticket: Ticket, digest: str) -> Twin | None:
        """Publish `digest` for `ticket`, then return the first earlier program with it
        that is no duplicate (waiting for every earlier step's hash in ordered mode)."""
        key = ticket.index if self.ordered else next(self._arrivals)
        bisect.insort(self._pending.setdefault((kind, digest), []), (key, ticket), key=_first)
        ticket.entries.append((kind, digest))
        self.skip(kind, ticket)
        if self.ordered and self._frontier[kind] < ticket.index:
            waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self._waiters[kind].append((ticket.index, waiter))
            await waiter
        if kind == "syntactic":
            stored = self.archive.find_by_syntactic_hash(self.run_id, digest)
        else:
            stored = self.archive.find_by_functional_hash(self.run_id, digest)
        if stored is not None:
            return stored
        earlier = [t for k, t in self._pending[kind, digest] if k < key]  # no await since
        for candidate in earlier:
            # a functional hash's first holder is its original (it would have found any
            # earlier one); a syntactic one's may have turned out a functional duplicate
            if kind == "functional" or await asyncio.shield(candidate.original):
                return candidate
        return None

    def skip(self, kind: HashKind, ticket: Ticket) -> None:
        """Mark `ticket`'s hash of this kind as published (with `find`), or as none (a
        failed call, patch or probe): later steps need not wait for it any more."""
        if kind in ticket.published:
            return
        ticket.published.add(kind)
        early = self._early[kind]
        early.add(ticket.index)
        while self._frontier[kind] in early:
            early.remove(self._frontier[kind])
            self._frontier[kind] += 1
        waiting, self._waiters[kind] = self._waiters[kind], []
        for index, waiter in waiting:
            if index > self._frontier[kind]:
                self._waiters[kind].append((index, waiter))
            elif not waiter.done():
                waiter.set_result(True)

    def finish(self, ticket: Ticket, record: ProgramRecord | None) -> None:
        """The step is over (its program stored, or none): later steps find it in the
        archive from now on."""
        ticket.settle(False)
        if not ticket.record.done():
            ticket.record.set_result(record)
        for kind, digest in ticket.entries:
            holders = self._pending[kind, digest]
            holders[:] = [(k, t) for k, t in holders if t is not ticket]
            if not holders:
                del self._pending[kind, digest]
        ticket.entries.clear()
        for kind in KINDS:
            self.skip(kind, ticket)


def _first(entry: tuple[int, Ticket]) -> int:
    return entry[0]
