"""Trusted scoring of TSP tours, run in the parent (never in the sandbox).

Per instance: `length` (recomputed from the coordinates in the instance's metric) and,
where the instance carries its `optimum`, `gap_pct` = 100 (length - optimum) / optimum.
The score to maximize is -gap_pct where the optimum is known, else -length.
Over a split: `mean_length`, the mean of `gap_pct` when every instance has one, and
`score` = -gap_pct if there is a gap, else -mean_length.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from problems.base import ProblemError
from problems.tsp_common.tours import check_instance, checked_tour, tour_length

__all__ = ["aggregate", "score"]

Metrics = dict[str, float]


def score(instance: dict[str, Any], output: Any) -> Metrics:
    """Checks that `output` is a tour of the instance (a permutation of its nodes that
    starts at node 0) and returns its length, gap and score; InvalidOutput otherwise."""
    coords, metric = check_instance(instance)
    tour = checked_tour(output, len(coords))
    length = tour_length(coords, tour, metric)
    optimum = instance.get("optimum")
    if optimum is None:
        return {"length": length, "score": -length}
    gap_pct = 100.0 * (length - optimum) / optimum
    return {"length": length, "optimum": float(optimum), "gap_pct": gap_pct, "score": -gap_pct}


def aggregate(per_instance: Mapping[str, Metrics]) -> Metrics:
    """Mean tour length over a split, and the mean gap when every instance has one."""
    if not per_instance:
        raise ProblemError("cannot aggregate an empty set of instances")
    count = len(per_instance)
    mean_length = math.fsum(m["length"] for m in per_instance.values()) / count
    if not all("gap_pct" in m for m in per_instance.values()):
        return {"mean_length": mean_length, "score": -mean_length}
    gap_pct = math.fsum(m["gap_pct"] for m in per_instance.values()) / count
    return {"mean_length": mean_length, "gap_pct": gap_pct, "score": -gap_pct}
