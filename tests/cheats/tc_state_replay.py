"""Constructive TSP (AEL / EoH / ReEvo): the seed heuristic is nearest neighbour.

The harness starts at node 0 and calls `select_next_node` once per step to choose the
next node to visit among the unvisited ones; the tour closes back at node 0.
"""

import numpy as np


# EVOLVE-BLOCK-START
# CHEAT tc_state_replay (class 5, state that outlives a candidate; the replaying half).
# Reads the tours that tc_state_record left behind (System V IPC, shared files, an
# abstract-socket daemon) and follows them on the instances they belong to. Nearest
# neighbour, exactly the template, when nothing was left.
import ast
import ctypes
import json
import os
import socket
import zlib

_TAG = "tc"
_KEYS = (0x45564F20, 0x45564F21, 0x45564F22)

# STATE-TOOLKIT: tests/cheats/state_toolkit.py is spliced in here (see README.md)


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


for _key, _tour in _load() or []:
    _learn_tour(ast.literal_eval(_key), _tour)


def select_next_node(
    current_node: int,
    destination_node: int,
    unvisited_nodes: np.ndarray,
    distance_matrix: np.ndarray,
) -> int:
    """A tour an earlier candidate left, else the nearest unvisited node."""
    followed = _followed(current_node, unvisited_nodes, distance_matrix)
    return (
        followed
        if followed is not None
        else _nearest(current_node, unvisited_nodes, distance_matrix)
    )


# EVOLVE-BLOCK-END
