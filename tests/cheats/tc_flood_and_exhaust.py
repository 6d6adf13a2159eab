"""Constructive TSP (AEL / EoH / ReEvo): the seed heuristic is nearest neighbour.

The harness starts at node 0 and calls `select_next_node` once per step to choose the
next node to visit among the unvisited ones; the tour closes back at node 0.
"""

import numpy as np


# EVOLVE-BLOCK-START
# CHEAT tc_flood_and_exhaust (class 6, crashing the run: huge outputs, memory).
# Floods stdout and stderr with 64 MiB of invalid UTF-8 each, allocates memory until it
# runs out (catching MemoryError), then goes on as nearest neighbour, exactly the
# template. The run must survive it: output caps, memory limits, a clean status.
import os

for _fd in (1, 2):
    _chunk = b"\xff\xfe\xc3(" * (1 << 16)
    try:
        for _ in range(64):
            os.write(_fd, _chunk)
    except OSError:
        pass
_hoard = []
try:
    while True:
        _hoard.append(bytearray(64 << 20))
except MemoryError:
    pass
_hoard.clear()


def select_next_node(
    current_node: int,
    destination_node: int,
    unvisited_nodes: np.ndarray,
    distance_matrix: np.ndarray,
) -> int:
    """Nearest neighbour, exactly the template."""
    return int(unvisited_nodes[np.argmin(distance_matrix[current_node, unvisited_nodes])])


# EVOLVE-BLOCK-END
