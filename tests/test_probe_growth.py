"""A probe that cannot tell programs apart grows, and says so (evolve/probe.py)."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from rich.console import Console

import problems
from archive import Archive, RunRecord
from evolve.budget import Budget, BudgetLimits
from evolve.display import progress_table
from evolve.engine import Engine, EngineLimits
from evolve.evaluate import Evaluator, functional_hash
from evolve.llm import Gateway
from evolve.probe import ProbeGrowth, too_many_collisions
from evolve.progress import RunProgress
from evolve.strategies.funsearch import FunSearchConfig, FunSearchStrategy
from tests.cli_helpers import evolve
from tests.fakes import FakeLLM, in_process_sandbox

BLIND_PROBE = str(Path(__file__).parent / "data" / "blind_probe")


@pytest.mark.parametrize(
    ("collisions", "audits", "enlarge"),
    [(0, 50, False), (1, 1, False), (1, 1000, False), (2, 5, True), (2, 20, False),
     (3, 20, True), (5, 28, True), (5, 60, True), (20, 1000, False)],
)  # fmt: skip
def test_the_rule_rejects_a_rate_of_two_percent(
    collisions: int, audits: int, enlarge: bool
) -> None:
    assert too_many_collisions(collisions, audits) is enlarge


def test_growth_takes_a_quarter_then_half_then_all_train_instances() -> None:
    growth = ProbeGrowth(train_size=8, stored=None)
    sizes = []
    for evaluation in range(1, 40):
        before = growth.state.train_instances
        assert growth.audited(True, evaluation, growth.split)  # counted: to be stored
        if growth.state.train_instances > before:
            sizes.append(growth.state.train_instances)
    assert not growth.audited(True, 40, "probe+4")  # an audit on an older probe
    assert sizes == [2, 4, 8] and growth.split == "probe+8"
    assert growth.state.enlarged_at == (2, 4, 6)  # 2 of 2 collisions each time
    assert "probe enlarged at evaluation 6" in growth.note


def test_a_hash_on_an_enlarged_probe_never_matches_one_on_the_old_probe() -> None:
    outputs = {"x0": 1.0}
    assert functional_hash(outputs, "probe+1") != functional_hash(outputs)
    assert functional_hash(outputs, "") == functional_hash(outputs)


def test_the_enlarged_probe_holds_the_first_train_instances() -> None:
    problem = problems.load(BLIND_PROBE)
    evaluator = Evaluator(problem, in_process_sandbox())
    assert evaluator._split_instances("probe+2") == {
        "x0": {"x": 0},
        "train/x1": {"x": 1},
        "train/x2": {"x": 2},
    }


def lines() -> FakeLLM:
    """Lines through (0, 1): the same on the probe (x = 0), all different on train."""
    slopes = iter(range(2, 100))
    return FakeLLM(lambda request: f"```python\ndef f(x):\n    return {next(slopes)} * x + 1\n```")


def blind_engine(
    archive: Archive,
    *,
    ordered: bool,
    max_evals: int = 8,
    run: RunRecord | None = None,
    concurrency: int = 1,
) -> Engine:
    run = run or archive.create_run(f"blind-{ordered}", "blind_probe", {}, 0)
    problem = problems.load(BLIND_PROBE)
    return Engine(
        run=run,
        problem=problem,
        archive=archive,
        evaluator=Evaluator(problem, in_process_sandbox()),  # type: ignore[arg-type]
        gateway=Gateway([(lines(), 1.0)], Budget(BudgetLimits()), random.Random(0)),
        strategy=FunSearchStrategy(FunSearchConfig(num_islands=1), seed=0),
        limits=EngineLimits(
            max_evals=max_evals,
            concurrency=concurrency,
            workers=1,
            audit_rate=1.0,
            ordered=ordered,
        ),
        progress=RunProgress(run.id, run.name, problem.name, ["fake"]),
    )


@pytest.mark.parametrize("ordered", [True, False])
def test_a_blind_probe_grows_and_tells_later_programs_apart(db_url: str, ordered: bool) -> None:
    archive = Archive(db_url)
    engine = blind_engine(archive, ordered=ordered, max_evals=12)
    progress = asyncio.run(engine.run())
    run = archive.get_run(engine.run_record.id)
    # the seed, then 2*x+1 and 3*x+1: audited twins of the seed that score differently
    assert run.state["probe"]["enlarged_at"] == [3]
    assert run.state["probe"]["train_instances"] == 1
    assert progress.notes and "probe enlarged at evaluation 3" in progress.notes[0]
    console = Console(width=300, record=True)
    console.print(progress_table(progress))
    assert "probe enlarged at evaluation 3: 2 of 2 audited" in console.export_text()
    programs = list(archive.iter_programs(run.id))
    assert [p.duplicate_kind for p in programs[1:3]] == ["functional_audit"] * 2
    audits = [p for p in programs if p.duplicate_kind == "functional_audit"]
    assert len(audits) == 2
    later = programs[3:]
    assert len(later) == 9
    assert all(p.duplicate_kind == "" and p.status == "ok" for p in later)
    assert len({p.functional_hash for p in later}) == len(later)  # told apart by x = 1
    summary = archive.summary(run.id)
    assert (summary.audits, summary.collisions) == (2, 2)


def test_audits_on_the_old_probe_do_not_grow_it_again(db_url: str) -> None:
    """In ordered mode, steps planned before the probe grew keep the old probe: their
    collisions are stored, but only those on the new probe count towards growing it."""
    archive = Archive(db_url)
    engine = blind_engine(archive, ordered=True, max_evals=12, concurrency=2)
    asyncio.run(engine.run())
    run = archive.get_run(engine.run_record.id)
    assert run.state["probe"]["enlarged_at"] == [3]
    audits = [p for p in archive.iter_programs(run.id) if p.duplicate_kind == "functional_audit"]
    assert len(audits) > 2  # the steps planned ahead on the old probe


@pytest.mark.slow
def test_a_resumed_run_keeps_the_enlarged_probe(db_url: str) -> None:
    archive = Archive(db_url)
    engine = blind_engine(archive, ordered=True)
    asyncio.run(engine.run())
    resumed = blind_engine(archive, ordered=True, run=archive.get_run(engine.run_record.id))
    assert resumed._probe.split == "probe+1"


@pytest.mark.slow
def test_stats_says_what_the_collisions_mean(db_url: str) -> None:
    archive = Archive(db_url)
    engine = blind_engine(archive, ordered=False)
    asyncio.run(engine.run())
    done = evolve("stats", engine.run_record.name, "--db", db_url)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "2 of 2 audited duplicates differed on the full evaluation" in text
    assert "the probe was enlarged at evaluation 3" in text
