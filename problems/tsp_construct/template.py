"""Constructive TSP (AEL / EoH / ReEvo): the seed heuristic is nearest neighbour.

The harness starts at node 0 and calls `select_next_node` once per step to choose the
next node to visit among the unvisited ones; the tour closes back at node 0.
"""

import numpy as np


# EVOLVE-BLOCK-START
def select_next_node(
    current_node: int,
    destination_node: int,
    unvisited_nodes: np.ndarray,
    distance_matrix: np.ndarray,
) -> int:
    """Returns the next node to visit.

    Args:
        current_node: the node the tour is at.
        destination_node: the node the tour must return to at the end (node 0).
        unvisited_nodes: the nodes not yet visited (a numpy int array, increasing).
        distance_matrix: distances between all pairs of nodes, shape (n, n), read-only.

    Returns:
        One of `unvisited_nodes`.
    """
    return int(unvisited_nodes[np.argmin(distance_matrix[current_node, unvisited_nodes])])


# EVOLVE-BLOCK-END
