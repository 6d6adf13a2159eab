"""The circle packing harness, run in the trusted harness host.

Protocol: call `pack(n)` once. It returns the circles as `(centres, radii)` (an (n, 2)
and an (n,) array, as AlphaEvolve's and OpenEvolve's programs do; a third element, such
as a claimed sum of radii, is ignored) or as one (n, 3) array of rows (x, y, r). The
result is plain data, a list of n `[x, y, r]` floats, exactly the floats returned:
`score` checks them exactly, in the trusted parent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["MAX_N", "circles", "run"]

MAX_N = 1000

Pack = Callable[[int], Any]


def run(pack: Pack, instance: dict[str, Any]) -> list[list[float]]:
    """The circles `pack(n)` returns, as n rows [x, y, r]."""
    n = instance.get("n") if isinstance(instance, dict) else None
    if type(n) is not int or not 1 <= n <= MAX_N:
        raise ValueError(f"a circle packing instance is {{'n': 1..{MAX_N}}}, got {instance!r}")
    return circles(pack(n), n)


def circles(value: Any, n: int) -> list[list[float]]:
    """`value` as n rows [x, y, r]; ValueError saying what shape was expected."""
    if isinstance(value, tuple | list) and len(value) in (2, 3) and _is_pair(value, n):
        centres, radii = _floats(value[0], "centres"), _floats(value[1], "radii")
        if centres.shape != (n, 2) or radii.shape != (n,):
            raise ValueError(
                f"pack({n}) must return centres of shape ({n}, 2) and radii of shape ({n},); "
                f"got {centres.shape} and {radii.shape}"
            )
        rows = np.column_stack([centres, radii])
    else:
        rows = _floats(value, "the circles")
        if rows.shape != (n, 3):
            raise ValueError(
                f"pack({n}) must return (centres, radii) or an array of shape ({n}, 3) with "
                f"rows (x, y, r); got {type(value).__name__} of shape {rows.shape}"
            )
    return [[float(v) for v in row] for row in rows.tolist()]


def _is_pair(value: tuple[Any, ...] | list[Any], n: int) -> bool:
    """Whether `value` reads as (centres, radii[, extra]) rather than as n rows."""
    try:
        return n != len(value) or np.ndim(value[0]) == 2
    except ValueError:  # a ragged first element: not an array of centres
        return False


def _floats(value: Any, what: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError, OverflowError) as error:
        raise ValueError(f"{what} must be numbers; got {type(value).__name__} ({error})") from None
    return array
