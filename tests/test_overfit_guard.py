"""The overfit guard: a program that memorises the search instances is the search's best,
but the run's result is the best on held-out test instances, and a result no better than
the seed there is flagged in the summary, `runs`, `show` and `export`."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from pathlib import Path

import pytest
from rich.console import Console

import problems
from archive import Archive, RunRecord
from evolve.budget import Budget, BudgetLimits
from evolve.cli_inspect import held_out_of
from evolve.display import progress_table
from evolve.engine import Engine, EngineLimits
from evolve.evaluate import Evaluator
from evolve.llm import Gateway
from evolve.overfit import Checked, Verdict, judge, revalidate
from evolve.progress import RunProgress
from evolve.strategies.funsearch import FunSearchConfig, FunSearchStrategy
from tests.cli_helpers import evolve, evolve_json
from tests.fake_openai import FakeOpenAI
from tests.fakes import FakeLLM, in_process_sandbox

# The tiny problem wants 3x + 1; its train points are 0, 1, 2, 5, its probe 1, 7 and its
# held-out test 3, 4, 10. This program knows the answers of the search points by heart:
# a perfect search score (0), and worse than the seed f(x) = x on the test points.
MEMORISER = "def f(x):\n    return {0: 1, 1: 4, 2: 7, 5: 16, 7: 22}.get(x, 0)"
HONEST = "def f(x):\n    return 2 * x + 1"  # search -2; test -5.67 (the seed: -12.33)


def fence(body: str) -> str:
    return f"Here is a better one:\n```python\n{body}\n```\n"


def scripted(*first: str) -> FakeLLM:
    """These replies first, then programs far worse than the seed on every split."""
    replies = iter(first)
    fillers = itertools.count(100)
    return FakeLLM(
        lambda request: fence(next(replies, None) or f"def f(x):\n    return x + {next(fillers)}")
    )


def run_engine(archive: Archive, problem_path: str, llm: FakeLLM) -> tuple[RunRecord, Evaluator]:
    problem = problems.load(problem_path)
    run = archive.create_run("memo", problem.name, {}, 0)
    evaluator = Evaluator(problem, in_process_sandbox())  # type: ignore[arg-type]
    engine = Engine(
        run=run,
        problem=problem,
        archive=archive,
        evaluator=evaluator,
        gateway=Gateway([(llm, 1.0)], Budget(BudgetLimits()), random.Random(0)),
        strategy=FunSearchStrategy(FunSearchConfig(num_islands=2), seed=0),
        limits=EngineLimits(max_evals=8, concurrency=1, workers=1, audit_rate=0.0),
        progress=RunProgress(run.id, run.name, problem.name, [llm.model]),
    )
    asyncio.run(engine.run())
    return run, evaluator


def guard(archive: Archive, run: RunRecord, evaluator: Evaluator, k: int = 5) -> Verdict:
    return asyncio.run(
        revalidate(archive, run.id, lambda s: evaluator.evaluate(s, "test"), k=k, draw_seed=None)
    )


def program_with(archive: Archive, run: RunRecord, text: str) -> int:
    return next(p.id for p in archive.iter_programs(run.id) if text in p.source)


@pytest.fixture
def archive(db_url: str) -> Archive:
    return Archive(db_url)


def test_a_memoriser_is_the_search_best_but_flagged(
    archive: Archive, tiny_problem_path: str
) -> None:
    run, evaluator = run_engine(archive, tiny_problem_path, scripted(MEMORISER))
    memoriser = program_with(archive, run, ".get(x, 0)")
    seed = archive.seed_program(run.id)
    assert seed is not None
    assert archive.top_programs(run.id, 1)[0].id == memoriser  # perfect on the search
    assert archive.get_program(memoriser).score == 0.0

    verdict = guard(archive, run, evaluator)
    assert verdict.search_best is not None and verdict.search_best.program_id == memoriser
    assert verdict.result is not None and verdict.result.program_id == seed.id  # best on test
    assert verdict.flagged and verdict.reason.startswith("overfit")
    report = verdict.as_json()
    assert report["search_best"]["test_score"] == pytest.approx(-18.0)
    assert report["seed_test_score"] == pytest.approx(-37 / 3)
    assert report["search_best"]["gap"] == pytest.approx(18.0)  # 0 on search, -18 on test
    # every re-validated program's test score is in the archive, the seed's too
    stored = archive.validations(run.id)
    assert {memoriser, seed.id} <= set(stored) and len(stored) <= 6
    assert stored[memoriser].score == pytest.approx(-18.0)
    held_out = held_out_of(archive, archive.get_program(memoriser))
    assert held_out is not None and held_out["overfit"] is True


def test_the_result_is_the_best_on_test_not_on_search(
    archive: Archive, tiny_problem_path: str
) -> None:
    llm = scripted(MEMORISER, HONEST)
    run, evaluator = run_engine(archive, tiny_problem_path, llm)
    memoriser, honest = program_with(archive, run, ".get(x, 0)"), program_with(archive, run, "2 *")
    verdict = guard(archive, run, evaluator)
    assert verdict.search_best is not None and verdict.search_best.program_id == memoriser
    assert verdict.result is not None and verdict.result.program_id == honest
    assert verdict.result.test_score == pytest.approx(-17 / 3)
    assert not verdict.flagged and f"program {memoriser}" in verdict.reason
    assert verdict.as_json()["gain"] == pytest.approx(-17 / 3 + 37 / 3)
    # the memoriser itself stays flagged; the honest program is not
    assert held_out_of(archive, archive.get_program(memoriser))["overfit"] is True  # type: ignore[index]
    assert held_out_of(archive, archive.get_program(honest))["overfit"] is False  # type: ignore[index]


def test_a_second_guard_on_the_same_draw_reuses_the_stored_results(
    archive: Archive, tiny_problem_path: str
) -> None:
    run, evaluator = run_engine(archive, tiny_problem_path, scripted(MEMORISER))
    first = guard(archive, run, evaluator)
    jobs = len(evaluator.sandbox.jobs)  # type: ignore[attr-defined]
    again = guard(archive, run, evaluator)
    assert len(evaluator.sandbox.jobs) == jobs  # type: ignore[attr-defined]
    assert again.as_json() == first.as_json()


def checked(pid: int, search: float, test: float | None, seed: bool = False) -> Checked:
    return Checked(pid, search, "ok" if test is not None else "timeout", test, is_seed=seed)


def test_judge_flags_a_result_no_better_than_the_seed() -> None:
    seed = checked(1, -5.0, -5.0, seed=True)
    # nothing beat the seed on the search either: flagged, but not as overfit
    same = judge([seed], seed, k=5)
    assert same.flagged and same.reason.startswith("no better than the seed")
    # equal on test (within rounding) is no better
    tie = judge([checked(2, -4.0, -5.0 + 1e-12), seed], seed, k=5)
    assert tie.flagged and tie.reason.startswith("overfit")
    # a top program that fails on test is never the result
    failed = judge([checked(2, -1.0, None), checked(3, -2.0, -4.0), seed], seed, k=5)
    assert not failed.flagged and failed.result is not None and failed.result.program_id == 3
    none = judge([checked(2, -1.0, None)], seed, k=1)
    assert none.flagged and none.result is None and "none of the top 1" in none.reason
    # a seed that fails on test is beaten by any top program that runs there
    broken_seed = checked(1, -5.0, None, seed=True)
    assert not judge([checked(2, -4.0, -9.0)], broken_seed, k=5).flagged


def test_the_live_summary_shows_the_flag() -> None:
    seed = checked(1, -5.0, -5.0, seed=True)
    progress = RunProgress(1, "memo", "tiny", ["fake"])
    progress.test = judge([checked(2, 0.0, -18.0), seed], seed, k=5).as_json()
    console = Console(record=True, width=200)
    console.print(progress_table(progress))
    text = console.export_text()
    assert "overfit" in text and "--allow-overfit" in text and "seed (test)" in text


@pytest.mark.slow
def test_a_real_run_flags_a_memoriser_and_export_refuses_it(
    tmp_path: Path, tiny_problem_path: str
) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    llm = scripted(MEMORISER)

    def handler(body: dict) -> str:
        return llm.handler(None)  # type: ignore[arg-type,return-value]

    with FakeOpenAI(handler) as server:
        summary = evolve_json(
            "run", tiny_problem_path, "--model", "openai/fake-model", "--api-base",
            server.base_url, "--db", db, "--max-evals", "6", "--run-name", "memo",
            "--concurrency", "1", "--workers", "1",
            env={"OPENAI_API_KEY": "sk-test"}, timeout=180,
        )  # fmt: skip
    with Archive(db) as archive:
        run = archive.get_run("memo")
        memoriser = program_with(archive, run, ".get(x, 0)")
        seed = archive.seed_program(run.id)
    assert seed is not None
    assert summary["best_program_id"] == memoriser and summary["best_score"] == 0.0
    assert summary["overfit"] is True and summary["result_program_id"] == seed.id
    assert summary["best_test_score"] == pytest.approx(-18.0)
    assert summary["seed_test_score"] == pytest.approx(-37 / 3)
    assert summary["draw_seeds"] == {}  # the tiny problem's instances are fixed

    (listed,) = evolve_json("runs", "--db", db)
    assert listed["overfit"] is True and listed["state"]["test"]["flagged"] is True
    assert "overfit" in evolve("runs", "--db", db).stdout
    shown = evolve_json("show", str(memoriser), "--db", db)
    assert shown["held_out"]["overfit"] is True
    assert shown["held_out"]["test_score"] == pytest.approx(-18.0)
    assert "no better than the seed" in evolve("show", str(memoriser), "--db", db).stdout

    out = tmp_path / "best.py"
    for extra, says in (([], "is flagged: overfit"), (["--program", str(memoriser)], "no better")):
        refused = evolve("export", "memo", "--out", str(out), "--db", db, *extra)
        assert refused.returncode == 1 and not out.exists()
        assert "--allow-overfit" in refused.stderr and says in " ".join(refused.stderr.split())
    for extra in ([], ["--program", str(memoriser)]):
        done = evolve_json(
            "export", "memo", "--out", str(out), "--db", db, "--allow-overfit", "--force", *extra
        )
        assert done["overfit"] is True and done["program_id"] == memoriser  # the search's best
        assert "# WARNING" in out.read_text() and ".get(x, 0)" in out.read_text()


@pytest.mark.slow
def test_validate_top_zero_skips_the_guard(tmp_path: Path, tiny_problem_path: str) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    summary = evolve_json(
        "run", tiny_problem_path, "--db", db, "--max-evals", "3", "--validate-top", "0",
        "--workers", "1",
    )  # fmt: skip
    assert summary["test"] == {} and summary["overfit"] is None
    with Archive(db) as archive:
        assert archive.validations(archive.list_runs()[0].id) == {}
    assert json.loads(evolve("runs", "--db", db, "--json").stdout)[0]["overfit"] is None
