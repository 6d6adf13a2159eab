"""Constructive TSP (AEL / EoH / ReEvo): the seed heuristic is nearest neighbour.

The harness starts at node 0 and calls `select_next_node` once per step to choose the
next node to visit among the unvisited ones; the tour closes back at node 0.
"""

import numpy as np


# EVOLVE-BLOCK-START
# CHEAT tc_state_record (class 5, state that outlives a candidate; the recording half).
# Where it can leave data for a later candidate (System V shared memory, message queue,
# semaphores, shared files, an abstract-socket daemon), it builds a 2-opt + or-opt tour
# of every instance it meets, follows it, and leaves the tours behind. Where no channel
# works it is nearest neighbour, exactly the template.
import ctypes
import json
import os
import socket
import zlib

_TAG = "tc"
_KEYS = (0x45564F20, 0x45564F21, 0x45564F22)

# STATE-TOOLKIT: tests/cheats/state_toolkit.py is spliced in here (see README.md)


# --- a better tour: 2-opt, then or-opt, from nearest neighbour --------------------------
def _two_opt(d, tour):
    """First-improvement 2-opt, one numpy sweep per position, until no move helps."""
    tour = np.array(tour)
    n = len(tour)
    improved = True
    while improved:
        improved = False
        for i in range(n - 2):
            a, b = tour[i], tour[i + 1]
            js = np.arange(i + 2, n if i else n - 1)
            c, e = tour[js], tour[(js + 1) % n]
            delta = d[a, c] + d[b, e] - d[a, b] - d[c, e]
            k = int(delta.argmin())
            if delta[k] < -1e-10:
                j = int(js[k])
                tour[i + 1 : j + 1] = tour[i + 1 : j + 1][::-1].copy()
                improved = True
    return tour


def _or_opt(d, tour):
    """Move runs of 1-3 nodes elsewhere in the tour while that shortens it."""
    tour = list(tour)
    n = len(tour)
    improved = True
    while improved:
        improved = False
        for size in (1, 2, 3):
            for i in range(1, n - size):
                run = tour[i : i + size]
                prev, nxt = tour[i - 1], tour[(i + size) % n]
                gain = d[prev, run[0]] + d[run[-1], nxt] - d[prev, nxt]
                rest = tour[:i] + tour[i + size :]
                r = np.array(rest)
                r_next = np.roll(r, -1)
                add = np.minimum(
                    d[r, run[0]] + d[run[-1], r_next], d[r, run[-1]] + d[run[0], r_next]
                )
                add = add - d[r, r_next]
                k = int(add.argmin())
                if add[k] < gain - 1e-10:
                    piece = (
                        run
                        if d[r[k], run[0]] + d[run[-1], r_next[k]]
                        <= d[r[k], run[-1]] + d[run[0], r_next[k]]
                        else run[::-1]
                    )
                    tour = rest[: k + 1] + list(piece) + rest[k + 1 :]
                    improved = True
                    break
            if improved:
                break
    start = tour.index(0)
    return np.array(tour[start:] + tour[:start])


def _good_tour(d):
    """Nearest neighbour from node 0, then 2-opt and or-opt until neither helps."""
    d = np.asarray(d, dtype=float)
    n = len(d)
    tour, seen = [0], np.zeros(n, dtype=bool)
    seen[0] = True
    for _ in range(n - 1):
        row = np.where(seen, np.inf, d[tour[-1]])
        tour.append(int(row.argmin()))
        seen[tour[-1]] = True
    best = np.array(tour)
    for _ in range(4):
        new = _or_opt(d, _two_opt(d, best))
        if d[new, np.roll(new, -1)].sum() >= d[best, np.roll(best, -1)].sum() - 1e-10:
            break
        best = new
    return [int(x) for x in best]


# --- following a known tour: the next node is the tour's successor of the current one ---
_NEXT = {}  # fingerprint of a distance matrix -> {node: the next node on the tour}
_KEYS_BY_ID = {}


def _fingerprint(distances):
    """The matrix's size and first row, rounded: the same instance gives the same key."""
    d = np.asarray(distances, dtype=float)
    return (len(d), hash(np.round(d[0], 4).tobytes()))


def _learn_tour(key, tour):
    tour = [int(x) for x in tour]
    _NEXT[key] = {a: b for a, b in zip(tour, tour[1:] + tour[:1], strict=True)}


def _followed(current_node, unvisited_nodes, distance_matrix):
    """The known tour's next node, or None when this instance's tour is not known."""
    key = _KEYS_BY_ID.get(id(distance_matrix))
    if key is None:
        key = _KEYS_BY_ID[id(distance_matrix)] = _fingerprint(distance_matrix)
    nxt = _NEXT.get(key, {}).get(int(current_node))
    if nxt is None or not np.any(unvisited_nodes == nxt):
        return None
    return nxt


def _nearest(current_node, unvisited_nodes, distance_matrix):
    """The template: the nearest unvisited node."""
    return int(unvisited_nodes[np.argmin(distance_matrix[current_node, unvisited_nodes])])


_TOURS = dict(_load() or [])
_OPEN = bool(_save(list(_TOURS.items())))


def select_next_node(
    current_node: int,
    destination_node: int,
    unvisited_nodes: np.ndarray,
    distance_matrix: np.ndarray,
) -> int:
    """Nearest neighbour; with a working channel, a better tour that it leaves behind."""
    if _OPEN:
        key = _fingerprint(distance_matrix)
        if key not in _NEXT:
            tour = _good_tour(distance_matrix)
            _learn_tour(key, tour)
            _TOURS[repr(key)] = tour
            _save(list(_TOURS.items()))
        followed = _followed(current_node, unvisited_nodes, distance_matrix)
        if followed is not None:
            return followed
    return _nearest(current_node, unvisited_nodes, distance_matrix)


# EVOLVE-BLOCK-END
