"""The loop against fakes: limits, failures as data, duplicates, resume."""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

import problems
from archive import Archive, RunRecord
from evolve.budget import Budget, BudgetLimits
from evolve.engine import Engine, EngineLimits, scored_program
from evolve.evaluate import Evaluator
from evolve.llm import Completion, Gateway, LLMRequest
from evolve.progress import RunProgress
from evolve.strategies.funsearch import FunSearchConfig, FunSearchStrategy
from sandbox import Result
from sandbox.result import Job
from tests.fakes import FakeLLM, in_process_sandbox


def fence(body: str) -> str:
    return f"Here you go:\n```python\n{body}\n```\n"


def make_engine(
    archive: Archive,
    run: RunRecord,
    problem_path: str,
    llm: FakeLLM,
    *,
    max_evals: int = 10,
    max_calls: int | None = None,
    concurrency: int = 3,
    strategy: FunSearchStrategy | None = None,
    audit_rate: float = 0.0,
    ordered: bool = False,
) -> Engine:
    problem = problems.load(problem_path)
    strategy = strategy or FunSearchStrategy(FunSearchConfig(num_islands=2), seed=0)
    progress = RunProgress(run.id, run.name, problem.name, [llm.model])
    budget = Budget(BudgetLimits(max_llm_calls=max_calls))
    return Engine(
        run=run,
        problem=problem,
        archive=archive,
        evaluator=Evaluator(problem, in_process_sandbox()),  # type: ignore[arg-type]
        gateway=Gateway([(llm, 1.0)], budget, random.Random(0)),
        strategy=strategy,
        limits=EngineLimits(
            max_evals=max_evals,
            concurrency=concurrency,
            workers=2,
            audit_rate=audit_rate,
            ordered=ordered,
        ),
        progress=progress,
    )


@pytest.fixture
def archive(db_url: str) -> Archive:
    return Archive(db_url)


def counter_replies() -> FakeLLM:
    """A new program for every call; the fifth is the exact answer 3*x + 1."""
    counter = itertools.count()

    def reply(request: LLMRequest) -> str:
        n = next(counter)
        return fence(f"def f(x):\n    return 3 * x + {1 if n == 4 else n + 2}")

    return FakeLLM(reply)


@pytest.mark.parametrize("ordered", [False, True])
def test_runs_to_exactly_max_evals_and_finds_better(
    archive: Archive, tiny_problem_path: str, ordered: bool
) -> None:
    run = archive.create_run("r", "tiny", {}, 0)
    engine = make_engine(
        archive, run, tiny_problem_path, counter_replies(), max_evals=12, ordered=ordered
    )
    progress = asyncio.run(engine.run())
    assert progress.evaluations == 12  # the seed counts as one evaluation
    assert progress.best_score == 0.0  # 3*x + 1 is exact
    assert progress.best_score > progress.seed_score
    assert "evaluation budget" in progress.stop_reason
    assert archive.summary(run.id).evaluations == 12


@pytest.mark.parametrize("ordered", [False, True])
def test_failures_are_stored_as_data(
    archive: Archive, tiny_problem_path: str, ordered: bool
) -> None:
    replies = iter(
        [
            "I cannot help with that.",  # no code
            fence("def f(x):\n    return 1 / 0"),  # raises
            fence("def f(x):\n    return 'seven'"),  # invalid output
            fence("def f(x)\n    return x"),  # syntax error
            fence("def f(x):\n    return 3 * x + 1"),
        ]
    )
    llm = FakeLLM(lambda request: next(replies, fence("def f(x):\n    return x + 1")))
    run = archive.create_run("r", "tiny", {}, 0)
    progress = asyncio.run(
        make_engine(
            archive, run, tiny_problem_path, llm, max_evals=5, concurrency=1, ordered=ordered
        ).run()
    )
    kinds = set(progress.errors)
    assert {"patch:no_code", "sandbox:error", "invalid_output"} <= kinds
    assert any(k.startswith("patch:") and k != "patch:no_code" for k in kinds)
    statuses = [p.status for p in archive.iter_programs(run.id)]
    assert statuses.count("patch_error") == 2 and "error" in statuses and "invalid" in statuses
    assert progress.best_score == 0.0


