"""Guided local search for the TSP (EoH): the seed is classic GLS's edge utility.

After each local search, the harness asks `update_edge_distance` for guided distances,
penalises the edges whose guided distance exceeds the real one the most, and lets
2-opt and relocate moves around them escape the local optimum.
"""

import numpy as np


# EVOLVE-BLOCK-START
# CHEAT gls_garbage_on_every_fd (class 6, crashing the run).
# Writes, on every file descriptor from 0 to 20, an "ok" report header announcing a
# value, then invalid UTF-8 and a JSON list nested 100,000 levels deep, then exits
# without returning: whatever fd the result channel is, it gets garbage.
import os

_deep = b"[" * 100_000 + b"]" * 100_000
_garbage = b'{"status":"ok","bytes":%d}\n' % (len(_deep) + 4) + b"\xff\xfe\xc3(" + _deep
for _fd in range(21):
    try:
        _view = memoryview(_garbage)
        while _view:
            _view = _view[os.write(_fd, _view) :]
    except OSError:
        pass
os.closerange(0, 64)
os._exit(0)


def update_edge_distance(
    edge_distance: np.ndarray, local_opt_tour: np.ndarray, edge_n_used: np.ndarray
) -> np.ndarray:
    """Never reached."""
    return edge_distance


# EVOLVE-BLOCK-END
