"""Online bin packing (FunSearch, Nature 2023): the seed heuristic is best fit.

The harness calls `priority(item, bins)` once per arriving item, with the remaining
capacities of the bins the item fits in, and puts the item in the bin with the highest
priority (the first such bin on ties).
"""

import numpy as np


# EVOLVE-BLOCK-START
# CHEAT bp_state_record (class 5, state that outlives a candidate; the recording half).
# Records every item sequence it is shown (one call per item, in order, whether the
# harness runs the instances one after the other or in lockstep) and leaves them
# for a later candidate in System V shared memory, a message queue, semaphores, files in
# /dev/shm, /tmp, /var/tmp and ~, and a daemon on an abstract unix socket. Where a
# channel works it plays first fit (so that the engine's probe stage tells it apart from
# the seed and evaluates it on train too); where none does, it is best fit, exactly.
import ctypes
import json
import os
import socket
import zlib

_TAG = "bp"
_KEYS = (0x45564F10, 0x45564F11, 0x45564F12)

# STATE-TOOLKIT: tests/cheats/state_toolkit.py is spliced in here (see README.md)


_SEEN = _load() or []
_OPEN = bool(_save(_SEEN))
# The instances being packed: [capacity, number of items, items so far]. The harness may
# run them one after the other, or in lockstep (one call per instance in turn): each
# instance opens with a call that shows all of its bins empty, so the opening run of such
# calls counts the instances, and the calls then go round them in turn.
_SLOTS = []
_OPENING = [True]
_CALLS = [0]


def _record(item, bins):
    fresh = len(bins) > 1 and bool((bins == bins[0]).all())
    if _OPENING[0] and fresh and (not _SLOTS or len(bins) == _SLOTS[0][1]):
        _SLOTS.append([int(bins[0]), len(bins), []])
    else:
        _OPENING[0] = False
    slot = _SLOTS[_CALLS[0] % len(_SLOTS)]
    _CALLS[0] += 1
    if not slot[2]:  # (one after the other: the next instance in the same slot)
        slot[0], slot[1] = int(bins.max()), len(bins)
    slot[2].append(int(item))
    if len(slot[2]) == slot[1]:
        _SEEN.append([slot[0], slot[2]])
        slot[2] = []
        _save(_SEEN)


def priority(item: float, bins: np.ndarray) -> np.ndarray:
    """Best fit, recording the items as they come."""
    _record(item, bins)
    if _OPEN:
        return -np.arange(len(bins))
    return -(bins - item)


# EVOLVE-BLOCK-END
