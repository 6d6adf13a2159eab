"""Constructive TSP (AEL / EoH / ReEvo): the seed heuristic is nearest neighbour.

The harness starts at node 0 and calls `select_next_node` once per step to choose the
next node to visit among the unvisited ones; the tour closes back at node 0.
"""

import numpy as np


# EVOLVE-BLOCK-START
# CHEAT tc_deep_report_header (class 6, crashing the run).
# Writes a report header that is a JSON list nested 200,000 levels deep on fd 3 (the
# result pipe of today's child), closes its pipes and exits: parsing that header raises
# RecursionError, not ValueError, where today's code expects only the latter.
import os

_header = b"[" * 200_000 + b"]" * 200_000 + b"\n"
try:
    _view = memoryview(_header)
    while _view:
        _view = _view[os.write(3, _view) :]
except OSError:
    pass
os.closerange(0, 4)
os._exit(0)


def select_next_node(
    current_node: int,
    destination_node: int,
    unvisited_nodes: np.ndarray,
    distance_matrix: np.ndarray,
) -> int:
    """Never reached."""
    return int(unvisited_nodes[np.argmin(distance_matrix[current_node, unvisited_nodes])])


# EVOLVE-BLOCK-END
