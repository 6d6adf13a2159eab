"""One child's way from an LLM reply to a program to store: patch, twins, probe, evaluation.

The cascade (DESIGN.md §2): a child whose normalized source was seen before reuses the
earlier result (a syntactic twin); else it runs on the probe instances first, and a
failure there, or probe outputs seen before (a functional twin), saves the full
evaluation, except for the audited ones, evaluated anyway to measure how often the
functional hash is wrong. The earlier twin may still be in flight, so the result is an
`Outcome` whose twin is resolved when it is stored (`Outcome.resolved`).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from archive import NewProgram, ProgramRecord, syntactic_hash
from evolve.evaluate import Evaluation, Evaluator
from evolve.exceptions import PatchError
from evolve.patches import apply_reply
from evolve.twins import Ticket, Twin, Twins

__all__ = ["Cascade", "Outcome"]


@dataclass(frozen=True)
class Outcome:
    """A child's program, and the earlier twin it duplicates or audits (None: none)."""

    program: NewProgram
    twin: Twin | None = None

    def resolved(self) -> tuple[NewProgram, ProgramRecord | None] | None:
        """The program to store, with what it takes from its twin, and the twin; None
        when the twin stored nothing (it was dropped: so is this one). Only once the
        twin's record is known (`Ticket.record` done)."""
        twin = self.twin
        earlier = twin.record.result() if isinstance(twin, Ticket) else twin
        if earlier is None:
            return None if twin is not None else (self.program, None)
        program = replace(self.program, duplicate_of=earlier.id)
        if program.status == "duplicate":
            program = replace(
                program, score=earlier.score, scores=earlier.scores, metrics=earlier.metrics
            )
        return program, earlier


class Cascade:
    """Patches replies and evaluates children of one problem, skipping their twins."""

    def __init__(
        self,
        evaluator: Evaluator,
        twins: Twins,
        *,
        entry: str,
        workers: int,
        functional_hashing: bool,
    ) -> None:
        self.evaluator, self.twins, self.entry = evaluator, twins, entry
        self.functional_hashing = functional_hashing
        self._slots = Slots(workers)

    async def child(
        self, ticket: Ticket, base: NewProgram, parent: str, reply: str, probe: str, audit: bool
    ) -> Outcome:
        """The outcome of `reply` to a prompt whose program to improve is `parent`.
        `base` holds the lineage; `probe` is the probe's split; `audit`: evaluate a
        functional twin anyway."""
        try:
            source = apply_reply(parent, reply, self.entry)
        except PatchError as exc:
            ticket.settle(False)
            kind = f"patch:{exc.kind}"
            return Outcome(replace(base, status="patch_error", error=str(exc), error_kind=kind))
        digest = syntactic_hash(source)
        program = replace(base, source=source, syntactic_hash=digest)
        twin = await self.twins.find("syntactic", ticket, digest)
        if twin is not None:
            ticket.settle(False)
            return Outcome(replace(program, status="duplicate", duplicate_kind="syntactic"), twin)
        return await self._evaluate(ticket, program, probe, audit)

    async def _evaluate(
        self, ticket: Ticket, program: NewProgram, probe: str, audit: bool
    ) -> Outcome:
        """Probe first: a failure or a functional twin there saves the full evaluation."""
        if not self.functional_hashing:
            ticket.settle(True)
            return Outcome(with_result(program, await self.evaluate(program.source, at=ticket)))
        first = await self.evaluate(program.source, probe, at=ticket)
        if not first.ok:
            ticket.settle(True)
            return Outcome(with_result(program, first, stage="probe"))
        program = replace(program, functional_hash=first.outputs_hash, eval_s=first.eval_s)
        twin = await self.twins.find("functional", ticket, first.outputs_hash)
        ticket.settle(twin is None)
        if twin is not None and not audit:
            return Outcome(replace(program, status="duplicate", duplicate_kind="functional"), twin)
        if twin is not None:  # audited: evaluated anyway, to measure hash collisions
            program = replace(program, duplicate_kind="functional_audit")
        full = await self.evaluate(program.source, at=ticket)
        return Outcome(with_result(program, full), twin)

    async def seed(self, program: NewProgram, probe: str) -> NewProgram:
        """The seed program evaluated (its probe outputs give its functional hash)."""
        if self.functional_hashing:
            first = await self.evaluate(program.source, probe)
            if not first.ok:
                return with_result(program, first, stage="probe")
            program = replace(program, functional_hash=first.outputs_hash, eval_s=first.eval_s)
        return with_result(program, await self.evaluate(program.source))

    async def evaluate(
        self, source: str, split: str = "train", at: Ticket | None = None
    ) -> Evaluation:
        """Evaluate in a free sandbox slot; the oldest step (`at`) gets one first, so the
        step the others are stored after waits least."""
        async with self._slots.hold(-1 if at is None else at.index):
            return await self.evaluator.evaluate(source, split)


class Slots:
    """A semaphore whose waiters are served lowest priority first (then in arrival order)."""

    def __init__(self, count: int) -> None:
        self._free = count
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    @asynccontextmanager
    async def hold(self, priority: int) -> AsyncIterator[None]:
        if self._free and not self._waiting:
            self._free -= 1
        else:
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (priority, next(self._arrivals), turn))
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():  # given the slot, then cancelled
                    self._release()
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiting:
            _, _, turn = heapq.heappop(self._waiting)
            if not turn.done():  # a cancelled waiter is skipped
                turn.set_result(None)
                return
        self._free += 1


def with_result(program: NewProgram, evaluation: Evaluation, stage: str = "") -> NewProgram:
    """`program` with the status, scores and error of `evaluation` (on `stage`'s split)."""
    error = evaluation.error
    if stage and error:
        error = f"on the {stage} instances: {error}"
    return replace(
        program,
        status=evaluation.status,
        score=evaluation.score,
        scores=evaluation.scores,
        metrics=evaluation.metrics,
        error=error,
        error_kind=evaluation.error_kind,
        eval_s=program.eval_s + evaluation.eval_s,
    )
