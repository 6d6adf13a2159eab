"""Trusted scoring of TSP tours, run in the parent (never in the sandbox).

Per instance: `length` (recomputed from the coordinates in the instance's metric) and,
where the instance carries its `optimum`, `gap_pct` = 100 (length - optimum) / optimum.
The score to maximize is -gap_pct where the optimum is known, else -length.
Over a split: `mean_length`, the mean of `gap_pct` when every instance has one, and
`score` = -gap_pct if there is a gap, else -mean_length. A harness may return the tour
with counts of its own ({"tour": [...], "nonfinite_guides": n}, see COUNTS): they become
metrics of the same names when not zero, summed over a split.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from problems.base import InvalidOutput, ProblemError
from problems.tsp_common.tours import check_instance, checked_tour, tour_length

__all__ = ["COUNTS", "aggregate", "score"]

Metrics = dict[str, float]
COUNTS = ("nonfinite_guides",)  # tsp_gls: guided matrices with a nan or an infinity


def score(instance: dict[str, Any], output: Any) -> Metrics:
    """Checks that `output` is a tour of the instance (a permutation of its nodes that
    starts at node 0) and returns its length, gap and score; InvalidOutput otherwise."""
    coords, metric = check_instance(instance)
    output, counts = _split_counts(output)
    tour = checked_tour(output, len(coords))
    length = tour_length(coords, tour, metric)
    optimum = instance.get("optimum")
    if optimum is None:
        return {"length": length, "score": -length, **counts}
    gap_pct = 100.0 * (length - optimum) / optimum
    return {
        "length": length,
        "optimum": float(optimum),
        "gap_pct": gap_pct,
        "score": -gap_pct,
        **counts,
    }


def aggregate(per_instance: Mapping[str, Metrics]) -> Metrics:
    """Mean tour length over a split, and the mean gap when every instance has one."""
    if not per_instance:
        raise ProblemError("cannot aggregate an empty set of instances")
    count = len(per_instance)
    mean_length = math.fsum(m["length"] for m in per_instance.values()) / count
    totals = {k: math.fsum(m.get(k, 0.0) for m in per_instance.values()) for k in COUNTS}
    counts = {k: v for k, v in totals.items() if v}
    if not all("gap_pct" in m for m in per_instance.values()):
        return {"mean_length": mean_length, "score": -mean_length, **counts}
    gap_pct = math.fsum(m["gap_pct"] for m in per_instance.values()) / count
    return {"mean_length": mean_length, "gap_pct": gap_pct, "score": -gap_pct, **counts}


def _split_counts(output: Any) -> tuple[Any, dict[str, float]]:
    """(the tour, the non-zero counts) of a list or of {"tour": [...], COUNT: n, ...}."""
    if not isinstance(output, dict):
        return output, {}
    extra = set(output) - {"tour"}
    if "tour" not in output or not extra <= set(COUNTS):
        raise InvalidOutput(
            f"expected a tour or {{'tour': [...], ...}}, got keys {sorted(map(str, output))}"
        )
    counts = {k: output[k] for k in extra}
    for name, value in counts.items():
        if type(value) is not int or value < 0:
            raise InvalidOutput(f"{name} must be a count (an int >= 0), got {value!r}")
    return output["tour"], {k: float(v) for k, v in counts.items() if v}
