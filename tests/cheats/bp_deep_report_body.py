"""Online bin packing (FunSearch, Nature 2023): the seed heuristic is best fit.

The harness calls `priority(item, bins)` once per arriving item, with the remaining
capacities of the bins the item fits in, and puts the item in the bin with the highest
priority (the first such bin on ties).
"""

import numpy as np


# EVOLVE-BLOCK-START
# CHEAT bp_deep_report_body (class 6, crashing the run).
# Writes a well-formed "ok" report header on fd 3 (the result pipe of today's child)
# whose value is a list nested 200,000 levels deep, closes its pipes and exits: the
# controller's json.loads of the value raises RecursionError (not ValueError), which
# today ends the whole run as "failed". It never returns a value of its own.
import os


def _write_everything(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


_body = b"[" * 200_000 + b"]" * 200_000
try:
    _write_everything(3, b'{"status":"ok","bytes":%d}\n' % len(_body) + _body)
except OSError:
    pass
os.closerange(0, 4)
os._exit(0)


def priority(item: float, bins: np.ndarray) -> np.ndarray:
    """Never reached."""
    return -(bins - item)


# EVOLVE-BLOCK-END
