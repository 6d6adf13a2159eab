"""Circle packing: the harness's forms of output, the exact checker and its attackers.

Every way a program could earn a sum of radii it did not earn (an overlap a tolerance
would let through, a circle a hair outside the square, NaN, a claimed sum) has a test
here that shows it is refused, in the trusted checker and end to end in the sandbox.
"""

from __future__ import annotations

import math
import re
import textwrap
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evolve.cli_problems import evaluate_file
from problems import InvalidOutput, ProblemError, load
from problems.circle_packing import BEST_KNOWN, TEMPLATE, load_dataset, run, score
from problems.circle_packing.harness import circles


def grid(n: int, shrink: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    side = math.isqrt(n - 1) + 1
    cells = np.arange(n)
    centres = np.stack([(cells % side + 0.5) / side, (cells // side + 0.5) / side], axis=1)
    return centres, np.full(n, 0.5 / side * (1 - shrink))


def rows(n: int) -> list[list[float]]:
    centres, radii = grid(n)
    return circles((centres, radii), n)


def test_seed_scores_the_square_grid_for_26_and_32() -> None:
    for name, n, side in (("circle_packing", 26, 6), ("circle_packing_32", 32, 6)):
        problem = load(name)
        assert problem.instances("train") == problem.instances("test") == {f"n{n}": {"n": n}}
        namespace: dict[str, Any] = {}
        exec(problem.template, namespace)
        metrics = score({"n": n}, run(namespace["pack"], {"n": n}))
        assert metrics["score"] == pytest.approx(n / (2 * side), rel=1e-11)
        assert metrics["score"] < n / (2 * side)  # shrunk by a hair: strictly inside


def test_the_harness_takes_every_published_form_of_output() -> None:
    centres, radii = grid(5)
    expected = [[*c, r] for c, r in zip(centres.tolist(), radii.tolist(), strict=True)]
    forms = [
        (centres, radii),  # AlphaEvolve
        (centres, radii, 123.0),  # OpenEvolve: (centres, radii, claimed sum): ignored
        [centres.tolist(), radii.tolist()],
        np.column_stack([centres, radii]),  # (n, 3) rows
        np.column_stack([centres, radii]).tolist(),
        (centres.astype(np.float32), radii.astype(np.float32)),
    ]
    for form in forms[:-1]:
        assert circles(form, 5) == expected
    as32 = circles(forms[-1], 5)  # the float32 values, exactly
    assert as32 == [[float(np.float32(v)) for v in row] for row in expected]


def test_small_n_reads_rows_and_pairs_apart() -> None:
    pair = (np.array([[0.25, 0.5], [0.75, 0.5]]), np.array([0.25, 0.25]))
    assert circles(pair, 2) == [[0.25, 0.5, 0.25], [0.75, 0.5, 0.25]]
    assert circles([[0.25, 0.5, 0.25], [0.75, 0.5, 0.25]], 2) == circles(pair, 2)
    three = [[0.5, 0.5, 0.1]] * 3
    assert circles(three, 3) == three


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ((np.zeros((4, 2)), np.zeros(5)), r"centres of shape \(5, 2\) .* got \(4, 2\)"),
        (np.zeros((5, 2)), r"array of shape \(5, 3\)"),
        ("circles", r"must be numbers"),
        ([[1, 2], [3]], r"centres of shape \(5, 2\) .* got \(2,\) and \(1,\)"),
        ([[1, 2, 3], [4], [5], [6], [7]], r"must be numbers"),  # ragged rows
        (None, r"shape \(5, 3\)"),
    ],
)
def test_the_harness_refuses_other_shapes(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        circles(value, 5)


def test_touching_circles_are_a_packing() -> None:
    """Exact arithmetic: circles that touch exactly (binary fractions) are allowed."""
    quarters = [[0.25, 0.25, 0.25], [0.75, 0.25, 0.25], [0.25, 0.75, 0.25], [0.75, 0.75, 0.25]]
    assert score({"n": 4}, quarters)["score"] == 1.0


def test_the_score_is_the_exact_sum_rounded_once() -> None:
    output = rows(26)
    exact = sum((Fraction(r) for _, _, r in output), Fraction(0))
    assert score({"n": 26}, output)["score"] == float(exact)


def overlap_by(gap: float) -> list[list[float]]:
    """Two circles of radius 0.25 whose centres are 0.5 - gap apart."""
    return [[0.25, 0.5, 0.25], [0.75 - gap, 0.5, 0.25]]


@pytest.mark.parametrize(
    ("output", "message"),
    [
        # What tolerant checkers accepted: an overlap of about 1e-9, and much less.
        (overlap_by(1e-9), r"circles 0 and 1 overlap"),
        (overlap_by(2**-52), r"circles 0 and 1 overlap"),
        # A circle outside the square by 1e-12, on each side.
        ([[0.25 - 1e-12, 0.5, 0.25], [0.75, 0.5, 0.25]], r"circle 0 .* crosses 0 by 1e-12"),
        ([[0.25, 0.5, 0.25], [0.75 + 1e-12, 0.5, 0.25]], r"circle 1 .* crosses 1 by 1e-12"),
        ([[0.25, 0.25 - 1e-12, 0.25], [0.75, 0.5, 0.25]], r"centre y"),
        ([[0.5, 1 - 0.25 + 1e-12, 0.25], [0.1, 0.1, 0.05]], r"crosses 1"),
        # NaN and infinity, in a centre and in a radius.
        ([[math.nan, 0.5, 0.25], [0.75, 0.5, 0.25]], r"circle 0: x is nan, not a finite number"),
        ([[0.25, 0.5, math.inf], [0.75, 0.5, 0.25]], r"circle 0: r is inf"),
        ([[0.25, 0.5, 0.25], [0.75, 0.5, -math.inf]], r"circle 1: r is -inf"),
        # A negative radius (which would lower nothing: it is refused all the same).
        ([[0.25, 0.5, 0.25], [0.75, 0.5, -0.1]], r"negative radius"),
        # Other shapes and types.
        ([[0.25, 0.5, 0.25]], r"expected 2 circles, got 1"),
        ([[0.25, 0.5, 0.25]] * 3, r"expected 2 circles, got 3"),
        ({"circles": []}, r"expected 2 circles, got dict"),
        ([[0.25, 0.5], [0.75, 0.5, 0.25]], r"circle 0 must be \[x, y, r\]"),
        ([[0.25, 0.5, True], [0.75, 0.5, 0.25]], r"circle 0: r must be a number"),
        ([[0.25, 0.5, "0.25"], [0.75, 0.5, 0.25]], r"r must be a number"),
        # Two identical circles overlap (a packing of one circle counted twice).
        ([[0.5, 0.5, 0.25], [0.5, 0.5, 0.25]], r"circles 0 and 1 overlap"),
    ],
)
def test_the_checker_refuses_what_is_not_a_packing(output: Any, message: str) -> None:
    with pytest.raises(InvalidOutput, match=message):
        score({"n": 2}, output)


def test_an_overlap_far_below_float_precision_of_the_sum_is_found() -> None:
    """The float test clears only pairs with room > 1e-9; the rest are checked exactly."""
    n = 40
    output = rows(n)
    x, y, r = output[1]
    output[1] = [x, y, r * (1 + 2e-12)]  # now overlaps circle 0 by about 1e-13
    with pytest.raises(InvalidOutput, match=r"circles 0 and 1 overlap|crosses"):
        score({"n": n}, output)


def test_named_data_sets() -> None:
    assert load_dataset("n26") == {"n26": {"n": 26}}
    assert load_dataset("n7") == {"n7": {"n": 7}}
    for bad in ("n0", "n1001", "26", "n26x", "tsplib:eil51"):
        with pytest.raises(ProblemError, match="expected nK"):
            load_dataset(bad)
    assert set(BEST_KNOWN) == {26, 32}
    assert max(v for _, v in BEST_KNOWN[26]) == 2.635983


CHEATS = {
    "tolerated_overlap": """
        import numpy as np
        def pack(n):
            r = 1 / 12  # a 6 x 6 grid whose neighbours overlap by 1e-10, all inside
            cells = np.arange(n)
            step = 2 * r - 1e-10
            centres = np.stack([r + (cells % 6) * step, r + (cells // 6) * step], axis=1)
            return centres, np.full(n, r)
    """,
    "nan_centre": """
        import numpy as np
        def pack(n):
            centres = np.full((n, 2), np.nan)
            return centres, np.full(n, 0.5)
    """,
    "outside_by_1e-12": """
        import numpy as np
        def pack(n):
            side = 6
            cells = np.arange(n)
            centres = np.stack([(cells % side + 0.5) / side, (cells // side + 0.5) / side], 1)
            radii = np.full(n, 0.5 / side * (1 - 1e-9))
            centres[0, 0] = radii[0] - 1e-12
            return centres, radii
    """,
    "claims_a_sum": """
        import numpy as np
        def pack(n):
            return np.zeros((n, 2)), np.zeros(n), 3.0
    """,
}


EXPECTED = {
    "tolerated_overlap": r"circles 0 and 1 overlap",
    "nan_centre": r"nan",
    "outside_by_1e-12": r"circle 0 .* crosses 0 by 1e-12",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheats_score_nothing_in_the_sandbox(name: str, tmp_path: Path) -> None:
    program = tmp_path / f"{name}.py"
    program.write_text(textwrap.dedent(CHEATS[name]))
    evaluation, _ = evaluate_file(load("circle_packing"), program, split="train")
    if name == "claims_a_sum":  # 26 circles of radius 0 are a packing: it scores 0
        assert evaluation.ok and evaluation.score == 0.0
    else:
        assert not evaluation.ok and evaluation.score is None
        assert re.search(EXPECTED[name], evaluation.error)


def test_the_seed_runs_in_the_sandbox_on_n32(tmp_path: Path) -> None:
    program = tmp_path / "seed.py"
    program.write_text(TEMPLATE)
    evaluation, label = evaluate_file(load("circle_packing"), program, dataset="n32")
    assert evaluation.ok and label == "dataset n32"
    assert evaluation.score == pytest.approx(32 / 12, rel=1e-11)
