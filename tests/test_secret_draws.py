"""Secret draws: a run draws its held-out test instances (and, with secret_train, its
train and probe instances) from seeds drawn in the trusted parent, stores them, and
reuses them on --resume; the Problem contract stays `instances(split)` for fixed sets."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import problems
from archive import Archive
from evolve.cli_problems import evaluate_file
from evolve.evaluate import Evaluator
from evolve.exceptions import ConfigError
from evolve.runner import PreparedRun, prepare_run, secret_draws
from problems.base import Problem, ProblemError, takes_seed
from tests.cli_helpers import evolve, evolve_json
from tests.fakes import in_process_sandbox

REPO = Path(__file__).resolve().parent.parent


PREPARED: list[PreparedRun] = []


@pytest.fixture(autouse=True)
def _close_prepared_runs() -> Iterator[None]:
    """A prepared run holds its run (and renews the hold) until closed."""
    yield
    while PREPARED:
        PREPARED.pop().close()


def prepare(db: str, name: str, problem: str = "bin_packing", **options: Any) -> PreparedRun:
    overrides = {"problem": problem, "db": db, "run_name": name, "max_evals": 5, **options}
    PREPARED.append(prepare_run(overrides))
    return PREPARED[-1]


def resume(db: str, name: str, **options: Any) -> PreparedRun:
    PREPARED.append(prepare_run({"db": db, **options}, resume=name))
    return PREPARED[-1]


def test_two_runs_draw_different_test_instances_and_the_stored_seed_reproduces_them(
    db_url: str,
) -> None:
    first, second = prepare(db_url, "a"), prepare(db_url, "b")
    assert set(first.run.draw_seeds) == {"test"}
    assert first.run.draw_seeds["test"] != second.run.draw_seeds["test"]
    test_a, test_b = first.problem.instances("test"), second.problem.instances("test")
    assert test_a != test_b
    public = problems.load("bin_packing")
    assert test_a != public.instances("test")  # not the public weibull-5k set either
    for item in test_a.values():
        assert len(item["items"]) == 5_000 and item["capacity"] == 100  # same shape
    # the owner reproduces the draw from the archive alone
    with Archive(db_url) as archive:
        stored = archive.get_run("a").draw_seeds["test"]
    assert public.draw("test", stored) == test_a
    # train and probe keep their fixed seeds: runs stay comparable
    for split in ("train", "probe"):
        assert first.problem.instances(split) == second.problem.instances(split)
        assert first.problem.instances(split) == public.instances(split)


def test_secret_train_draws_train_and_probe_too(db_url: str) -> None:
    first = prepare(db_url, "a", secret_train=True)
    second = prepare(db_url, "b", secret_train=True)
    assert set(first.run.draw_seeds) == {"train", "probe", "test"}
    assert first.run.config["secret_train"] is True
    public = problems.load("bin_packing")
    for split in ("train", "probe", "test"):
        drawn = first.problem.instances(split)
        assert drawn != second.problem.instances(split) and drawn != public.instances(split)
        assert drawn == public.draw(split, first.run.draw_seeds[split])
        assert len(drawn) == len(public.instances(split))


def test_resume_reuses_the_stored_seeds(db_url: str) -> None:
    first = prepare(db_url, "a", secret_train=True)
    PREPARED.remove(first)
    first.close()  # frees the run: another process may resume it
    again = resume(db_url, "a")
    assert again.run.draw_seeds == first.run.draw_seeds
    for split in ("train", "probe", "test"):
        assert again.problem.instances(split) == first.problem.instances(split)
    with pytest.raises(ConfigError, match="secret_train True; a resumed run keeps it"):
        resume(db_url, "a", secret_train=False)


def test_a_run_from_before_secret_draws_gets_a_test_seed_on_resume(db_url: str) -> None:
    with Archive(db_url) as archive:  # as an older evolve left it: no draw seeds
        archive.create_run("old", "bin_packing", {"problem": "bin_packing", "seed": 0}, 0)
    resumed = resume(db_url, "old")
    assert set(resumed.run.draw_seeds) == {"test"}
    with Archive(db_url) as archive:
        assert archive.get_run("old").draw_seeds == resumed.run.draw_seeds


def test_problems_with_fixed_instances_draw_nothing(db_url: str, tiny_problem_path: str) -> None:
    prepared = prepare(db_url, "t", problem=tiny_problem_path, secret_train=True)
    assert prepared.run.draw_seeds == {}
    assert any("has fixed instances" in notice for notice in prepared.notices)
    for name in ("cap_set", "puzzles"):
        assert secret_draws(problems.load(name), secret_train=True) == {}
    for name in ("bin_packing", "tsp_construct", "tsp_gls"):
        assert set(secret_draws(problems.load(name))) == {"test"}


def test_generated_problems_draw_their_splits_from_a_seed() -> None:
    for name in ("bin_packing", "tsp_construct", "tsp_gls"):
        problem = problems.load(name)
        assert problem.draws
        for split in ("probe", "test"):
            fixed, drawn = problem.instances(split), problem.draw(split, 12345)
            assert drawn == problem.draw(split, 12345) != problem.draw(split, 54321)
            assert drawn != fixed and len(drawn) == len(fixed)
            assert problem.draw(split, None) == fixed


def test_the_contract_detects_a_seed_parameter(tmp_path: Path) -> None:
    def fixed(split: str) -> dict[str, Any]:
        return {split: {"x": 1}}

    def seeded(split: str, seed: int | None = None) -> dict[str, Any]:
        return {split: {"x": seed}}

    assert not takes_seed(fixed) and takes_seed(seeded) and takes_seed(lambda *args: {})
    problem = problems.load("bin_packing")
    plain = Problem(**{**_fields(problem), "instances": fixed})
    assert not plain.draws and plain.with_draws({}) is plain
    with pytest.raises(ProblemError, match="has fixed instances"):
        plain.draw("test", 3)
    declared = Problem(**{**_fields(problem), "instances": lambda *a: {"s": {"x": a}}})
    assert declared.draws
    assert Problem(**{**_fields(problem), "instances": seeded, "seeded": False}).draws is False
    bound = Problem(**{**_fields(problem), "instances": seeded}).with_draws({"test": 7})
    assert bound.instances("test") == {"test": {"x": 7}}
    assert bound.instances("train") == {"train": {"x": None}}
    assert not bound.draws  # the seeds are bound: what the sandbox gets is plain data
    # a user's problem folder, loaded through the loader's error-reporting wrapper
    folder = tmp_path / "seedy"
    folder.mkdir()
    source = (REPO / "tests" / "data" / "tiny" / "__init__.py").read_text()
    source = source.replace(
        "def instances(split: str) -> dict[str, dict[str, float]]:\n"
        '    return {f"x{x}": {"x": x} for x in POINTS[split]}',
        "def instances(split, seed=None):\n"
        '    return {f"x{x}": {"x": x + (seed or 0)} for x in POINTS[split]}',
    )
    (folder / "__init__.py").write_text(source)
    (folder / "template.py").write_text((REPO / "tests/data/tiny/template.py").read_text())
    (folder / "README.md").write_text("seedy\n")
    user = problems.load(folder)
    assert user.draws and user.draw("test", 100)["x3"] == {"x": 103}


def _fields(problem: Problem) -> dict[str, Any]:
    return {f.name: getattr(problem, f.name) for f in dataclasses.fields(problem)}


@pytest.mark.slow
def test_eval_draws_a_fresh_test_seed_prints_it_and_reproduces_it(tmp_path: Path) -> None:
    template = str(REPO / "problems" / "bin_packing" / "template.py")
    problem = problems.load("bin_packing")
    # the probe split is small: the same seed gives the same score, another one another
    same = [evaluate_file(problem, Path(template), split="probe", draw_seed=9)[0] for _ in "ab"]
    other, _ = evaluate_file(problem, Path(template), split="probe", draw_seed=10)
    assert same[0].score == same[1].score != other.score
    first = evolve_json("eval", "bin_packing", template, "--split", "test")
    second = evolve_json("eval", "bin_packing", template)  # test is the default split
    assert first["draw_seed"] != second["draw_seed"] and first["score"] != second["score"]
    again = evolve_json("eval", "bin_packing", template, "--test-seed", str(first["draw_seed"]))
    assert again["score"] == first["score"] and again["draw_seed"] == first["draw_seed"]
    shown = evolve("eval", "bin_packing", template, "--test-seed", "5")
    assert shown.returncode == 0 and "--test-seed 5" in shown.stdout
    # the fixed public set stays available by name; fixed problems take no seed
    public = evolve_json("eval", "bin_packing", template, "--dataset", "weibull-5k")
    assert public["draw_seed"] is None  # best fit: 3.98% published on FunSearch's own draw
    assert public["metrics"]["excess_pct"] == pytest.approx(3.98, abs=0.25)
    refused = evolve(
        "eval", "cap_set", str(REPO / "problems/cap_set/template.py"), "--test-seed", "1"
    )
    assert refused.returncode == 1 and "fixed instances" in refused.stderr


@pytest.mark.slow
def test_eval_of_a_run_uses_its_stored_draw(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    summary = evolve_json(
        "run", "bin_packing", "--db", db, "--max-evals", "2", "--run-name", "bp", "--workers", "2"
    )
    template = str(REPO / "problems" / "bin_packing" / "template.py")
    by_run = evolve_json("eval", "bin_packing", template, "--run", "bp", "--db", db)
    assert by_run["draw_seed"] == summary["draw_seeds"]["test"]
    assert by_run["score"] == pytest.approx(summary["seed_test_score"])  # the seed program
    with Archive(db) as archive:
        run = archive.get_run("bp")
        assert json.dumps(run.draw_seeds["test"]) not in json.dumps(run.config)


def test_the_seeds_never_reach_the_sandbox(db_url: str) -> None:
    prepared = prepare(db_url, "a", secret_train=True)
    sandbox = in_process_sandbox()
    evaluator = Evaluator(prepared.problem, sandbox)  # type: ignore[arg-type]
    for split in ("probe", "train", "test"):
        assert asyncio.run(evaluator.evaluate(prepared.problem.template, split)).ok
    sent = json.dumps([sandbox.shared, [dataclasses.astuple(job) for job in sandbox.jobs]])
    for seed in prepared.run.draw_seeds.values():
        assert str(seed) not in sent  # only the instances drawn from it go there
