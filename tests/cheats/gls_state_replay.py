"""Guided local search for the TSP (EoH): the seed is classic GLS's edge utility.

After each local search, the harness asks `update_edge_distance` for guided distances,
penalises the edges whose guided distance exceeds the real one the most, and lets
2-opt and relocate moves around them escape the local optimum.
"""

import numpy as np


# EVOLVE-BLOCK-START
# CHEAT gls_state_replay (class 5, state that outlives a candidate; the replaying half).
# Reads the tours that gls_state_record left behind and leads the harness to them on the
# instances they belong to. Classic GLS, exactly the template, when nothing was left.
import ctypes
import json
import os
import socket
import zlib

_TAG = "gls"
_KEYS = (0x45564F30, 0x45564F31, 0x45564F32)

# STATE-TOOLKIT: tests/cheats/state_toolkit.py is spliced in here (see README.md)


def _guide(edge_distance, local_opt_tour, target):
    """Guided distances that lead the harness's perturbation toward `target`: the edges of
    the current tour that `target` lacks look worst (they are penalised first), and every
    edge outside `target` costs more for the local moves that follow."""
    n = len(edge_distance)
    t = np.asarray(target)
    inside = np.zeros((n, n), dtype=bool)
    inside[t, np.roll(t, -1)] = inside[np.roll(t, -1), t] = True
    scale = float(edge_distance.max()) + 1.0
    guided = edge_distance + scale * ~inside
    cur = np.asarray(local_opt_tour)
    a, b = cur, np.roll(cur, -1)
    wrong = ~inside[a, b]
    guided[a[wrong], b[wrong]] += scale
    guided[b[wrong], a[wrong]] += scale
    return guided


def _classic_gls(edge_distance, local_opt_tour, edge_n_used):
    """The template: raise the tour's edges by their utility d / (1 + penalty)."""
    guided = edge_distance.copy()
    a, b = local_opt_tour, np.roll(local_opt_tour, -1)
    utility = edge_distance[a, b] / (1.0 + edge_n_used[a, b])
    guided[a, b] += utility
    guided[b, a] += utility
    return guided


_TOURS = dict(_load() or [])


def _fingerprint(distances):
    return repr(
        (len(distances), hash(np.round(np.asarray(distances[0], dtype=float), 4).tobytes()))
    )


def update_edge_distance(
    edge_distance: np.ndarray, local_opt_tour: np.ndarray, edge_n_used: np.ndarray
) -> np.ndarray:
    """A tour an earlier candidate left, else classic GLS."""
    target = _TOURS.get(_fingerprint(edge_distance))
    if target is not None:
        return _guide(edge_distance, local_opt_tour, target)
    return _classic_gls(edge_distance, local_opt_tour, edge_n_used)


# EVOLVE-BLOCK-END
