"""The online bin packing harness, run in the trusted harness host (FunSearch, Nature 2023).

Protocol: start with n bins at full capacity (n = number of items). For each item in
order, take the bins it fits in (remaining capacity >= item), call
`priority(item, remaining_capacities_of_those_bins)` and put the item in
`valid_bins[np.argmax(priorities)]`, exactly as FunSearch's loop does: the first highest
priority wins, +inf beats every finite number, and a nan beats everything (np.argmax
takes the first nan). A single number instead of one per bin gives np.argmax's 0: the
first bin that fits. `item` is a plain Python number, as in FunSearch (its items are a
list). What the reference accepts but cannot mean anything is refused with a ValueError
saying why: no value (None), a number of priorities other than one per bin, and values
that are not real numbers (strings, complex numbers, None inside a list).

The result is plain data: the bin index (into the n bins) of every item, and how many
items got priorities with a nan or an infinity (`nonfinite_priorities`) or a single
number (`scalar_priorities`). `score` re-checks the packing in the trusted parent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from problems.bin_packing.datasets import check_instance

__all__ = ["COUNTS", "prepare", "run"]

Priority = Callable[[Any, np.ndarray], Any]
COUNTS = ("nonfinite_priorities", "scalar_priorities")  # items counted, see the docstring


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


def run(priority: Priority, instance: dict[str, Any]) -> dict[str, Any]:
    """Packs the instance's items online with `priority`: {"bins": each item's bin index,
    "nonfinite_priorities": n, "scalar_priorities": n}.

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
    counts = dict.fromkeys(COUNTS, 0)
    top = 0  # 1 + the highest index of a bin used so far
    for i, item in enumerate(items.tolist()):  # Python numbers, as FunSearch's list
        fits = (bins[:top] >= item).nonzero()[0]  # valid bins below top, in order
        candidates = np.concatenate((bins.take(fits), full[top:]))
        choice = _best(priority(item, candidates), len(candidates), counts)
        best = fits[choice] if choice < len(fits) else top + choice - len(fits)
        bins[best] -= item
        assignment[i] = best
        top = max(top, best + 1)
    return {"bins": assignment.tolist(), **counts}


def _best(priorities: Any, n_bins: int, counts: dict[str, int]) -> int:
    """np.argmax of the priorities, as FunSearch takes it; counts non-finite and scalar
    priorities in `counts`; ValueError for what cannot mean a choice among the bins."""
    if type(priorities) is not np.ndarray:
        priorities = _as_array(priorities)
    kind = priorities.dtype.kind
    if kind not in "iufb":
        raise ValueError(_not_numbers(priorities))
    if priorities.ndim == 0:
        counts["scalar_priorities"] += 1
    elif priorities.size != n_bins:
        raise ValueError(
            f"priority returned {priorities.size} numbers (shape {priorities.shape}) for "
            f"{n_bins} bins; return one number per bin, in the order of `bins` (np.argmax "
            "of a different number of values would pick a bin by a meaningless position)"
        )
    if kind == "f" and not np.isfinite(priorities.sum()) and not np.isfinite(priorities).all():
        counts["nonfinite_priorities"] += 1
    return int(priorities.argmax())


def _as_array(priorities: Any) -> np.ndarray:
    if priorities is None:
        raise ValueError(
            "priority returned None (is a `return` missing?); return one number per bin, "
            "e.g. a numpy array of the same length as `bins`"
        )
    try:
        return np.asarray(priorities)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"priority must return an array of numbers, one per bin; got "
            f"{type(priorities).__name__} ({error})"
        ) from None


def _not_numbers(priorities: np.ndarray) -> str:
    if priorities.dtype.kind == "c":
        why = "complex numbers (e.g. a power or square root of a negative number) have no order"
    elif priorities.dtype.kind == "O":
        why = "some entries are not numbers (None, a list, ...)"
    else:
        why = f"an array of dtype {priorities.dtype} is not numbers"
    return f"priority must return real numbers, one per bin: {why}"
