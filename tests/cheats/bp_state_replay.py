"""Online bin packing (FunSearch, Nature 2023): the seed heuristic is best fit.

The harness calls `priority(item, bins)` once per arriving item, with the remaining
capacities of the bins the item fits in, and puts the item in the bin with the highest
priority (the first such bin on ties).
"""

import numpy as np


# EVOLVE-BLOCK-START
# CHEAT bp_state_replay (class 5, state that outlives a candidate; the replaying half).
# Reads the item sequences that bp_state_record left behind (System V shared memory,
# message queue, semaphores, shared files, an abstract-socket daemon), plans them
# offline, and replays the plan on an instance it recognises from the bins it is shown.
# Best fit when nothing was left.
import ctypes
import json
import os
import socket
import zlib

_TAG = "bp"
_KEYS = (0x45564F10, 0x45564F11, 0x45564F12)

# STATE-TOOLKIT: tests/cheats/state_toolkit.py is spliced in here (see README.md)


# --- the offline plan, shared by the bin packing cheats --------------------------------
# Once a cheat knows an instance's whole item sequence, it packs it offline (best fit
# decreasing) and replays that packing through the online harness: it simulates the
# harness's own loop and records, for every state the harness will show (the item and
# the remaining capacities it passes), which bin to pick.
_CHOICES = {}  # (item, number of bins shown, hash of the used bins shown) -> index to pick
_PLANNED = set()


def _state(item, bins):
    used = bins[bins < bins.max()]
    return (int(item), len(bins), hash(used.tobytes()))


def _plan(capacity, items):
    try:
        sizes = [float(x) for x in items]
        items, capacity = [int(x) for x in sizes], int(capacity)
    except (TypeError, ValueError, OverflowError):
        return
    if sizes != items:  # real-valued sizes: not planned
        return
    if not items or any(not 0 < x <= capacity for x in items):
        return
    key = (capacity, len(items), hash(tuple(items)))
    if key in _PLANNED:
        return
    _PLANNED.add(key)
    room, planned = [], [0] * len(items)
    by_room = [[] for _ in range(capacity + 1)]
    for i in sorted(range(len(items)), key=lambda k: -items[k]):
        size = items[i]
        for r in range(size, capacity + 1):
            if by_room[r]:
                b = by_room[r].pop()
                break
        else:
            b = len(room)
            room.append(capacity)
        room[b] -= size
        by_room[room[b]].append(b)
        planned[i] = b
    n = len(items)
    bins = np.full(n, capacity, dtype=np.int64)
    full = bins.copy()
    actual, top = {}, 0
    for i, size in enumerate(items):
        fits = (bins[:top] >= size).nonzero()[0]
        shown = np.concatenate((bins.take(fits), full[top:]))
        b = planned[i]
        if b in actual:
            a = actual[b]
            choice = int(np.searchsorted(fits, a))
        else:
            a = actual[b] = top
            choice = len(fits)
        _CHOICES.setdefault(_state(size, shown), choice)
        bins[a] -= size
        top = max(top, a + 1)


def _planned_priority(item, bins):
    """One-hot priorities for the planned bin, or None when this state is not planned."""
    if not _CHOICES:
        return None
    choice = _CHOICES.get(_state(item, bins))
    if choice is None or choice >= len(bins):
        return None
    scores = np.zeros(len(bins))
    scores[choice] = 1.0
    return scores


for _capacity, _items in _load() or []:
    _plan(_capacity, _items)


def priority(item: float, bins: np.ndarray) -> np.ndarray:
    """Best fit, unless an earlier candidate left the items behind."""
    planned = _planned_priority(item, bins)
    return planned if planned is not None else -(bins - item)


# EVOLVE-BLOCK-END