@pytest.mark.slow
def test_error_text_reaches_a_later_prompt(archive: Archive, tiny_problem_path: str) -> None:
    llm = FakeLLM(lambda request: fence("def f(x):\n    raise ValueError('boom 42')"))
    run = archive.create_run("r", "tiny", {}, 0)
    asyncio.run(make_engine(archive, run, tiny_problem_path, llm, max_evals=4, concurrency=1).run())
    later_prompt = "\n".join(m["content"] for m in llm.requests[-1].messages)
    assert "boom 42" in later_prompt


@pytest.mark.parametrize("ordered", [False, True])
def test_syntactic_duplicates_are_not_evaluated_again(
    archive: Archive, tiny_problem_path: str, ordered: bool
) -> None:
    # the same program, written three ways (comment, spacing, local name)
    bodies = [
        "def f(x):\n    return 2 * x",
        "def f(x):  # twice\n    return 2*x",
        "def f(y):\n    return 2 * y",
    ]
    replies = iter(bodies)
    llm = FakeLLM(lambda request: fence(next(replies, "def f(x):\n    return 3 * x + 1")))
    run = archive.create_run("r", "tiny", {}, 0)
    engine = make_engine(
        archive, run, tiny_problem_path, llm, max_evals=3, concurrency=1, ordered=ordered
    )
    progress = asyncio.run(engine.run())
    assert progress.duplicates == 2
    assert len(engine.evaluator.sandbox.jobs) == 6  # probe + train: seed, 2*x, 3*x+1
    duplicates = [p for p in archive.iter_programs(run.id) if p.status == "duplicate"]
    assert len(duplicates) == 2 and all(
        d.duplicate_of == duplicates[0].duplicate_of for d in duplicates
    )


@pytest.mark.parametrize("ordered", [False, True])
def test_llm_failures_are_recorded_and_a_dead_llm_stops_the_run(
    archive: Archive, tiny_problem_path: str, ordered: bool
) -> None:
    down = Completion(model="fake", text="", error="HTTP 500", error_kind="server_error")
    llm = FakeLLM(lambda request: down)
    run = archive.create_run("r", "tiny", {}, 0)
    progress = asyncio.run(
        make_engine(archive, run, tiny_problem_path, llm, max_evals=50, ordered=ordered).run()
    )
    assert "failed 20 times in a row" in progress.stop_reason
    assert progress.errors["llm:server_error"] >= 20
    assert archive.summary(run.id).llm_calls == progress.llm_calls


@pytest.mark.parametrize("ordered", [False, True])
def test_call_budget_is_never_overshot(
    archive: Archive, tiny_problem_path: str, ordered: bool
) -> None:
    run = archive.create_run("r", "tiny", {}, 0)
    engine = make_engine(
        archive,
        run,
        tiny_problem_path,
        counter_replies(),
        max_evals=100,
        max_calls=7,
        concurrency=5,
        ordered=ordered,
    )
    progress = asyncio.run(engine.run())
    assert progress.llm_calls == 7 and archive.summary(run.id).llm_calls == 7
    assert "budget" in progress.stop_reason


def test_rebuilt_strategy_resumes_without_a_second_seed(
    archive: Archive, tiny_problem_path: str
) -> None:
    run = archive.create_run("r", "tiny", {}, 0)
    asyncio.run(make_engine(archive, run, tiny_problem_path, counter_replies(), max_evals=6).run())
    strategy = FunSearchStrategy(FunSearchConfig(num_islands=2), seed=0)
    for record in archive.iter_programs(run.id):
        if record.status == "ok":
            strategy.add(scored_program(record))
    engine = make_engine(
        archive, run, tiny_problem_path, counter_replies(), max_evals=10, strategy=strategy
    )
    engine.progress.evaluations = archive.summary(run.id).evaluations
    asyncio.run(engine.run())
    programs = list(archive.iter_programs(run.id))
    assert sum(p.is_seed for p in programs) == 1
    assert archive.summary(run.id).evaluations == 10
    ids = {p.id for p in programs}
    assert all(set(p.parent_ids) <= ids for p in programs)


