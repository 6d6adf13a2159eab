"""Constructive TSP: the harness, the built-in problem and its published baseline."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from problems import load
from problems.tsp_common import nearest_neighbour, uniform
from problems.tsp_construct import instances, prepare, run

INSTANCE = uniform(12, 1, seed=3)["uniform12_0"]


def evaluate(source: str, data: dict[str, Any], problem_name: str = "tsp_construct") -> dict:
    problem = load(problem_name)
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    entry = namespace[problem.entry]
    per = {k: problem.score(v, problem.run(entry, problem.prepare(v))) for k, v in data.items()}
    return problem.aggregate(per)


def test_seed_is_nearest_neighbour_and_returns_plain_ints() -> None:
    problem = load("tsp_construct")
    namespace: dict[str, Any] = {}
    exec(problem.template, namespace)
    prepared = prepare(INSTANCE)
    tour = run(namespace["select_next_node"], prepared)
    assert all(type(node) is int for node in tour)
    assert tour == nearest_neighbour(prepared["distances"]).tolist()
    assert run(namespace["select_next_node"], INSTANCE) == tour  # unprepared


@pytest.mark.parametrize(
    ("choose", "message"),
    [
        (lambda cur, dst, unvisited, d: 0, "node 0, which was already visited"),
        (lambda cur, dst, unvisited, d: cur, "already visited"),
        (lambda cur, dst, unvisited, d: len(d), "node 12, which does not exist"),
        (lambda cur, dst, unvisited, d: -1, "does not exist"),
        (lambda cur, dst, unvisited, d: unvisited[0] + 0.5, "must return a node index"),
        (lambda cur, dst, unvisited, d: True, "must return a node index"),
        (lambda cur, dst, unvisited, d: None, "must return a node index"),
        (lambda cur, dst, unvisited, d: unvisited, "must return a node index"),
    ],
)
def test_harness_rejects_bad_choices(choose: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run(choose, prepare(INSTANCE))


def test_harness_accepts_numpy_integers_and_protects_the_matrix() -> None:
    tour = run(lambda cur, dst, unvisited, d: unvisited[-1:], prepare(INSTANCE))
    assert tour == [0, *range(11, 0, -1)]

    def writes(cur: int, dst: int, unvisited: np.ndarray, d: np.ndarray) -> int:
        d[cur, :] = 0
        return int(unvisited[0])

    with pytest.raises(ValueError, match="read-only"):
        run(writes, prepare(INSTANCE))


def test_builtin_problem_loads_and_seed_evaluates_in_process() -> None:
    problem = load("tsp_construct")
    assert problem.entry == "select_next_node"
    assert problem.prepare_ref == "problems.tsp_construct.harness:prepare"
    assert set(problem.datasets) >= {"reevo:SPLIT", "npy:FILE", "tsplib:FILE", "tsplib:NAME"}
    assert {"eoh-tsp10", "eoh-tsp20", "eoh-tsp50", "eoh-tsp50-train"} <= set(problem.datasets)
    assert len(instances("train")) == 64 and len(instances("probe")) == 2
    probe = evaluate(problem.template, instances("probe"))
    assert probe["score"] == -probe["mean_length"] and 3 < probe["mean_length"] < 6
    test = evaluate(problem.template, instances("test"))
    assert round(test["mean_length"], 2) == 6.89  # ReEvo's test50, published


def test_baseline_reproduces_its_published_numbers() -> None:
    problem = load("tsp_construct")
    (baseline,) = problem.baselines
    assert {"eoh-tsp20", "eoh-tsp50"} <= set(baseline.published)  # EoH's, packaged
    for dataset, published in baseline.published.items():
        metrics = evaluate(baseline.source, problem.instances_of(dataset))
        digits = len(str(published["mean_length"]).split(".")[1])
        assert round(metrics["mean_length"], digits) == published["mean_length"], dataset


@pytest.mark.slow
def test_engine_runs_tsp_construct_end_to_end(db_url: str) -> None:
    from tests.cli_helpers import evolve_json

    summary = evolve_json("run", "tsp_construct", "--max-evals", "15", "--db", db_url)
    assert summary["evaluations"] == 15
    assert summary["seed_score"] == pytest.approx(-7.0044, abs=1e-4)
    assert summary["best_score"] >= summary["seed_score"]
