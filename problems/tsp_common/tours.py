"""TSP instances, distances and tours: the checks both TSP problems trust.

An instance is plain JSON data: `{"coords": [[x, y], ...]}`, optionally with `"metric"`
("euclidean", the default, or "EUC_2D": TSPLIB's rounding `int(sqrt(dx² + dy²) + 0.5)`),
`"optimum"` (the optimal tour length in that metric) and `"name"`.

A tour is a list of node indices: a permutation of 0..n-1 that starts at node 0; it is
closed (the last node returns to node 0). Its length is always recomputed here from the
instance's coordinates, never taken from the candidate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from problems.base import InvalidOutput, check_int_entries

__all__ = [
    "METRICS",
    "check_instance",
    "checked_tour",
    "distance_matrix",
    "farthest_insertion",
    "farthest_insertion_tour",
    "nearest_neighbour",
    "tour_length",
]

METRICS = ("euclidean", "EUC_2D")


def check_instance(instance: Any) -> tuple[np.ndarray, str]:
    """(coords as an (n, 2) float array, metric) of a well-formed instance; ValueError
    saying what is wrong otherwise."""
    if not isinstance(instance, dict) or "coords" not in instance:
        raise ValueError("a TSP instance must be an object {'coords': [[x, y], ...]}")
    coords = instance["coords"]
    if not isinstance(coords, np.ndarray):
        try:
            coords = np.asarray(coords, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError("coords must be a list of [x, y] pairs of numbers") from None
    if coords.ndim != 2 or coords.shape[1] != 2 or coords.shape[0] < 3:
        raise ValueError(f"coords must be at least 3 [x, y] pairs, got shape {coords.shape}")
    if not np.isfinite(coords).all():
        raise ValueError("coords must be finite numbers")
    metric = instance.get("metric", "euclidean")
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
    return coords, metric


def distance_matrix(coords: np.ndarray, metric: str = "euclidean") -> np.ndarray:
    """The (n, n) float64 matrix of distances between all pairs of points."""
    diff = coords[:, None, :] - coords[None, :, :]
    distances = np.sqrt((diff**2).sum(axis=-1))
    if metric == "EUC_2D":
        distances = np.floor(distances + 0.5)
    return distances


def tour_length(coords: np.ndarray, tour: np.ndarray, metric: str = "euclidean") -> float:
    """Length of the closed tour visiting `coords` in the order `tour`."""
    points = coords[tour]
    legs = np.sqrt(((points - np.roll(points, -1, axis=0)) ** 2).sum(axis=1))
    if metric == "EUC_2D":
        legs = np.floor(legs + 0.5)
    return math.fsum(legs.tolist())


def checked_tour(output: Any, n: int) -> np.ndarray:
    """The tour as an int array, if `output` is a list of n distinct ints in [0, n) that
    starts at 0; InvalidOutput saying what is wrong otherwise."""
    if not isinstance(output, list | tuple):
        raise InvalidOutput(
            f"expected a tour: a list of {n} node indices, got {type(output).__name__}"
        )
    if len(output) != n:
        raise InvalidOutput(f"a tour must visit all {n} nodes once: got {len(output)} nodes")
    check_int_entries(output, n, lambda position: f"position {position}: node")
    if output[0] != 0:
        raise InvalidOutput(f"a tour must start at node 0, this one starts at node {output[0]}")
    tour = np.asarray(output, dtype=np.int64)
    counts = np.bincount(tour, minlength=n)
    if (counts != 1).any():
        twice, missing = np.flatnonzero(counts > 1), np.flatnonzero(counts == 0)
        raise InvalidOutput(
            f"a tour must visit every node once: node {int(twice[0])} is visited "
            f"{int(counts[twice[0]])} times and node {int(missing[0])} never"
        )
    return tour


def nearest_neighbour(distances: np.ndarray, start: int = 0) -> np.ndarray:
    """The nearest-neighbour tour from `start` (the first node wins ties)."""
    n = len(distances)
    tour = np.empty(n, dtype=np.int64)
    visited = np.zeros(n, dtype=bool)
    tour[0], visited[start] = start, True
    for step in range(1, n):
        row = np.where(visited, np.inf, distances[tour[step - 1]])
        tour[step] = int(row.argmin())
        visited[tour[step]] = True
    return tour


def farthest_insertion(distances: np.ndarray) -> np.ndarray:
    """The farthest-insertion tour, rotated to start at node 0: start with node 0 and the
    node farthest from it; repeatedly take the node farthest from the tour and insert it
    where it lengthens the tour least (the first such place on ties)."""
    n = len(distances)
    if n < 3:
        return np.arange(n, dtype=np.int64)
    far = int(distances[0].argmax())
    tour = [0, far]
    gap = np.minimum(distances[0], distances[far])  # each node's distance to the tour
    gap[tour] = -np.inf
    for _ in range(n - 2):
        node = int(gap.argmax())
        here = np.asarray(tour)
        after = np.roll(here, -1)
        cost = distances[here, node] + distances[node, after] - distances[here, after]
        tour.insert(int(cost.argmin()) + 1, node)
        gap = np.minimum(gap, distances[node])
        gap[node] = -np.inf
    return np.asarray(tour, dtype=np.int64)


def farthest_insertion_tour(instance: dict[str, Any]) -> list[int]:
    """The farthest-insertion tour of an instance (a trusted reference solver)."""
    coords, metric = check_instance(instance)
    return farthest_insertion(distance_matrix(coords, metric)).tolist()
