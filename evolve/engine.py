"""The steady-state asynchronous loop (DESIGN.md §2).

`concurrency` workers each repeat one step: select parents, build a prompt, ask the LLM,
patch, hash, evaluate (evolve/cascade.py), archive, update the strategy. There are no
generations: as soon as one step ends the worker takes the next. Every failure is stored
as data.

Step i draws all its randomness from `random.Random(f"{seed}:{i}")`. In ordered mode
(`EngineLimits.ordered`, the default for deterministic models: builtin:mutate, replay:)
a run is reproducible at any concurrency: step i is planned (parents and prompt) once
steps up to i - window are stored, sees the twins of exactly the steps before it, and is
stored in step order (a reorder buffer), whatever evaluation finishes first. A stop
decided when step i is stored drops the later steps in flight. Otherwise each result is
stored as it comes.
"""

from __future__ import annotations

import asyncio
import math
import random
from asyncio import FIRST_EXCEPTION
from collections import OrderedDict, deque
from dataclasses import dataclass

from archive import Archive, NewLLMCall, NewProgram, ProgramRecord, RunRecord, syntactic_hash
from evolve.cascade import Cascade, Outcome
from evolve.evaluate import Evaluator
from evolve.exceptions import BudgetExhausted
from evolve.feedback import RecentFailures
from evolve.llm import Completion, Gateway, LLMRequest, call_record
from evolve.probe import ProbeGrowth, collided
from evolve.progress import RunProgress
from evolve.prompts import Failure, Shot, build_messages
from evolve.strategies.base import ScoredProgram, Selection, Strategy
from evolve.twins import KINDS, Ticket, Twins
from problems.base import Problem, ProblemError

__all__ = ["Engine", "EngineLimits"]

PARENT_CACHE_SIZE = 256  # records, not growing with the archive
WINDOW_PER_CALL = 4  # ordered mode: steps planned ahead of the oldest unstored, per call


@dataclass(frozen=True)
class EngineLimits:
    """When the loop stops (beyond the LLM budget, which the gateway enforces), how much
    evaluation it skips, and in what order results are stored.

    Attributes:
        max_evals: evaluations in the whole run (resumed sessions included).
        concurrency: LLM calls in flight.
        workers: evaluations at once (one sandbox worker each).
        max_llm_failures_in_a_row: stop when the LLM keeps failing.
        max_steps_without_eval: stop when replies keep yielding no new program.
        functional_hashing: run the probe instances first and skip the full evaluation
            of a child whose probe outputs were seen before (a functional duplicate).
        audit_rate: the fraction of functional duplicates evaluated anyway, to measure
            how often equal probe outputs hide different scores (hash collisions); too
            many collisions enlarge the probe (evolve/probe.py).
        target_score: stop once a program scores at least this (e.g. a solved puzzle).
        ordered: store results in step order, so that a deterministic model gives the
            same run at any concurrency (see the module docstring).
    """

    max_evals: int | None = None
    concurrency: int = 4
    workers: int = 2
    max_llm_failures_in_a_row: int = 20
    max_steps_without_eval: int = 200
    functional_hashing: bool = True
    audit_rate: float = 0.05
    target_score: float | None = None
    ordered: bool = False


@dataclass(eq=False)
class _Step:
    """A planned step: its parents and prompt, drawn from its own random stream."""

    index: int
    selection: Selection
    parents: list[ProgramRecord]
    request: LLMRequest
    audit: bool
    probe: str
    ticket: Ticket


@dataclass(frozen=True)
class _Result:
    """What a step produced: the LLM call and, if it answered, the child's outcome."""

    completion: Completion
    call: NewLLMCall
    outcome: Outcome | None