def test_requests_carry_parents_best_last(archive: Archive, tiny_problem_path: str) -> None:
    llm = counter_replies()
    run = archive.create_run("r", "tiny", {}, 0)
    asyncio.run(make_engine(archive, run, tiny_problem_path, llm, max_evals=8).run())
    score_of = {p.source: p.score for p in archive.iter_programs(run.id) if p.score is not None}
    several = [r for r in llm.requests if r.other_sources]
    assert several, "no prompt showed more than one parent"
    for request in several:
        scores = [score_of[s] for s in (*request.other_sources, request.parent_source)]
        assert scores == sorted(scores)  # best (the parent) last
        prompt = request.messages[-1]["content"]
        shown = re.findall(r"### Version \d+[^(\n]*\(score (\S+?)[;)]", prompt)
        assert [float(s) for s in shown] == pytest.approx(scores, rel=1e-5)
        assert request.entry == "f"


@pytest.mark.slow
@pytest.mark.parametrize("ordered", [False, True])
def test_time_limit_abandons_slow_calls(
    archive: Archive, tiny_problem_path: str, ordered: bool
) -> None:
    problem_llm = counter_replies()
    problem_llm.latency_s = 30.0  # far beyond the time limit
    run = archive.create_run("r", "tiny", {}, 0)
    engine = make_engine(
        archive, run, tiny_problem_path, problem_llm, max_evals=100, ordered=ordered
    )
    engine.gateway.budget.limits = BudgetLimits(time_limit_s=0.5)
    started = time.monotonic()
    progress = asyncio.run(engine.run())
    assert time.monotonic() - started < 5
    assert "time limit" in progress.stop_reason
    assert progress.evaluations == 1  # only the seed


def scripted(bodies: list[str]) -> FakeLLM:
    replies = iter(bodies)
    return FakeLLM(lambda request: fence(next(replies, "def f(x):\n    return 3 * x + 1")))


SAME_FUNCTION = [  # written three different ways, computing the same thing
    "def f(x):\n    return 2 * x",
    "def f(x):\n    return x + x",
    "def f(x):\n    y = x * 2\n    return y",
]


@pytest.mark.slow
@pytest.mark.parametrize("ordered", [False, True])
def test_functional_duplicates_skip_the_full_evaluation(
    archive: Archive, tiny_problem_path: str, ordered: bool
) -> None:
    run = archive.create_run("r", "tiny", {}, 0)
    llm = scripted([*SAME_FUNCTION, "def f(x):\n    return 2 * x + 0.5"])
    engine = make_engine(
        archive, run, tiny_problem_path, llm, max_evals=3, concurrency=1, ordered=ordered
    )
    sandbox = engine.evaluator.sandbox
    sandbox.handler = _slowed(sandbox.handler, INSTANCE_S)  # type: ignore[attr-defined]
    progress = asyncio.run(engine.run())
    twins = [p for p in archive.iter_programs(run.id) if p.duplicate_kind == "functional"]
    assert len(twins) == 2 and progress.duplicates == 2
    original = archive.get_program(twins[0].duplicate_of)
    assert "return 2 * x\n" in original.source
    assert all(t.score == original.score for t in twins)
    assert all(t.functional_hash == original.functional_hash for t in twins)
    assert len(engine.evaluator.sandbox.jobs) == 2 + 2 + 1 + 1 + 2  # seed, 2*x, 2 probes, 2*x+0.5
    summary = archive.summary(run.id)
    assert summary.duplicates_functional == 2
    # each twin ran the 2 probe instances; its original ran those and the 4 train ones
    saved = sum(original.eval_s - t.eval_s for t in twins)
    assert summary.seconds_saved == pytest.approx(saved)
    assert saved > len(twins) * 2 * INSTANCE_S  # at least half of the skipped train runs


INSTANCE_S = 0.02  # seconds a slowed sandbox spends on each instance


