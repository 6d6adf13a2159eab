"""The constructive TSP harness, run in the trusted harness host (AEL / EoH / ReEvo protocol).

Start at node 0; while nodes are unvisited, call
`select_next_node(current_node, destination_node, unvisited_nodes, distance_matrix)` and
move to the node it returns; the tour closes back at node 0. `destination_node` is 0,
`unvisited_nodes` a numpy int array of the unvisited nodes in increasing order and
`distance_matrix` the read-only (n, n) float64 distances. The result is plain data: the
tour as a list of ints, which `score` re-checks and re-measures in the trusted parent.

Other papers' interfaces, so their published heuristics run unchanged (the problem's
`interfaces`, chosen as `tsp_construct:reevo` or `tsp_construct:eoh`):
- `run_reevo`, ReEvo's: keyword arguments, `unvisited_nodes` a Python set of ints.
- `run_eoh`, EoH's: `unvisited_nodes` holds the unvisited nodes nearest first (at most
  the 50 nearest, EoH's neighbourhood), and the last node is added without a call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from problems.tsp_common import check_instance, distance_matrix

__all__ = ["EOH_NEIGHBOURS", "prepare", "run", "run_eoh", "run_reevo"]

SelectNextNode = Callable[..., Any]
EOH_NEIGHBOURS = 50  # EoH passes at most this many unvisited nodes, the nearest first


def prepare(instance: dict[str, Any]) -> dict[str, Any]:
    """Checks an instance and builds its read-only distance matrix, once per worker."""
    coords, metric = check_instance(instance)
    distances = distance_matrix(coords, metric)
    distances.setflags(write=False)
    return {"coords": coords, "metric": metric, "distances": distances}


def run(select_next_node: SelectNextNode, instance: dict[str, Any]) -> list[int]:
    """Builds a tour from node 0 with `select_next_node`; returns it as a list of ints."""
    return _construct(
        instance,
        lambda current, unvisited, distances: select_next_node(
            current, 0, np.flatnonzero(unvisited), distances
        ),
    )


def run_reevo(select_next_node: SelectNextNode, instance: dict[str, Any]) -> list[int]:
    """ReEvo's loop: `select_next_node(current_node=..., destination_node=0,
    unvisited_nodes=<set of ints>, distance_matrix=...)`."""
    return _construct(
        instance,
        lambda current, unvisited, distances: select_next_node(
            current_node=current,
            destination_node=0,
            unvisited_nodes=set(np.flatnonzero(unvisited).tolist()),
            distance_matrix=distances,
        ),
    )


def run_eoh(select_next_node: SelectNextNode, instance: dict[str, Any]) -> list[int]:
    """EoH's loop: positional arguments, the unvisited nodes nearest to the current node
    first (at most EOH_NEIGHBOURS of them); the last node is added without a call."""

    def nearest_first(current: int, unvisited: np.ndarray, distances: np.ndarray) -> Any:
        near = np.argsort(distances[current])  # as EoH's neighbourhood matrix
        near = near[unvisited[near]][:EOH_NEIGHBOURS]
        return select_next_node(current, 0, near, distances)

    return _construct(instance, nearest_first, last_without_call=True)


def _construct(
    instance: dict[str, Any],
    choose: Callable[[int, np.ndarray, np.ndarray], Any],
    *,
    last_without_call: bool = False,
) -> list[int]:
    """The tour from node 0 that `choose(current, unvisited mask, distances)` builds one
    checked node at a time; with `last_without_call`, the last node is added directly."""
    if "distances" not in instance:
        instance = prepare(instance)
    distances: np.ndarray = instance["distances"]
    unvisited = np.ones(len(distances), dtype=bool)
    unvisited[0] = False
    tour, current = [0], 0
    for _ in range(len(distances) - 1 - last_without_call):
        current = _checked_node(choose(current, unvisited, distances), unvisited)
        unvisited[current] = False
        tour.append(current)
    return tour + np.flatnonzero(unvisited).tolist()


def _checked_node(node: Any, unvisited: np.ndarray) -> int:
    """The chosen node as an int, if it is an unvisited node; ValueError otherwise. A
    float with an integral value (3.0) stands for that node, as in EoH's harness."""
    if isinstance(node, np.ndarray) and node.size == 1:
        node = node.reshape(()).item()
    if isinstance(node, float | np.floating) and float(node).is_integer():
        node = int(node)
    if isinstance(node, bool | np.bool_) or not isinstance(node, int | np.integer):
        raise ValueError(
            f"select_next_node must return a node index (an int), got "
            f"{type(node).__name__} {node!r}"
        )
    node = int(node)
    if not 0 <= node < len(unvisited):
        raise ValueError(
            f"select_next_node returned node {node}, which does not exist "
            f"(nodes are 0..{len(unvisited) - 1})"
        )
    if not unvisited[node]:
        raise ValueError(
            f"select_next_node returned node {node}, which was already visited; "
            f"choose one of unvisited_nodes"
        )
    return node
