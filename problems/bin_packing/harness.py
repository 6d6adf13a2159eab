"""The online bin packing harness, run in the trusted harness host (FunSearch, Nature 2023).

Protocol: start with n bins at full capacity (n = number of items). For each item in
order, take the bins it fits in (remaining capacity >= item), call
`priority(item, remaining_capacities_of_those_bins)` and put the item in the bin with the
highest priority; on ties the first such bin (np.argmax) wins. The result is plain data:
the bin index (into the n bins) of every item. `score` re-checks it in the trusted parent.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from problems.bin_packing.datasets import check_instance

__all__ = ["prepare", "run"]

Priority = Callable[[Any, np.ndarray], Any]


def prepare(instance: dict[str, Any]) -> dict[str, Any]:
    """Checks an instance and turns its items into a numpy array, once per worker.

    Integer instances get int64 arrays (as in FunSearch, where `bins` is an integer
    array); instances with real-valued sizes get float64.
    """
    capacity, items = check_instance(instance)
    exact = isinstance(capacity, int) and all(isinstance(x, int) for x in items)
    array = np.asarray(items, dtype=np.int64 if exact else np.float64)
    array.setflags(write=False)
    return {"capacity": capacity, "items": array}


def run(priority: Priority, instance: dict[str, Any]) -> list[int]:
    """Packs the instance's items online with `priority`; returns each item's bin index.

    Same decisions as FunSearch's loop, computed faster: bins from `top` on have never
    been used, so they are all at full capacity and all valid; only bins[:top] are
    searched for the ones the item fits in.
    """
    if not isinstance(instance.get("items"), np.ndarray):
        instance = prepare(instance)
    items: np.ndarray = instance["items"]
    n = len(items)
    bins = np.full(n, instance["capacity"], dtype=items.dtype)  # remaining capacities
    full = bins.copy()
    assignment = np.empty(n, dtype=np.int64)
    top = 0  # 1 + the highest index of a bin used so far
    with np.errstate(all="ignore"):  # inf/nan are reported by _best, not warned about
        for i, item in enumerate(items):
            fits = (bins[:top] >= item).nonzero()[0]  # valid bins below top, in order
            candidates = np.concatenate((bins.take(fits), full[top:]))
            choice = _best(priority(item, candidates), len(candidates))
            best = fits[choice] if choice < len(fits) else top + choice - len(fits)
            bins[best] -= item
            assignment[i] = best
            top = max(top, best + 1)
    return assignment.tolist()


def _best(priorities: Any, n_bins: int) -> int:
    """Index of the highest priority (first on ties), after checking the priorities."""
    if type(priorities) is not np.ndarray:
        priorities = _as_array(priorities)
    if priorities.shape != (n_bins,):
        raise ValueError(
            f"priority must return one number per bin it was given: expected shape "
            f"({n_bins},), got shape {priorities.shape}"
        )
    kind = priorities.dtype.kind
    if kind not in "iufb":
        raise ValueError(f"priority must return numbers, got an array of dtype {priorities.dtype}")
    if kind == "f" and not (math.isfinite(priorities.sum()) or np.isfinite(priorities).all()):
        raise ValueError("priority returned nan or inf; every priority must be a finite number")
    return int(priorities.argmax())


def _as_array(priorities: Any) -> np.ndarray:
    try:
        return np.asarray(priorities)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"priority must return an array of numbers, one per bin; got "
            f"{type(priorities).__name__} ({error})"
        ) from None