def _slowed(handler: Callable[[Job, Any], Result], seconds: float) -> Callable[[Job, Any], Result]:
    """A sandbox handler that takes `seconds` per instance, so time saved is measurable."""

    def slow(job: Job, instances: Any) -> Result:
        time.sleep(seconds * len(instances or ()))
        return handler(job, instances)

    return slow


def test_audits_measure_collisions(archive: Archive, tiny_problem_path: str) -> None:
    run = archive.create_run("r", "tiny", {}, 0)
    llm = scripted(SAME_FUNCTION)
    engine = make_engine(
        archive, run, tiny_problem_path, llm, max_evals=4, concurrency=1, audit_rate=1.0
    )
    asyncio.run(engine.run())
    summary = archive.summary(run.id)
    assert summary.audits == 2 and summary.collisions == 0 and summary.collision_rate == 0.0


@pytest.mark.parametrize("ordered", [False, True])
def test_overlapping_audits_of_functional_twins(
    archive: Archive, tiny_problem_path: str, ordered: bool
) -> None:
    """Twins audited at the same time both claim their functional hash (cap set crashed)."""
    run = archive.create_run("r", "tiny", {}, 0)
    same = [f"def f(x):\n    return {k} * x - {k - 2} * x" for k in range(3, 12)]
    engine = make_engine(
        archive,
        run,
        tiny_problem_path,
        scripted(same),
        max_evals=8,
        concurrency=3,
        audit_rate=1.0,
        ordered=ordered,
    )
    asyncio.run(engine.run())
    audited = [p for p in archive.iter_programs(run.id) if p.duplicate_kind == "functional_audit"]
    assert len(audited) >= 2  # evaluated anyway, as twins of 2 * x
    summary = archive.summary(run.id)
    assert summary.audits == len(audited) and summary.collisions == 0


def test_probe_failure_stops_the_cascade(archive: Archive, tiny_problem_path: str) -> None:
    run = archive.create_run("r", "tiny", {}, 0)
    llm = scripted(["def f(x):\n    if x == 7:\n        raise ValueError('seven')\n    return x"])
    engine = make_engine(archive, run, tiny_problem_path, llm, max_evals=2, concurrency=1)
    asyncio.run(engine.run())
    failed = [p for p in archive.iter_programs(run.id) if p.status == "error"]
    assert len(failed) == 1 and "on the probe instances" in failed[0].error
    assert len(engine.evaluator.sandbox.jobs) == 2 + 1  # seed (probe + train), the failed probe


@pytest.mark.parametrize("ordered", [False, True])
def test_cached_failures_match_the_archive(
    archive: Archive, tiny_problem_path: str, ordered: bool
) -> None:
    llm = scripted([f"def f(x):\n    raise ValueError('boom {i}')" for i in range(6)])
    run = archive.create_run("r", "tiny", {}, 0)
    engine = make_engine(
        archive, run, tiny_problem_path, llm, max_evals=7, concurrency=2, ordered=ordered
    )
    asyncio.run(engine.run())
    seed = next(p.id for p in archive.iter_programs(run.id) if p.is_seed)
    cached = engine._failures.of([seed])
    stored = archive.recent_failures(run.id, [seed], limit=engine._failures.limit)
    assert [r.id for r in cached] == [r.id for r in stored]
    assert len(cached) == 6


@pytest.mark.slow
@pytest.mark.parametrize("ordered", [False, True])
def test_target_score_stops_the_run(
    archive: Archive, tiny_problem_path: str, ordered: bool
) -> None:
    run = archive.create_run("r", "tiny", {}, 0)
    engine = make_engine(
        archive,
        run,
        tiny_problem_path,
        counter_replies(),
        max_evals=100,
        concurrency=1,
        ordered=ordered,
    )
    engine.limits = replace(engine.limits, target_score=0.0)  # 3*x + 1 is exact: score 0
    progress = asyncio.run(engine.run())
    assert progress.best_score == 0.0 and "target score" in progress.stop_reason
    assert progress.evaluations < 10
