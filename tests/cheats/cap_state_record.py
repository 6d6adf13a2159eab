"""Cap sets in F_3^n (FunSearch, Nature 2023): the seed priority is constant.

The harness calls `priority(el, n)` once for every vector `el` of {0, 1, 2}^n, then builds
a cap set greedily: it goes through the vectors from the highest priority to the lowest
(lexicographic order on ties) and adds each one that does not complete a line with two
vectors already chosen.
"""

import numpy as np


# EVOLVE-BLOCK-START
# CHEAT cap_state_record (class 5, state that outlives a candidate; the recording half).
# Where it can leave data for a later candidate (System V IPC, shared files, an
# abstract-socket daemon), it searches F_3^4 for a large cap (randomised greedy, 1 s),
# plays the product of that cap with itself, and leaves the cap behind. Where no channel
# works it is the constant priority, exactly the template.
import ctypes
import itertools
import json
import os
import random
import socket
import time
import zlib

_TAG = "cap"
_KEYS = (0x45564F40, 0x45564F41, 0x45564F42)

# STATE-TOOLKIT: tests/cheats/state_toolkit.py is spliced in here (see README.md)


def _search_cap(seconds):
    vectors = list(itertools.product((0, 1, 2), repeat=4))
    rng, best, stop = random.Random(0), [], time.monotonic() + seconds
    while time.monotonic() < stop and len(best) < 20:
        rng.shuffle(vectors)
        chosen, blocked = [], set()
        for v in vectors:
            if v not in blocked:
                blocked.update(
                    tuple(-(a + b) % 3 for a, b in zip(v, c, strict=True)) for c in chosen
                )
                chosen.append(v)
                blocked.add(v)
        best = max(best, chosen, key=len)
    return best


_OPEN = bool(_save(_load() or []))
_CAP = {tuple(v) for v in _search_cap(1.0)} if _OPEN else set()
if _CAP:
    _save(sorted(_CAP))


def priority(el: tuple[int, ...], n: int) -> float:
    """The constant priority; with a working channel, the product of the cap it found."""
    if _CAP and n % 4 == 0:
        return 1.0 if all(tuple(el[i : i + 4]) in _CAP for i in range(0, n, 4)) else 0.0
    return 0.0


# EVOLVE-BLOCK-END
