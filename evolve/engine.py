"""The steady-state asynchronous loop (DESIGN.md §2).

`concurrency` workers each repeat one iteration: select parents, build a prompt, ask the
LLM, patch, hash, evaluate, archive, update the strategy. There are no generations: as soon
as one reply is evaluated the worker builds its next prompt. Every failure is stored as data.
"""

from __future__ import annotations

import asyncio
import math
import random
from asyncio import FIRST_EXCEPTION
from collections import OrderedDict
from dataclasses import dataclass, replace

from archive import Archive, NewLLMCall, NewProgram, ProgramRecord, RunRecord, syntactic_hash
from evolve.evaluate import Evaluation, Evaluator
from evolve.exceptions import BudgetExhausted, PatchError
from evolve.feedback import RecentFailures
from evolve.llm import Completion, Gateway, LLMRequest, prompt_hash
from evolve.patches import apply_reply
from evolve.progress import RunProgress
from evolve.prompts import Failure, Shot, build_messages
from evolve.strategies.base import ScoredProgram, Selection, Strategy
from evolve.twins import Twins
from problems.base import Problem, ProblemError

__all__ = ["Engine", "EngineLimits"]

PARENT_CACHE_SIZE = 256  # records, not growing with the archive


@dataclass(frozen=True)
class EngineLimits:
    """When the loop stops (beyond the LLM budget, which the gateway enforces) and how
    much evaluation it skips.

    Attributes:
        max_evals: evaluations in the whole run (resumed sessions included).
        concurrency: LLM calls in flight.
        workers: evaluations at once (one sandbox worker each).
        max_llm_failures_in_a_row: stop when the LLM keeps failing.
        max_steps_without_eval: stop when replies keep yielding no new program.
        functional_hashing: run the probe instances first and skip the full evaluation
            of a child whose probe outputs were seen before (a functional duplicate).
        audit_rate: the fraction of functional duplicates evaluated anyway, to measure
            how often equal probe outputs hide different scores (hash collisions).
        target_score: stop once a program scores at least this (e.g. a solved puzzle).
    """

    max_evals: int | None = None
    concurrency: int = 4
    workers: int = 2
    max_llm_failures_in_a_row: int = 20
    max_steps_without_eval: int = 200
    functional_hashing: bool = True
    audit_rate: float = 0.05
    target_score: float | None = None


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
        self._next_step = first_step
        self._in_flight = 0
        self._llm_failures_in_a_row = 0
        self._steps_without_eval = 0
        self._eval_slots = asyncio.Semaphore(limits.workers)
        self._changed = asyncio.Condition()
        self._parent_cache: OrderedDict[int, ProgramRecord] = OrderedDict()
        self._twins = Twins(archive, run.id)
        self._failures = RecentFailures(archive, run.id)

    async def run(self) -> RunProgress:
        """Seed if needed, then iterate until a limit is reached. Returns the progress."""
        await self.ensure_seed()
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

    async def _worker(self) -> None:
        while await self._wait_for_turn():
            self._in_flight += 1
            try:
                await self.step()
            except BudgetExhausted as exc:
                self._stop(str(exc))
            finally:
                self._in_flight -= 1
                async with self._changed:
                    self._changed.notify_all()

    async def _wait_for_turn(self) -> bool:
        """False once the run must stop; waits while in-flight steps may fill max_evals."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._stop_reason() or not self._evals_full())
            return not self._stop_reason()

    def _evals_full(self) -> bool:
        cap = self.limits.max_evals
        return cap is not None and self.progress.evaluations + self._in_flight >= cap

    def _stop_reason(self) -> str:
        if not self.progress.stop_reason:
            cap = self.limits.max_evals
            if cap is not None and self.progress.evaluations >= cap:
                self.progress.stop_reason = f"evaluation budget ({cap}) reached"
            elif reason := self.gateway.budget.exhausted():
                self.progress.stop_reason = reason
            elif self._target_reached():
                self.progress.stop_reason = f"target score ({self.limits.target_score:g}) reached"
        return self.progress.stop_reason

    def _target_reached(self) -> bool:
        target, best = self.limits.target_score, self.progress.best_score
        return target is not None and best is not None and best >= target

    def _stop(self, reason: str) -> None:
        if not self.progress.stop_reason:
            self.progress.stop_reason = reason

    async def step(self) -> None:
        """One iteration: prompt, reply, child, evaluation, archive, strategy."""
        index, self._next_step = self._next_step, self._next_step + 1
        rng = random.Random(f"{self.run_record.seed}:{index}")
        selection = self.strategy.select(rng)
        parents = self._parents(selection.parent_ids)
        request = self._request(parents, rng)
        completion = await self.gateway.complete(request)
        call = _call_record(request, completion)
        self._count_call(completion)
        if not completion.ok:
            self.archive.add_llm_call(self.run_record.id, call)
            return
        audit = rng.random() < self.limits.audit_rate
        await self._consider_child(parents[-1], completion.text, selection, call, audit)

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

    async def _consider_child(
        self, parent: ProgramRecord, reply: str, selection: Selection, call: NewLLMCall, audit: bool
    ) -> None:
        """Patch, skip twins, evaluate in cascade (probe, then train), store."""
        base = NewProgram(source="", parent_ids=selection.parent_ids, island=selection.island)
        try:
            child = apply_reply(parent.source, reply, self.problem.entry)
        except PatchError as exc:
            failed = replace(
                base, status="patch_error", error=str(exc), error_kind=f"patch:{exc.kind}"
            )
            self._store(failed, call)
            return
        digest = syntactic_hash(child)
        base = replace(base, source=child, syntactic_hash=digest)
        if earlier := await self._twins.find("syntactic", digest):
            self._store(_duplicate(base, earlier, "syntactic"), call)
            return
        with self._twins.claim("syntactic", digest) as claim:
            claim.record = await self._evaluate_child(base, call, audit)

    async def _evaluate_child(
        self, program: NewProgram, call: NewLLMCall | None, audit: bool = False
    ) -> ProgramRecord:
        """Probe first: a failure or a functional twin there saves the full evaluation."""
        if not self.limits.functional_hashing:
            return self._store(_with_result(program, await self.evaluate(program.source)), call)
        probe = await self.evaluate(program.source, "probe")
        if not probe.ok:
            return self._store(_with_result(program, probe, stage="probe"), call)
        program = replace(program, functional_hash=probe.outputs_hash, eval_s=probe.eval_s)
        earlier = await self._twins.find("functional", probe.outputs_hash)
        if earlier is not None and not audit:
            return self._store(_duplicate(program, earlier, "functional"), call)
        if earlier is not None:  # audited: evaluated anyway, to measure hash collisions
            program = replace(program, duplicate_of=earlier.id, duplicate_kind="functional_audit")
        with self._twins.claim("functional", probe.outputs_hash) as claim:
            record = self._store(_with_result(program, await self.evaluate(program.source)), call)
            claim.record = None if earlier else record
        return record

    async def evaluate(self, source: str, split: str = "train") -> Evaluation:
        async with self._eval_slots:
            return await self.evaluator.evaluate(source, split)

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
        return record

    def _count_call(self, completion: Completion) -> None:
        self.progress.llm_calls += 1
        self.progress.prompt_tokens += completion.prompt_tokens
        self.progress.completion_tokens += completion.completion_tokens
        self.progress.cost_usd += completion.cost_usd
        if completion.ok:
            self.progress.llm_answers += 1
            self._llm_failures_in_a_row = 0
            return
        self.progress.errors[f"llm:{completion.error_kind}"] += 1
        self.progress.last_llm_error = completion.error
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
        record = await self._evaluate_child(seed, None)
        if record.status != "ok":
            raise ProblemError(
                f"the seed program of {self.problem.name} fails ({record.status}): {record.error}"
            )
        self.progress.seed_score = record.score


def scored_program(record: ProgramRecord) -> ScoredProgram:
    """The light view of a program that the strategy keeps in memory."""
    assert record.score is not None and math.isfinite(record.score)
    signature = tuple(record.scores[name] for name in sorted(record.scores))
    return ScoredProgram(record.id, record.score, signature, len(record.source), record.island)


def _with_result(program: NewProgram, evaluation: Evaluation, stage: str = "") -> NewProgram:
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


def _duplicate(program: NewProgram, earlier: ProgramRecord, kind: str) -> NewProgram:
    """A program not evaluated because `earlier` computes the same thing."""
    return replace(
        program,
        status="duplicate",
        score=earlier.score,
        scores=earlier.scores,
        metrics=earlier.metrics,
        duplicate_of=earlier.id,
        duplicate_kind=kind,
    )


def _call_record(request: LLMRequest, completion: Completion) -> NewLLMCall:
    return NewLLMCall(
        model=completion.model,
        messages=list(request.messages),
        prompt_hash=prompt_hash(request.messages),
        reply=completion.text,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        cost_usd=completion.cost_usd,
        latency_s=completion.latency_s,
        error=completion.error,
        error_kind=completion.error_kind,
    )
