"""Constructive TSP under ReEvo's interface: the seed heuristic is nearest neighbour.

The harness starts at node 0 and calls `select_next_node` with keyword arguments once
per step; `unvisited_nodes` is a set, as in ReEvo. The tour closes back at node 0.
"""

import numpy as np


# EVOLVE-BLOCK-START
def select_next_node(
    current_node: int, destination_node: int, unvisited_nodes: set, distance_matrix: np.ndarray
) -> int:
    """Returns the next node to visit: one of `unvisited_nodes` (a set of ints)."""
    return min(unvisited_nodes, key=lambda node: distance_matrix[current_node][node])


# EVOLVE-BLOCK-END
