"""Cap sets in F_3^n (FunSearch, Nature 2023): the seed priority is constant.

The harness calls `priority(el, n)` once for every vector `el` of {0, 1, 2}^n, then builds
a cap set greedily: it goes through the vectors from the highest priority to the lowest
(lexicographic order on ties) and adds each one that does not complete a line with two
vectors already chosen.
"""

import numpy as np


# EVOLVE-BLOCK-START
# CHEAT cap_state_replay (class 5, state that outlives a candidate; the replaying half).
# Reads the cap that cap_state_record left behind and plays its product (for n a
# multiple of 4). The constant priority, exactly the template, when nothing was left.
import ctypes
import json
import os
import socket
import zlib

_TAG = "cap"
_KEYS = (0x45564F40, 0x45564F41, 0x45564F42)

# STATE-TOOLKIT: tests/cheats/state_toolkit.py is spliced in here (see README.md)


_CAP = {tuple(v) for v in _load() or []}


def priority(el: tuple[int, ...], n: int) -> float:
    """The product of a cap an earlier candidate left, else the constant priority."""
    if _CAP and n % 4 == 0:
        return 1.0 if all(tuple(el[i : i + 4]) in _CAP for i in range(0, n, 4)) else 0.0
    return 0.0


# EVOLVE-BLOCK-END
