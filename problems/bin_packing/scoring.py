"""Trusted checks and metrics for bin packing, run in the parent (never in the sandbox).

`score` rebuilds every bin's load from the returned assignment alone, so a candidate can
only be credited for a packing that really fits. Metrics follow FunSearch: bins used,
the L1 lower bound ceil(sum(items) / capacity), and the excess over it in percent;
`aggregate` takes the ratio of means over a split, as FunSearch's tables do. The harness's
counts of items that got non-finite or scalar priorities (harness.COUNTS) become metrics
of the same names, summed over a split, shown only when not zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from problems.base import InvalidOutput, ProblemError, check_int_entries
from problems.bin_packing.datasets import check_instance
from problems.bin_packing.harness import COUNTS

__all__ = ["aggregate", "l1_bound", "score"]

Metrics = dict[str, float]
FLOAT_TOLERANCE = 1e-9  # relative slack on a bin's load for real-valued item sizes


def l1_bound(capacity: int | float, items: list[int] | list[float]) -> int:
    """ceil(sum(items) / capacity), exact for integers, rounding-safe for reals."""
    if isinstance(capacity, int) and all(isinstance(x, int) for x in items):
        return int(-(-sum(items) // capacity))
    return math.ceil(math.fsum(items) / capacity - FLOAT_TOLERANCE)


def score(instance: dict[str, Any], output: Any) -> Metrics:
    """Checks that `output` is a valid packing; returns metrics.

    `output` is the harness's {"bins": [...], COUNTS...} or just the list of each item's
    bin index. Raises InvalidOutput for anything but len(items) ints in [0, len(items))
    whose bins all hold at most the capacity (and counts that are non-negative ints).
    """
    capacity, items = check_instance(instance)
    output, counts = _split_counts(output)
    assignment = _checked_assignment(output, len(items))
    loads = np.bincount(
        assignment, weights=np.asarray(items, dtype=np.float64), minlength=len(items)
    )
    slack = 0.0 if isinstance(capacity, int) else FLOAT_TOLERANCE * capacity
    overfull = np.flatnonzero(loads > capacity + slack)
    if overfull.size:
        b = int(overfull[0])
        held = np.flatnonzero(assignment == b)[:10].tolist()
        raise InvalidOutput(
            f"{overfull.size} bin(s) hold more than the capacity {capacity}: e.g. bin {b} "
            f"holds {loads[b]:g} (items {held}{'...' if len(held) == 10 else ''})"
        )
    used = int(np.count_nonzero(loads))
    bound = l1_bound(capacity, items)
    excess_pct = 100.0 * (used - bound) / bound
    return {
        "bins_used": float(used),
        "l1_bound": float(bound),
        "excess_pct": excess_pct,
        "score": -excess_pct,
        **{name: float(count) for name, count in counts.items() if count},
    }


def aggregate(per_instance: Mapping[str, Metrics]) -> Metrics:
    """FunSearch's excess over a split: 100 * (mean bins used - mean L1) / mean L1."""
    if not per_instance:
        raise ProblemError("cannot aggregate an empty set of instances")
    bins_used = math.fsum(m["bins_used"] for m in per_instance.values()) / len(per_instance)
    bound = math.fsum(m["l1_bound"] for m in per_instance.values()) / len(per_instance)
    excess_pct = 100.0 * (bins_used - bound) / bound
    counts = {name: math.fsum(m.get(name, 0.0) for m in per_instance.values()) for name in COUNTS}
    return {
        "bins_used": bins_used,
        "l1_bound": bound,
        "excess_pct": excess_pct,
        "score": -excess_pct,
        **{name: count for name, count in counts.items() if count},
    }


def _split_counts(output: Any) -> tuple[Any, dict[str, int]]:
    """(the bin indices, the harness's counts) of an output."""
    if not isinstance(output, dict):
        return output, {}
    if set(output) != {"bins", *COUNTS}:
        raise InvalidOutput(
            f"expected {{'bins': [...], {', '.join(repr(c) for c in COUNTS)}}}, got keys "
            f"{sorted(map(str, output))}"
        )
    counts = {name: output[name] for name in COUNTS}
    for name, count in counts.items():
        if type(count) is not int or count < 0:
            raise InvalidOutput(f"{name} must be a count (an int >= 0), got {count!r}")
    return output["bins"], counts


def _checked_assignment(output: Any, n_items: int) -> np.ndarray:
    if not isinstance(output, list | tuple):
        raise InvalidOutput(
            f"expected a list of {n_items} bin indices (one per item), got {type(output).__name__}"
        )
    if len(output) != n_items:
        raise InvalidOutput(f"expected {n_items} bin indices (one per item), got {len(output)}")
    check_int_entries(output, n_items, lambda i: f"item {i}: bin index")
    return np.asarray(output, dtype=np.int64)
