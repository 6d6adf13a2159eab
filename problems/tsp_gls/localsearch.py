"""2-opt and relocate local search on a tour, vectorised with numpy (no candidate code).

A tour is an int array of positions -> nodes whose first node stays at position 0. Each
search step takes the best improving move (best improvement), as EoH's and ReEvo's GLS
do: a 2-opt move reverses tour[i : j + 1] (1 <= i < j), a relocate move takes the node at
position i >= 1 out and puts it back between the nodes at positions j and j + 1.
Moves are kept only if they improve by more than `EPSILON`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["EPSILON", "local_search", "local_search_at", "tour_cost"]

EPSILON = 1e-9


def tour_cost(distances: np.ndarray, tour: np.ndarray) -> float:
    """Length of the closed tour under `distances`."""
    return float(distances[tour, np.roll(tour, -1)].sum())


def local_search(distances: np.ndarray, tour: np.ndarray, max_steps: int = 1000) -> np.ndarray:
    """Best-improvement 2-opt + relocate until no move improves (or `max_steps` steps)."""
    n = len(tour)
    upper = np.triu(np.ones((n, n), dtype=bool), k=1)
    upper[0] = False  # position 0 never moves
    others = ~np.eye(n, dtype=bool) & ~np.eye(n, k=-1, dtype=bool)
    others[0] = False
    for _ in range(max_steps):
        improved = False
        for move in (_best_two_opt, _best_relocate):
            mask = upper if move is _best_two_opt else others
            better = move(distances, tour, mask)
            if better is not None:
                tour, improved = better, True
        if not improved:
            break
    return tour


def local_search_at(distances: np.ndarray, tour: np.ndarray, position: int) -> np.ndarray:
    """The best improving 2-opt move that starts at `position` (reversing
    tour[position : j + 1]), then the best improving relocate of the node there."""
    n = len(tour)
    if not 1 <= position < n:
        return tour
    i, node, prev = position, tour[position], tour[position - 1]
    if i < n - 1:
        ends = np.arange(i + 1, n)
        j_nodes, j_next = tour[ends], tour[(ends + 1) % n]
        delta = distances[prev, j_nodes] + distances[node, j_next] - distances[j_nodes, j_next]
        best = int(delta.argmin())
        if delta[best] - distances[prev, node] < -EPSILON:
            j = i + 1 + best
            tour = np.concatenate((tour[:i], tour[i : j + 1][::-1], tour[j + 1 :]))
    return _relocate_at(distances, tour, i)


def _relocate_at(distances: np.ndarray, tour: np.ndarray, i: int) -> np.ndarray:
    n = len(tour)
    node, prev, nxt = tour[i], tour[i - 1], tour[(i + 1) % n]
    saved = distances[prev, node] + distances[node, nxt] - distances[prev, nxt]
    after = np.roll(tour, -1)
    delta = distances[node, tour] + distances[node, after] - distances[tour, after]
    delta[[i, i - 1]] = np.inf
    j = int(delta.argmin())
    if not delta[j] - saved < -EPSILON:
        return tour
    return np.insert(np.delete(tour, i), j + 1 if j < i else j, node)


def _best_two_opt(distances: np.ndarray, tour: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """The tour after the best improving 2-opt move allowed by `mask`, or None."""
    before, after = np.roll(tour, 1), np.roll(tour, -1)
    # delta[i, j] = d(t[i-1], t[j]) + d(t[i], t[j+1]) - d(t[i-1], t[i]) - d(t[j], t[j+1])
    edges = distances[tour, after]
    delta = (
        distances[np.ix_(before, tour)]
        + distances[np.ix_(tour, after)]
        - np.roll(edges, 1)[:, None]
        - edges[None, :]
    )
    delta[~mask] = np.inf
    i, j = divmod(int(delta.argmin()), len(tour))
    if not delta[i, j] < -EPSILON:
        return None
    return np.concatenate((tour[:i], tour[i : j + 1][::-1], tour[j + 1 :]))


def _best_relocate(distances: np.ndarray, tour: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """The tour after the best improving relocate move allowed by `mask`, or None."""
    before, after = np.roll(tour, 1), np.roll(tour, -1)
    # removing t[i] saves d(t[i-1], t[i]) + d(t[i], t[i+1]) - d(t[i-1], t[i+1]); putting it
    # between t[j] and t[j+1] costs d(t[j], t[i]) + d(t[i], t[j+1]) - d(t[j], t[j+1])
    edges = distances[tour, after]
    saved = np.roll(edges, 1) + edges - distances[before, after]
    delta = (
        distances[np.ix_(tour, tour)]
        + distances[np.ix_(tour, after)]
        - edges[None, :]
        - saved[:, None]
    )
    delta[~mask] = np.inf
    i, j = divmod(int(delta.argmin()), len(tour))
    if not delta[i, j] < -EPSILON:
        return None
    return np.insert(np.delete(tour, i), j + 1 if j < i else j, tour[i])
