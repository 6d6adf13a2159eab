"""Cap sets: FunSearch's greedy skeleton, the trusted check and the named data sets."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from problems import InvalidOutput, ProblemError, load
from problems.cap_set import BEST_KNOWN, instances, load_dataset, prepare, run, score


def constant(el: tuple[int, ...], n: int) -> float:
    return 0.0


def funsearch_solve(priority: Callable[..., Any], n: int) -> list[int]:
    """FunSearch's `solve`, written plainly: one argmax per chosen vector."""
    vectors = np.array(list(itertools.product((0, 1, 2), repeat=n)), dtype=np.int32)
    powers = 3 ** np.arange(n - 1, -1, -1)
    priorities = np.array([priority(tuple(int(x) for x in v), n) for v in vectors], float)
    capset, chosen = np.empty((0, n), dtype=np.int32), []
    while np.any(priorities != -np.inf):
        best = int(np.argmax(priorities))
        blocking = ((-capset - vectors[best]) % 3) @ powers
        priorities[blocking] = -np.inf
        priorities[best] = -np.inf
        capset = np.concatenate([capset, vectors[None, best]])
        chosen.append(best)
    return chosen


def test_constant_priority_gives_two_to_the_n() -> None:
    for n in range(3, 9):
        output = run(constant, prepare({"n": n}))
        assert score({"n": n}, output) == {"size": 2.0**n, "score": 2.0**n}
        assert all(set(np.base_repr(i, 3).zfill(n)) <= {"0", "1"} for i in output["vectors"])


@pytest.mark.parametrize(
    "priority",
    [
        lambda el, n: sum(el),  # many ties
        lambda el, n: -np.inf if el[0] == 2 else el.count(1),  # never take some
        lambda el, n: float((hash(el) % 1000) / 7),  # scattered
        lambda el, n: np.int64(el.count(0)) * 2,  # numpy scalars
        lambda el, n: float("nan") if el.count(2) == 1 else sum(el),  # nan first, as argmax
        lambda el, n: np.inf if el[0] == 1 else -np.inf,  # only some, +inf first
        lambda el, n: np.float64(el.count(0)) / (el.count(1) * 0),  # inf and nan (0/0)
    ],
)
def test_harness_matches_funsearch_loop(priority: Callable[..., Any]) -> None:
    for n in (3, 5):
        with np.errstate(all="ignore"):
            output = run(priority, {"n": n})
            assert output["vectors"] == funsearch_solve(priority, n)
        assert score({"n": n}, output)["size"] <= BEST_KNOWN[n]


def test_nan_priorities_are_counted_and_every_minus_inf_is_an_empty_set() -> None:
    output = run(lambda el, n: float("nan") if el[0] == 2 else 1.0, {"n": 3})
    assert output["nan_priorities"] == 9
    assert score({"n": 3}, output)["nan_priorities"] == 9.0
    empty = run(lambda el, n: -np.inf, {"n": 3})
    assert empty == {"vectors": [], "nan_priorities": 0}
    assert score({"n": 3}, empty) == {"size": 0.0, "score": 0.0}  # FunSearch: len(capset) 0


@pytest.mark.parametrize(
    ("priority", "message"),
    [
        (lambda el, n: None, "must return a number"),
        (lambda el, n: "high", "must return a number"),
        (lambda el, n: [1, 2], "must return a number"),
    ],
)
def test_harness_rejects_bad_priorities(priority: Callable[..., Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run(priority, prepare({"n": 3}))


def test_a_maximum_cap_set_scores_its_size() -> None:
    # {(x, y, x^2 + y^2)}: 9 vectors of F_3^3 with no line, the most possible.
    indices = [9 * x + 3 * y + (x * x + y * y) % 3 for x in range(3) for y in range(3)]
    assert len(indices) == BEST_KNOWN[3]
    assert score({"n": 3}, indices)["size"] == 9


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ([0, 1, 2], "lie on a line"),  # 000 + 001 + 002 = 0 mod 3
        ([0, 4, 8], "lie on a line"),  # 000, 011, 022
        ([5, 7, 5], "appears twice"),
        ([0, 27], "out of range"),
        ([0, -1], "out of range"),
        ([0, 1.0], "must be an int"),
        ([0, True], "must be an int"),
        ({"vectors": [0], "nan_priorities": -1}, "count"),
        ({"vectors": [0]}, "expected"),
        ("012", "expected a list"),
    ],
)
def test_score_rejects_invalid_cap_sets(output: Any, message: str) -> None:
    with pytest.raises(InvalidOutput, match=message):
        score({"n": 3}, output)


def test_problem_splits_and_datasets() -> None:
    problem = load("cap_set")
    assert problem.entry == "priority" and problem.harness_ref == "problems.cap_set.harness:run"
    assert instances("train") == {"n8": {"n": 8}}
    # held out: the same priority in other dimensions (n = 8 again would repeat the score)
    assert instances("test") == {"n7": {"n": 7}, "n9": {"n": 9}}
    assert not problem.draws  # the construction is deterministic: nothing to draw
    assert instances("probe") == {"n4": {"n": 4}}
    assert list(problem.datasets) == [f"n{n}" for n in range(3, 10)]
    assert problem.instances_of("n7") == load_dataset("n7") == {"n7": {"n": 7}}
    assert problem.baselines[0].published["n8"] == {"size": 256.0}
    with pytest.raises(ProblemError, match="unknown cap set data set 'n10'"):
        problem.instances_of("n10")
    with pytest.raises(ProblemError, match="unknown split"):
        instances("validation")