class Engine:
    """Runs the loop of one run against an archive; the archive is the checkpoint."""

    def __init__(
        self,
        *,
        run: RunRecord,
        problem: Problem,
        archive: Archive,
        evaluator: Evaluator,
        gateway: Gateway,
        strategy: Strategy,
        limits: EngineLimits,
        progress: RunProgress,
        first_step: int = 0,
    ) -> None:
        self.run_record, self.problem, self.archive = run, problem, archive
        self.evaluator, self.gateway, self.strategy = evaluator, gateway, strategy
        self.limits, self.progress = limits, progress
        self._next_plan = self._next_take = self._next_store = first_step
        self._window = 1 + WINDOW_PER_CALL * (limits.concurrency - 1)  # 1: as free
        self._planned: deque[_Step] = deque()
        self._finished: dict[int, tuple[_Step, _Result | None]] = {}  # the reorder buffer
        self._open = 0  # steps taken and not yet stored (or dropped)
        self._stop_at: int | None = None  # ordered mode: steps from here on are dropped
        self._storing = first_step
        self._llm_failures_in_a_row = 0
        self._steps_without_eval = 0
        self._changed = asyncio.Condition()
        self._parent_cache: OrderedDict[int, ProgramRecord] = OrderedDict()
        self._twins = Twins(archive, run.id, ordered=limits.ordered, first_step=first_step)
        self._cascade = Cascade(
            evaluator,
            self._twins,
            entry=problem.entry,
            workers=limits.workers,
            functional_hashing=limits.functional_hashing,
        )
        self._failures = RecentFailures(archive, run.id)
        train_size = len(problem.instances("train"))
        self._probe = ProbeGrowth(train_size, run.state.get("probe"))

    async def run(self) -> RunProgress:
        """Seed if needed, then iterate until a limit is reached. Returns the progress."""
        await self.ensure_seed()
        self._plan_ahead()
        workers = [asyncio.create_task(self._worker()) for _ in range(self.limits.concurrency)]
        try:
            done, late = await asyncio.wait(
                workers, timeout=self.gateway.budget.time_left_s, return_when=FIRST_EXCEPTION
            )
            if late and not any(task.exception() for task in done):
                # The time limit: LLM calls and evaluations in flight are abandoned.
                self._stop(self.gateway.budget.exhausted() or "time limit reached")
        finally:
            for task in workers:
                task.cancel()
            outcomes = await asyncio.gather(*workers, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                raise outcome
        return self.progress

    async def step(self) -> None:
        """Take one step and store it (a loop of one step, for benchmarks)."""
        self._plan_ahead()
        if (step := await self._take()) is not None:
            await self._finish(step, await self._execute(step))

    async def _worker(self) -> None:
        while (step := await self._take()) is not None:
            result = None
            try:
                result = await self._execute(step)
            except BudgetExhausted as exc:
                self._stop(str(exc), at=step.index)
            await self._finish(step, result)

    async def _take(self) -> _Step | None:
        """The next step in order, or None once the run must stop; waits while steps in
        flight may fill max_evals (or, in ordered mode, for the window to move on)."""
        async with self._changed:
            await self._changed.wait_for(self._may_take)
            if self._stop_reason():
                return None
            if self.limits.ordered:
                step = self._planned.popleft()
            else:
                step = self._plan(self._next_plan)
                self._next_plan += 1
            self._next_take, self._open = step.index + 1, self._open + 1
            return step

    def _may_take(self) -> bool:
        if self._stop_reason():
            return True
        cap = self.limits.max_evals
        full = cap is not None and self.progress.evaluations + self._open >= cap
        return not full and (bool(self._planned) or not self.limits.ordered)

    def _stop_reason(self) -> str:
        reason = (
            self.progress.stop_reason or self._limit_reached() or self.gateway.budget.exhausted()
        )
        if reason and not self.progress.stop_reason:
            self._stop(reason, at=self._next_take)
        return self.progress.stop_reason

    def _limit_reached(self) -> str:
        """The stops that stored results decide (the same in every ordered run)."""
        cap, target = self.limits.max_evals, self.limits.target_score
        if cap is not None and self.progress.evaluations >= cap:
            return f"evaluation budget ({cap}) reached"
        best = self.progress.best_score
        if target is not None and best is not None and best >= target:
            return f"target score ({target:g}) reached"
        return ""

    def _stop(self, reason: str, at: int | None = None) -> None:
        """Stop taking steps; in ordered mode, drop the results of steps from `at` on
        (default: those after the step being stored)."""
        if not self.progress.stop_reason:
            self.progress.stop_reason = reason
        at = self._storing + 1 if at is None else at
        self._stop_at = at if self._stop_at is None else min(self._stop_at, at)

    def _plan_ahead(self) -> None:
        """Ordered mode: plan the steps up to `window` ahead of the oldest unstored one."""
        while self.limits.ordered and self._next_plan < self._next_store + self._window:
            self._planned.append(self._plan(self._next_plan))
            self._next_plan += 1

    def _plan(self, index: int) -> _Step:
        """Parents, prompt and audit draw of step `index`, from its own random stream."""
        rng = random.Random(f"{self.run_record.seed}:{index}")
        selection = self.strategy.select(rng)
        parents = self._parents(selection.parent_ids)
        request = self._request(parents, rng)
        audit = rng.random() < self.limits.audit_rate
        return _Step(index, selection, parents, request, audit, self._probe.split, Ticket(index))

    async def _execute(self, step: _Step) -> _Result:
        """Ask the LLM; patch, hash and evaluate its child."""
        try:
            completion = await self.gateway.complete(step.request)
            call = call_record(step.request, completion)
            if not completion.ok:
                return _Result(completion, call, None)
            base = NewProgram(
                "", parent_ids=step.selection.parent_ids, island=step.selection.island
            )
            outcome = await self._cascade.child(
                step.ticket, base, step.parents[-1].source, completion.text, step.probe, step.audit
            )
            return _Result(completion, call, outcome)
        finally:
            for kind in KINDS:  # later steps need not wait for a hash this step lacks
                self._twins.skip(kind, step.ticket)

    async def _finish(self, step: _Step, result: _Result | None) -> None:
        """Store the step's result: as it comes, or in step order (the reorder buffer)."""
        if not self.limits.ordered:
            twin = result.outcome.twin if result and result.outcome else None
            if isinstance(twin, Ticket):  # stored once the twin is
                await asyncio.shield(twin.record)
            self._store_step(step, result)
        else:
            self._finished[step.index] = step, result
            while self._next_store in self._finished:
                self._store_step(*self._finished.pop(self._next_store))
                self._next_store += 1
                self._plan_ahead()
        async with self._changed:
            self._changed.notify_all()

    def _store_step(self, step: _Step, result: _Result | None) -> None:
        self._open -= 1
        self._storing = step.index
        dropped = self.limits.ordered and self._stop_at is not None and step.index >= self._stop_at
        record = None if result is None or dropped else self._store_result(result, step.probe)
        self._twins.finish(step.ticket, record)
        if self.limits.ordered and (reason := self._limit_reached()):
            self._stop(reason)

    def _store_result(self, result: _Result, probe: str) -> ProgramRecord | None:
        self._count_call(result.completion)
        if result.outcome is None:
            self.archive.add_llm_call(self.run_record.id, result.call)
            return None
        resolved = result.outcome.resolved()
        if resolved is None:  # its twin was dropped
            return None
        program, twin = resolved
        record = self._store(program, result.call)
        if twin is not None and program.duplicate_kind == "functional_audit":
            self._count_audit(record, twin, probe)
        return record

    def _count_audit(self, audit: ProgramRecord, twin: ProgramRecord, probe: str) -> None:
        """An audit's verdict; too many collisions enlarge the probe (evolve/probe.py)."""
        grown = len(self._probe.state.enlarged_at)
        collision = collided(audit.status, audit.score, twin)
        if self._probe.audited(collision, self.progress.evaluations, probe):
            state = self.archive.get_run(self.run_record.id).state
            state["probe"] = self._probe.state.as_json()
            self.archive.update_run(self.run_record.id, state=state)
        if len(self._probe.state.enlarged_at) > grown:
            self.progress.notes.append(self._probe.note)

    def _parents(self, ids: tuple[int, ...]) -> list[ProgramRecord]:
        """Parent records, from a small LRU cache: the same parents are picked again and again."""
        missing = [i for i in ids if i not in self._parent_cache]
        for record in self.archive.get_programs(missing) if missing else ():
            self._parent_cache[record.id] = record
        for i in ids:
            self._parent_cache.move_to_end(i)
        while len(self._parent_cache) > PARENT_CACHE_SIZE:
            self._parent_cache.popitem(last=False)
        return [self._parent_cache[i] for i in ids]

    def _request(self, parents: list[ProgramRecord], rng: random.Random) -> LLMRequest:
        ids = [p.id for p in parents]
        failures = self._failures.of(ids)
        messages = build_messages(
            self.problem.description,
            self.problem.entry,
            [Shot(p.source, p.score, p.metrics) for p in parents],
            [Failure(f.error_kind, f.error, f.source) for f in failures],
        )
        return LLMRequest(
            messages=tuple(messages),
            parent_source=parents[-1].source,
            other_sources=tuple(p.source for p in parents[:-1]),
            entry=self.problem.entry,
            seed=rng.getrandbits(32),
        )

    def _store(self, program: NewProgram, call: NewLLMCall | None) -> ProgramRecord:
        """Archive a program (with its LLM call) and let the strategy and counters see it."""
        record = self.archive.add_program(self.run_record.id, program, call)
        self._failures.add(record)
        evaluated = record.status not in ("patch_error", "duplicate")
        self.progress.duplicates += record.status == "duplicate"
        self._steps_without_eval = 0 if evaluated else self._steps_without_eval + 1
        if self._steps_without_eval >= self.limits.max_steps_without_eval:
            self._stop(f"no new program in the last {self._steps_without_eval} LLM replies")
        if evaluated:
            self.progress.evaluations += 1
        if record.error_kind:
            self.progress.errors[record.error_kind] += 1
        if record.status == "ok" and record.score is not None:
            self.strategy.add(scored_program(record))
            self.progress.offer_best(record.id, record.score)
        elif record.status != "duplicate" and not record.is_seed:  # a failed child
            kind = record.error_kind or record.status
            self.strategy.on_failure(Selection(record.island, record.parent_ids), kind)
        return record

    def _count_call(self, completion: Completion) -> None:
        self.progress.count_call(completion)  # an LLM call or a mutator step
        if completion.ok:
            self._llm_failures_in_a_row = 0
            return
        self._llm_failures_in_a_row += 1
        if self._llm_failures_in_a_row >= self.limits.max_llm_failures_in_a_row:
            self._stop(
                f"the LLM failed {self._llm_failures_in_a_row} times in a row; "
                f"last error: {completion.error}"
            )

    async def ensure_seed(self) -> None:
        """Evaluate and store the template once per run; a resumed run keeps its seed."""
        if self.strategy.size:
            return
        template = self.problem.template
        seed = NewProgram(template, syntactic_hash=syntactic_hash(template))
        record = self._store(await self._cascade.seed(seed, self._probe.split), None)
        if record.status != "ok":
            raise ProblemError(
                f"the seed program of {self.problem.name} fails ({record.status}): {record.error}"
            )
        self.progress.seed_score = record.score


def scored_program(record: ProgramRecord) -> ScoredProgram:
    """The light view of a program that the strategy keeps in memory."""
    assert record.score is not None and math.isfinite(record.score)
    signature = tuple(record.scores[name] for name in sorted(record.scores))
    length, island = len(record.source), record.island
    return ScoredProgram(record.id, record.score, signature, length, island, record.metrics)
