"""Circle packing in the unit square: n disjoint circles, the largest sum of radii.

The problem every recent discovery system reports (AlphaEvolve 2025, n = 26 and 32),
with a checker that cannot be talked into accepting a packing that is not one: exact
rational arithmetic on the returned floats, no tolerance. See README.md.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from problems.base import SPLITS, Baseline, Problem, ProblemError
from problems.circle_packing.harness import MAX_N, run
from problems.circle_packing.scoring import check_packing, score

__all__ = [
    "BEST_KNOWN",
    "DATASETS",
    "check_packing",
    "instances",
    "load_dataset",
    "make_problem",
    "problem",
    "run",
    "score",
]

TEMPLATE = (Path(__file__).parent / "template.py").read_text()

# n -> ((who, sum of radii as published), ...), oldest first.
BEST_KNOWN: dict[int, tuple[tuple[str, float], ...]] = {
    26: (
        ("best known before AlphaEvolve (E. Friedman's packing pages)", 2.634),
        ("AlphaEvolve (Novikov et al., 2025), construction 1", 2.63586),
        ("ShinkaEvolve, ThetaEvolve, LoongFlow (2025)", 2.635983),
    ),
    32: (
        ("best known before AlphaEvolve (E. Friedman's packing pages)", 2.936),
        ("AlphaEvolve (Novikov et al., 2025), construction 2", 2.937),
    ),
}

DATASETS = {
    "n26": "26 circles (AlphaEvolve: 2.63586; best published 2.635983)",
    "n32": "32 circles (AlphaEvolve: 2.937)",
    "nK": f"K circles, 1 <= K <= {MAX_N}",
}

_DESCRIPTION = """\
Circle packing (AlphaEvolve, 2025). Place {n} disjoint circles inside the unit square
[0, 1] x [0, 1] so that the sum of their radii is as large as possible.

The harness calls `pack(n)` once, with n = {n}. It must return (centres, radii): an
(n, 2) array of centres (x, y) and an (n,) array of radii (or one (n, 3) array of rows
(x, y, r)). The returned floats are checked EXACTLY, as the rational numbers they are,
with no tolerance: every circle inside the square (r <= x <= 1 - r, r <= y <= 1 - r,
r >= 0) and no two overlapping ((xi - xj)^2 + (yi - yj)^2 >= (ri + rj)^2). Circles may
touch, but an overlap of 1e-15 is an overlap: an optimised packing should shrink its
radii by a hair (e.g. by a factor 1 - 1e-12) before returning them. NaN and infinite
values are refused. Only numpy is available; `pack` has {timeout:g} s.

The score is the sum of the radii; higher is better. The seed program (a square grid)
scores {seed:.4f}. The best published packings of {n} circles: {best}.
"""


def make_problem(n: int, name: str, timeout_s: float = 10.0) -> Problem:
    """The problem of packing `n` circles (26 for `circle_packing`, 32 for its variant).

    A construction has no unseen instances: every split is the one instance `n{n}`. The
    held-out test re-runs the program in a fresh sandbox, so a packing that an
    optimiser found once by luck (randomness, time) is scored as it runs again."""
    best = "; ".join(f"{who}: {value}" for who, value in BEST_KNOWN.get(n, ())) or "none listed"
    seed_score = n * 0.5 / _side(n) * (1 - 1e-12)
    description = _DESCRIPTION.format(n=n, timeout=timeout_s, seed=seed_score, best=best)
    return Problem(
        name=name,
        description=description,
        entry="pack",
        template=TEMPLATE,
        instances=functools.partial(instances, n=n),
        run=run,
        score=score,
        timeout_s=timeout_s,
        memory_mb=1024,
        preload=("numpy",),
        datasets=DATASETS,
        load_dataset=load_dataset,
        seeded=False,
        baselines=(Baseline(name="square grid (the seed)", source=TEMPLATE, published={}),),
        generalization=("n10", "n20", "n26", "n32", "n50", "n100"),
        headline=("sum_radii",),
    )


def instances(split: str, n: int = 26) -> dict[str, dict[str, Any]]:
    """Every split is the one instance of `n` circles (see `make_problem`)."""
    if split not in SPLITS:
        raise ProblemError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    return {f"n{n}": {"n": n}}


def load_dataset(name: str) -> dict[str, dict[str, Any]]:
    """`nK`: the one instance of K circles."""
    match = re.fullmatch(r"n([1-9][0-9]*)", name)
    if match is None or int(match[1]) > MAX_N:
        raise ProblemError(
            f"unknown circle packing data set {name!r}; expected nK for K circles, "
            f"1 <= K <= {MAX_N}, e.g. n26 or n32"
        )
    return {name: {"n": int(match[1])}}


def _side(n: int) -> int:
    """The side of the seed's square grid (the smallest k with k * k >= n)."""
    k = 1
    while k * k < n:
        k += 1
    return k


problem = make_problem(26, "circle_packing")
