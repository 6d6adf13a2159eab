"""Trusted, exact check of a circle packing, run in the parent (never in the sandbox).

Every returned float is read as the exact rational it stands for (`Fraction`), and the
constraints are checked in exact arithmetic, with no tolerance: each circle lies in the
unit square (r <= x <= 1 - r, the same for y, r >= 0) and no two overlap
((xi - xj)^2 + (yi - yj)^2 >= (ri + rj)^2; touching is allowed). Published checkers
that tolerate overlaps of about 1e-9 have accepted packings that are not packings; a
NaN or an infinity is not a number here. The score is the exact sum of the radii,
rounded once to a float.

Only pairs that floating point cannot clear by a wide margin are checked exactly: with
every value in [0, 1], the float error of the squared distance is below 1e-14, so a pair
whose float room exceeds `CLEAR` certainly does not overlap.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from problems.base import InvalidOutput
from problems.circle_packing.harness import MAX_N

__all__ = ["check_packing", "score"]

Metrics = dict[str, float]
Circle = tuple[Fraction, Fraction, Fraction]

CLEAR = 1e-9  # far above the float error (< 1e-14) of the squared-distance test
HINT = "the check is exact: shrink the radii by a hair (e.g. by a factor 1 - 1e-12)"


def score(instance: dict[str, Any], output: Any) -> Metrics:
    """Checks that `output` ([x, y, r] per circle) packs n circles; the sum of radii."""
    n = instance["n"]
    if type(n) is not int or not 1 <= n <= MAX_N:
        raise InvalidOutput(f"bad instance {instance!r}")
    total = sum((r for _, _, r in check_packing(output, n)), Fraction(0))
    return {"sum_radii": float(total), "score": float(total)}


def check_packing(output: Any, n: int) -> list[Circle]:
    """The circles as exact rationals; InvalidOutput naming the first broken rule."""
    if not isinstance(output, list) or len(output) != n:
        size = len(output) if isinstance(output, list) else type(output).__name__
        raise InvalidOutput(f"expected {n} circles, got {size}")
    circles = [_circle(i, row) for i, row in enumerate(output)]
    for i, (x, y, r) in enumerate(circles):
        for axis, c in (("x", x), ("y", y)):
            if not r <= c <= 1 - r:
                raise InvalidOutput(
                    f"circle {i} (centre {axis} = {float(c)!r}, r = {float(r)!r}) is not inside "
                    f"the unit square: {_outside(c, r)}; {HINT}"
                )
    for i, j in _close_pairs(circles):
        (xi, yi, ri), (xj, yj, rj) = circles[i], circles[j]
        room = (xi - xj) ** 2 + (yi - yj) ** 2 - (ri + rj) ** 2
        if room < 0:
            raise InvalidOutput(
                f"circles {i} and {j} overlap: squared centre distance minus squared sum of "
                f"radii is {float(room):.3g}; {HINT}"
            )
    return circles


def _close_pairs(circles: list[Circle]) -> list[tuple[int, int]]:
    """The pairs (i < j) whose float room is not clearly positive, in order."""
    a = np.array(circles, dtype=np.float64)  # exact: each value came from a float
    x, y, r = a[:, :1], a[:, 1:2], a[:, 2:]
    room = (x - x.T) ** 2 + (y - y.T) ** 2 - (r + r.T) ** 2
    i, j = np.nonzero(np.triu(room < CLEAR, k=1))
    return list(zip(i.tolist(), j.tolist(), strict=True))


def _circle(i: int, row: Any) -> Circle:
    if not isinstance(row, list) or len(row) != 3:
        raise InvalidOutput(f"circle {i} must be [x, y, r], got {row!r:.80}")
    values = []
    for name, value in zip("xyr", row, strict=True):
        if type(value) not in (int, float):
            raise InvalidOutput(f"circle {i}: {name} must be a number, got {value!r:.40}")
        try:
            values.append(Fraction(value))
        except (ValueError, OverflowError):
            raise InvalidOutput(f"circle {i}: {name} is {value!r}, not a finite number") from None
    x, y, r = values
    if r < 0:
        raise InvalidOutput(f"circle {i} has a negative radius {float(r)!r}")
    return x, y, r


def _outside(c: Fraction, r: Fraction) -> str:
    """By how much a circle crosses the square's edge, e.g. "1e-12 beyond 1"."""
    if c < r:
        return f"it crosses 0 by {float(r - c):.3g}"
    return f"it crosses 1 by {float(c + r - 1):.3g}"
