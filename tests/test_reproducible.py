"""Same seed, same run: results are stored in step order whatever finishes first."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

import problems
from archive import Archive
from evolve.budget import Budget, BudgetLimits
from evolve.cascade import Slots
from evolve.engine import Engine, EngineLimits
from evolve.evaluate import Evaluator
from evolve.llm import Gateway
from evolve.mutate import MutateLLM
from evolve.progress import RunProgress
from evolve.runner import prepare_run
from evolve.strategies.funsearch import FunSearchConfig, FunSearchStrategy
from sandbox import FakeSandbox, Result
from tests.fakes import _run_in_process

Row = tuple[Any, ...]


class ShuffledSandbox(FakeSandbox):
    """Runs candidates in this process after a random delay from the operating system's
    entropy, so evaluations finish in a different order in every run."""

    def __init__(self) -> None:
        super().__init__(_run_in_process)
        self._entropy = random.SystemRandom()

    async def arun(self, *args: Any, **kwargs: Any) -> Result:
        await asyncio.sleep(self._entropy.random() * 0.004)
        return await super().arun(*args, **kwargs)


def run_engine(
    db_url: str,
    problem_path: str,
    seed: int,
    *,
    ordered: bool = True,
    max_evals: int = 24,
    concurrency: int = 4,
) -> list[Row]:
    archive = Archive(db_url)
    run = archive.create_run(f"r{seed}-{len(archive.list_runs())}", "p", {}, seed)
    problem = problems.load(problem_path)
    engine = Engine(
        run=run,
        problem=problem,
        archive=archive,
        evaluator=Evaluator(problem, ShuffledSandbox()),  # type: ignore[arg-type]
        gateway=Gateway([(MutateLLM(), 1.0)], Budget(BudgetLimits()), random.Random(seed)),
        strategy=FunSearchStrategy(FunSearchConfig(num_islands=2, reset_period=10), seed=seed),
        limits=EngineLimits(
            max_evals=max_evals,
            concurrency=concurrency,
            workers=2,
            audit_rate=0.3,
            ordered=ordered,
        ),
        progress=RunProgress(run.id, run.name, problem.name, ["builtin:mutate"]),
    )
    asyncio.run(engine.run())
    return sequence(archive, run.id)


def sequence(archive: Archive, run_id: int) -> list[Row]:
    """Each program in storage order: parents and twin by position, source, result."""
    programs = list(archive.iter_programs(run_id))
    position = {p.id: i for i, p in enumerate(programs)}
    return [
        (
            tuple(position[i] for i in p.parent_ids),
            p.source,
            p.status,
            p.score,
            p.duplicate_kind,
            position.get(p.duplicate_of) if p.duplicate_of else None,
            p.island,
        )
        for p in programs
    ]


@pytest.mark.slow
def test_same_seed_same_programs_at_concurrency_4(db_url: str, tiny_problem_path: str) -> None:
    first = run_engine(db_url, tiny_problem_path, seed=3)
    assert len(first) > 24  # duplicates and failures besides the evaluations
    assert {row[4] for row in first} >= {"", "functional"}
    for _ in range(2):
        assert run_engine(db_url, tiny_problem_path, seed=3) == first


@pytest.mark.slow
def test_another_seed_gives_another_run(db_url: str, tiny_problem_path: str) -> None:
    assert run_engine(db_url, tiny_problem_path, seed=3) != run_engine(
        db_url, tiny_problem_path, seed=4
    )


@pytest.mark.slow
def test_one_call_at_a_time_is_the_same_run_in_either_mode(
    db_url: str, tiny_problem_path: str
) -> None:
    """So a run of a real LLM at --concurrency 1 (not ordered) can be replayed exactly
    (replay: is ordered)."""
    free = run_engine(db_url, tiny_problem_path, seed=2, ordered=False, concurrency=1)
    assert run_engine(db_url, tiny_problem_path, seed=2, ordered=True, concurrency=1) == free


@pytest.mark.slow
def test_a_run_through_the_real_sandbox_is_reproducible(
    tmp_path: Any, tiny_problem_path: str
) -> None:
    """The CLI's path: builtin:mutate is deterministic, so a run is ordered by default."""
    runs = []
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        prepared = prepare_run(
            {
                "problem": tiny_problem_path,
                "db": f"sqlite:///{tmp_path / name}.db",
                "max_evals": 15,
                "concurrency": 3,
                "workers": 2,
                "seed": seed,
                "validate_top": 0,
                "models": ("builtin:mutate",),
            }
        )
        prepared.execute()
        runs.append(sequence(prepared.archive, prepared.run.id))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


@pytest.mark.parametrize("ordered", [True, False])
def test_stops_leave_no_step_half_stored(
    db_url: str, tiny_problem_path: str, ordered: bool
) -> None:
    rows = run_engine(db_url, tiny_problem_path, seed=7, ordered=ordered, max_evals=12)
    evaluated = [r for r in rows if r[2] not in ("duplicate", "patch_error")]
    assert len(evaluated) == 12


def test_sandbox_slots_serve_the_oldest_step_first() -> None:
    async def scenario() -> list[int]:
        slots, order = Slots(1), []

        async def use(priority: int) -> None:
            async with slots.hold(priority):
                order.append(priority)
                await asyncio.sleep(0.001)

        holder = asyncio.create_task(use(0))
        await asyncio.sleep(0)
        waiters = [asyncio.create_task(use(p)) for p in (7, 3, 9, 5)]
        await asyncio.sleep(0)
        waiters[2].cancel()  # a cancelled waiter gives its turn away
        await asyncio.gather(holder, *waiters, return_exceptions=True)
        async with slots.hold(1):  # the slot is free again
            pass
        return order

    assert asyncio.run(scenario()) == [0, 3, 5, 7]
