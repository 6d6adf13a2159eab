"""TSP guided local search: the vectorised local search, the harness and the problem."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from problems import load
from problems.tsp_common import (
    REEVO_GLS_MEAN_OPTIMUM,
    distance_matrix,
    nearest_neighbour,
    reevo_gls,
    uniform,
)
from problems.tsp_gls import instances, prepare, run, score
from problems.tsp_gls.localsearch import local_search, local_search_at, tour_cost

COORDS = np.asarray(uniform(40, 1, seed=4)["uniform40_0"]["coords"])


def is_tour(tour: np.ndarray, n: int) -> bool:
    return tour[0] == 0 and sorted(tour.tolist()) == list(range(n))


def test_local_search_reaches_a_two_opt_and_relocate_optimum() -> None:
    distances = distance_matrix(COORDS)
    start = nearest_neighbour(distances)
    tour = local_search(distances, start)
    assert is_tour(tour, 40) and tour_cost(distances, tour) < tour_cost(distances, start)
    for position in range(1, 40):  # no single move improves any more
        assert local_search_at(distances, tour, position).tolist() == tour.tolist()


def test_local_moves_never_worsen_under_any_distances() -> None:
    rng = np.random.default_rng(0)
    guided = rng.random((40, 40))
    guided += guided.T
    tour = nearest_neighbour(distance_matrix(COORDS))
    for position in rng.integers(0, 40, size=60):
        before = tour_cost(guided, tour)
        tour = local_search_at(guided, tour, int(position))
        assert is_tour(tour, 40) and tour_cost(guided, tour) <= before + 1e-12


def evaluate(source: str, data: dict[str, Any]) -> dict[str, float]:
    problem = load("tsp_gls")
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    entry = namespace[problem.entry]
    per = {k: problem.score(v, problem.run(entry, problem.prepare(v))) for k, v in data.items()}
    return problem.aggregate(per)


def test_builtin_problem_loads_and_guidance_beats_plain_local_search() -> None:
    problem = load("tsp_gls")
    assert problem.entry == "update_edge_distance"
    assert problem.prepare_ref == "problems.tsp_gls.harness:prepare"
    seed, plain = (b.source for b in problem.baselines)
    assert seed == problem.template
    data = dict(list(instances("train").items())[:3])
    guided, unguided = evaluate(seed, data), evaluate(plain, data)
    assert guided["mean_length"] < unguided["mean_length"]
    probe = evaluate(seed, instances("probe"))
    assert probe["score"] == -probe["mean_length"]


def test_harness_returns_plain_ints_and_unprepared_instances_work() -> None:
    instance = {"coords": COORDS.tolist(), "iterations": 2}
    update = lambda d, tour, used: d + used  # noqa: E731
    output = run(update, instance)
    tour = output["tour"]
    assert output == run(update, prepare(instance)) and all(type(i) is int for i in tour)
    assert output["nonfinite_guides"] == 0


@pytest.mark.parametrize(
    "update",
    [
        lambda d, tour, used: d * np.nan,
        lambda d, tour, used: d / used,  # 0/0 and x/0 where an edge was never penalised
        lambda d, tour, used: np.where(used > 0, np.inf, d),
    ],
)
def test_non_finite_guides_are_used_as_numpy_does_and_counted(update: Any) -> None:
    instance = prepare({"coords": COORDS.tolist(), "iterations": 3})
    with np.errstate(all="ignore"):
        output = run(update, instance)
    assert sorted(output["tour"]) == list(range(40)) and output["nonfinite_guides"] > 0
    metrics = score({"coords": COORDS.tolist()}, output)
    assert metrics["nonfinite_guides"] == output["nonfinite_guides"]
    assert np.isfinite(metrics["score"])  # the true length: guides only steer


@pytest.mark.parametrize(
    ("update", "message"),
    [
        (lambda d, tour, used: d[:-1], r"shape \(40, 40\)"),
        (lambda d, tour, used: None, "shape"),
        (lambda d, tour, used: "far", "array of numbers"),
    ],
)
def test_harness_rejects_malformed_guides(update: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run(update, {"coords": COORDS.tolist(), "iterations": 1})


def test_candidate_gets_copies() -> None:
    def vandal(d: np.ndarray, tour: np.ndarray, used: np.ndarray) -> np.ndarray:
        d[:] = 0
        tour[:] = 0
        used[:] = 1e9
        return d + 1

    tour = run(vandal, prepare({"coords": COORDS.tolist(), "iterations": 2}))["tour"]
    assert sorted(tour) == list(range(40))


def test_gap_on_tsplib_and_reevo_gls_recipe() -> None:
    data = load("tsp_gls").instances_of("tsplib:eil51")
    data["eil51"]["iterations"] = 3
    metrics = evaluate(load("tsp_gls").template, data)
    assert 0 <= metrics["gap_pct"] < 10 and metrics["score"] == -metrics["gap_pct"]
    assert len(reevo_gls("test100")) == 64 and 100 in REEVO_GLS_MEAN_OPTIMUM
