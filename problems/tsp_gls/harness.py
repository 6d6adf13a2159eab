"""The guided local search (GLS) harness for the TSP, run in the trusted harness host (EoH).

1. Start from the nearest-neighbour tour from node 0 and improve it with 2-opt +
   relocate local search (localsearch.py) until no move improves.
2. Repeat `iterations` times (a perturbation, then a local search):
   - call `update_edge_distance(edge_distance, local_opt_tour, edge_n_used)` with copies
     of the distance matrix, the current local optimum and the (n, n) count of how often
     each edge was penalised so far; it returns the guided (n, n) distances;
   - take the `perturbation_moves` edges whose guided distance exceeds the real one the
     most, one at a time: count a penalty on the edge (both directions), then run one
     2-opt and one relocate move at each of its two endpoints, on the GUIDED distances;
   - run the local search on the real distances; keep the best tour found.
3. Return {"tour": the best tour as a list of ints starting at node 0,
   "nonfinite_guides": how many guided matrices had a nan or an infinity}; `score`
   re-checks the tour.

Guided distances may be nan or +-inf, as in EoH's GLS (numpy decides: the largest
excess, taken with np.argmax, is the first nan, else +inf; a move whose gain is nan is
not taken). They only steer the perturbation: the local search and the tour's length use
the real distances, so the score stays the true length. Not an (n, n) array of real
numbers is refused with a ValueError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from problems.tsp_common import check_instance, distance_matrix, nearest_neighbour
from problems.tsp_gls.localsearch import local_search, local_search_at, tour_cost

__all__ = ["ITERATIONS", "PERTURBATION_MOVES", "prepare", "run"]

ITERATIONS = 10  # default when an instance does not say
PERTURBATION_MOVES = 30  # as in EoH's and ReEvo's GLS

UpdateEdgeDistance = Callable[[np.ndarray, np.ndarray, np.ndarray], Any]


def prepare(instance: dict[str, Any]) -> dict[str, Any]:
    """Checks an instance and builds its read-only distance matrix, once per worker."""
    coords, metric = check_instance(instance)
    distances = distance_matrix(coords, metric)
    distances.setflags(write=False)
    return {
        "distances": distances,
        "iterations": int(instance.get("iterations", ITERATIONS)),
        "perturbation_moves": int(instance.get("perturbation_moves", PERTURBATION_MOVES)),
    }


def run(update_edge_distance: UpdateEdgeDistance, instance: dict[str, Any]) -> dict[str, Any]:
    """Guided local search with `update_edge_distance`: {"tour": the best tour found,
    "nonfinite_guides": n}."""
    if "distances" not in instance:
        instance = prepare(instance)
    distances: np.ndarray = instance["distances"]
    penalties = np.zeros_like(distances)
    tour = local_search(distances, nearest_neighbour(distances))
    best, best_cost = tour, tour_cost(distances, tour)
    nonfinite = 0
    for _ in range(instance["iterations"]):
        guided = _guided(update_edge_distance, distances, tour, penalties)
        if not np.isfinite(guided).all():
            nonfinite += 1
        with np.errstate(invalid="ignore", over="ignore"):  # non-finite guides: numpy's way
            tour = _perturb(guided, distances, tour, penalties, instance["perturbation_moves"])
        tour = local_search(distances, tour)
        cost = tour_cost(distances, tour)
        if cost < best_cost:
            best, best_cost = tour, cost
    return {"tour": best.tolist(), "nonfinite_guides": nonfinite}


def _perturb(
    guided: np.ndarray, distances: np.ndarray, tour: np.ndarray, penalties: np.ndarray, moves: int
) -> np.ndarray:
    """Penalises the `moves` edges the guide raises most; local moves at their ends."""
    excess = guided - distances  # inf - inf is nan: taken first, as np.argmax does
    n = len(tour)
    for _ in range(moves):
        a, b = divmod(int(excess.argmax()), n)
        penalties[a, b] += 1
        penalties[b, a] += 1
        excess[a, b] = excess[b, a] = 0.0
        for node in (a, b):
            tour = local_search_at(guided, tour, int(np.flatnonzero(tour == node)[0]))
    return tour


def _guided(
    update_edge_distance: UpdateEdgeDistance,
    distances: np.ndarray,
    tour: np.ndarray,
    penalties: np.ndarray,
) -> np.ndarray:
    """The candidate's guided distances, checked: an (n, n) array of real numbers."""
    result = update_edge_distance(distances.copy(), tour.copy(), penalties.copy())
    try:
        guided = np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"update_edge_distance must return an (n, n) array of numbers, got "
            f"{type(result).__name__} ({error})"
        ) from None
    if guided.shape != distances.shape:
        raise ValueError(
            f"update_edge_distance must return an array of shape {distances.shape}, "
            f"got shape {guided.shape}"
        )
    return guided
