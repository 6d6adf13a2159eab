"""Constructive TSP under EoH's interface: the seed heuristic is nearest neighbour.

The harness starts at node 0 and calls `select_next_node` once per step with the
unvisited nodes nearest first, as in EoH; the last node is added without a call.
"""

import numpy as np


# EVOLVE-BLOCK-START
def select_next_node(
    current_node: int,
    destination_node: int,
    unvisited_nodes: np.ndarray,
    distance_matrix: np.ndarray,
) -> int:
    """Returns the next node to visit: one of `unvisited_nodes` (nearest first)."""
    return int(unvisited_nodes[np.argmin(distance_matrix[current_node][unvisited_nodes])])


# EVOLVE-BLOCK-END
