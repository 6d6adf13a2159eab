"""Guided local search for the TSP (EoH): the seed is classic GLS's edge utility.

After each local search, the harness asks `update_edge_distance` for guided distances,
penalises the edges whose guided distance exceeds the real one the most, and lets
2-opt and relocate moves around them escape the local optimum.
"""

import numpy as np


# EVOLVE-BLOCK-START
def update_edge_distance(
    edge_distance: np.ndarray, local_opt_tour: np.ndarray, edge_n_used: np.ndarray
) -> np.ndarray:
    """Returns the guided distance of every edge.

    Args:
        edge_distance: distances between all pairs of nodes, shape (n, n).
        local_opt_tour: the current local optimum, the nodes in visiting order, shape (n,).
        edge_n_used: how many times each edge was penalised so far, shape (n, n).

    Returns:
        The guided distances, shape (n, n). The edges whose guided distance exceeds
        `edge_distance` the most (np.argmax: a nan first, then +inf) are penalised and
        moved away from.
    """
    # classic GLS: raise the tour's edges by their utility d / (1 + penalty)
    guided = edge_distance.copy()
    a, b = local_opt_tour, np.roll(local_opt_tour, -1)
    utility = edge_distance[a, b] / (1.0 + edge_n_used[a, b])
    guided[a, b] += utility
    guided[b, a] += utility
    return guided


# EVOLVE-BLOCK-END
