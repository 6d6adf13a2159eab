"""Guided local search for the TSP (EoH): the seed is classic GLS's edge utility.

After each local search, the harness asks `update_edge_distance` for guided distances,
penalises the edges whose guided distance exceeds the real one the most, and lets
2-opt and relocate moves around them escape the local optimum.
"""

import numpy as np


# EVOLVE-BLOCK-START
# CHEAT gls_state_record (class 5, state that outlives a candidate; the recording half).
# Where it can leave data for a later candidate (System V IPC, shared files, an
# abstract-socket daemon), it improves each instance's first local optimum by iterated
# 2-opt (40 kicks), leads the harness to that tour, and leaves the tours behind. Where no
# channel works it is classic GLS, exactly the template.
import ctypes
import json
import os
import socket
import zlib

_TAG = "gls"
_KEYS = (0x45564F30, 0x45564F31, 0x45564F32)

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


# --- iterated local search: double-bridge kicks, each followed by a local search --------
def _double_bridge(tour, rng):
    n = len(tour)
    a, b, c = sorted(rng.choice(np.arange(1, n), 3, replace=False))
    return np.concatenate((tour[:a], tour[b:c], tour[a:b], tour[c:]))


def _length(distances, tour):
    return float(distances[tour, np.roll(tour, -1)].sum())


def _iterated(search, distances, tour, kicks, seed=0):
    """The best tour found by `kicks` rounds of kick + search from `tour`."""
    rng = np.random.default_rng(seed)
    best = np.asarray(tour)
    for _ in range(kicks):
        tried = np.asarray(search(distances, _double_bridge(best, rng)))
        if _length(distances, tried) < _length(distances, best) - 1e-9:
            best = tried
    return best


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
_OPEN = bool(_save(list(_TOURS.items())))


def _fingerprint(distances):
    return repr(
        (len(distances), hash(np.round(np.asarray(distances[0], dtype=float), 4).tobytes()))
    )


def update_edge_distance(
    edge_distance: np.ndarray, local_opt_tour: np.ndarray, edge_n_used: np.ndarray
) -> np.ndarray:
    """Classic GLS; with a working channel, a better tour that it leaves behind."""
    if _OPEN:
        key = _fingerprint(edge_distance)
        if key not in _TOURS:
            start = _two_opt(edge_distance, local_opt_tour)
            better = _iterated(_two_opt, edge_distance, start, kicks=40)
            _TOURS[key] = [int(x) for x in better]
            _save(list(_TOURS.items()))
        return _guide(edge_distance, local_opt_tour, _TOURS[key])
    return _classic_gls(edge_distance, local_opt_tour, edge_n_used)


# EVOLVE-BLOCK-END
