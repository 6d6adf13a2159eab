"""Engine overhead per candidate and throughput under LLM latency (DESIGN.md §7).

1. Overhead: an instant fake LLM and an instant evaluator, so each step's time is the
   engine's own work (select, prompt, parse, hash, archive reads and insert). Target ≤ 5 ms.
2. Throughput: a fake LLM that answers in 1 s, real sandbox workers, candidates that take
   ~0.1 s to evaluate; evaluations per second at concurrency 1, 8 and 32, next to the ideal
   min(concurrency / (latency + eval), workers / eval). Target ≥ 0.9 × cores / eval time
   when the LLM side is not the limit.

    python benchmarks/engine_overhead.py [--steps 500] [--seconds 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import tempfile
import time
from pathlib import Path

import problems
from archive import Archive
from evolve.budget import Budget, BudgetLimits
from evolve.engine import Engine, EngineLimits
from evolve.evaluate import Evaluation, Evaluator
from evolve.llm import Completion, Gateway, LLMRequest
from evolve.progress import RunProgress
from evolve.strategies.funsearch import FunSearchConfig, FunSearchStrategy
from sandbox import Sandbox

TINY = str(Path(__file__).resolve().parent.parent / "tests" / "data" / "tiny")


class ScriptedLLM:
    """Answers every prompt with a new program after `latency_s` (0 = at once)."""

    def __init__(self, latency_s: float, busy_ms: float = 0.0) -> None:
        self.model, self.latency_s, self.busy_ms = "bench", latency_s, busy_ms
        self.counter = itertools.count()

    async def complete(self, request: LLMRequest) -> Completion:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        n = next(self.counter)
        busy = (
            (
                f"    end = time.perf_counter() + {self.busy_ms / 1000}\n"
                "    while time.perf_counter() < end:\n        pass\n"
            )
            if self.busy_ms
            else ""
        )
        body = f"def f(x):\n    import time\n{busy}    return 3 * x + {n % 1000} / 1000\n"
        return Completion(
            model=self.model, text=f"```python\n{body}```", prompt_tokens=200, completion_tokens=40
        )


class InstantEvaluator(Evaluator):
    """Scores without running anything: isolates the engine's own overhead."""

    def __init__(self) -> None:  # no problem, no sandbox
        pass

    async def evaluate(self, source: str, split: str = "train") -> Evaluation:
        score = -float(len(source) % 97)
        return Evaluation("ok", score, {"a": score, "b": score / 2}, {"score": score})


def make_engine(
    db: str,
    llm: ScriptedLLM,
    evaluator: Evaluator,
    *,
    concurrency: int,
    workers: int,
    max_evals: int | None,
    name: str,
    functional_hashing: bool = True,
) -> Engine:
    problem = problems.load(TINY)
    archive = Archive(db)
    run = archive.create_run(name, problem.name, {}, 0)
    return Engine(
        run=run,
        problem=problem,
        archive=archive,
        evaluator=evaluator,
        gateway=Gateway([(llm, 1.0)], Budget(BudgetLimits()), random.Random(0)),
        strategy=FunSearchStrategy(FunSearchConfig(num_islands=4), seed=0),
        limits=EngineLimits(
            max_evals=max_evals,
            concurrency=concurrency,
            workers=workers,
            max_steps_without_eval=10**9,
            # Off for the throughput figures: every candidate then costs exactly eval_s,
            # so the ideal rate is known. (The overhead figure includes both lookups.)
            functional_hashing=functional_hashing,
        ),
        progress=RunProgress(run.id, name, problem.name, [llm.model]),
    )


async def step_times(engine: Engine, steps: int) -> list[float]:
    await engine.ensure_seed()
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        await engine.step()
        times.append(time.perf_counter() - started)
    return times


def overhead(db: str, steps: int) -> None:
    engine = make_engine(
        db,
        ScriptedLLM(0.0),
        InstantEvaluator(),
        concurrency=1,
        workers=1,
        max_evals=None,
        name="overhead",
    )
    times = asyncio.run(step_times(engine, steps))[steps // 10 :]  # skip warm-up
    ms = sorted(t * 1000 for t in times)
    print(
        f"engine overhead per candidate ({len(ms)} steps): median {statistics.median(ms):.2f} ms,"
        f" p90 {ms[int(0.9 * len(ms))]:.2f} ms  (target <= 5 ms)"
    )


def throughput(db: str, concurrency: int, seconds: float, workers: int, eval_s: float) -> None:
    problem = problems.load(TINY)
    # The tiny problem has 4 train instances: busy eval_s/4 in each.
    llm = ScriptedLLM(1.0, busy_ms=eval_s * 1000 / 4)
    with Sandbox(workers, preload=(), sys_path=problem.sys_path) as sandbox:
        evaluator = Evaluator(problem, sandbox)
        engine = make_engine(
            db,
            llm,
            evaluator,
            concurrency=concurrency,
            workers=workers,
            max_evals=None,
            name=f"throughput-{concurrency}",
            functional_hashing=False,
        )

        async def timed() -> float:
            await engine.ensure_seed()
            task = asyncio.create_task(engine.run())
            await asyncio.sleep(2 * (1.0 + eval_s))  # steady state: replies keep arriving
            start = engine.progress.evaluations
            await asyncio.sleep(seconds)
            engine.progress.stop_reason = "benchmark time"
            done = engine.progress.evaluations - start
            task.cancel()
            return done / seconds

        rate = asyncio.run(timed())
    ideal = min(concurrency / (1.0 + eval_s), workers / eval_s)
    print(
        f"concurrency {concurrency:>2}: {rate:6.2f} evals/s  ideal {ideal:6.2f}  "
        f"ratio {rate / ideal:.2f}  (cores/eval = {workers / eval_s:.1f}/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--eval-s", type=float, default=0.1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        overhead(f"sqlite:///{tmp}/overhead.db", args.steps)
        for concurrency in (1, 8, 32):
            throughput(
                f"sqlite:///{tmp}/t{concurrency}.db",
                concurrency,
                args.seconds,
                args.workers,
                args.eval_s,
            )


if __name__ == "__main__":
    main()
