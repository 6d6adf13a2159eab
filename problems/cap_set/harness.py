"""The cap set harness, run in the trusted harness host (FunSearch, Nature 2023).

Protocol: compute `priority(el, n)` for every vector `el` of F_3^n (tuples of ints, in
`itertools.product((0, 1, 2), repeat=n)` order, so vector i has base-3 digits i, most
significant first). Then, greedily, take the vector of highest priority not yet blocked
(the lowest index on ties, as np.argmax), add it, and block every vector that would
complete a line with it and a vector already chosen: -(a + b) mod 3. Vectors with
priority -inf are never taken. As in FunSearch's np.argmax loop, a nan priority beats
every number: vectors with a nan are tried first, in index order (counted as
`nan_priorities`). The result is plain data: {"vectors": the indices of the chosen
vectors in the order chosen, "nan_priorities": n}; `score` re-checks the cap set in the
trusted parent.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["digits", "prepare", "run"]

MAX_N = 10  # 59,049 vectors

Priority = Callable[[tuple[int, ...], int], Any]


def digits(n: int) -> np.ndarray:
    """The (3**n, n) int8 array of every vector of F_3^n; row i holds i in base 3."""
    return np.array(list(itertools.product((0, 1, 2), repeat=n)), dtype=np.int8).reshape(-1, n)


def prepare(instance: dict[str, Any]) -> dict[str, Any]:
    """The vectors of F_3^n, as tuples (for `priority`) and as an array, once per worker."""
    n = instance.get("n") if isinstance(instance, dict) else None
    if type(n) is not int or not 1 <= n <= MAX_N:
        raise ValueError(f"a cap set instance is {{'n': 1..{MAX_N}}}, got {instance!r}")
    table = digits(n)
    table.setflags(write=False)
    return {"n": n, "vectors": list(itertools.product((0, 1, 2), repeat=n)), "digits": table}


def run(priority: Priority, instance: dict[str, Any]) -> dict[str, Any]:
    """The greedy cap set for `priority`: {"vectors": indices of the chosen vectors, in
    order, "nan_priorities": how many vectors got a nan priority}."""
    if "digits" not in instance:
        instance = prepare(instance)
    n, table = instance["n"], instance["digits"]
    priorities = _priorities(_each(priority, [(el, n) for el in instance["vectors"]]))
    powers = 3 ** np.arange(n - 1, -1, -1, dtype=np.int64)
    nan = np.isnan(priorities)
    # np.argmax's order: nan first, then the highest; the lowest index on ties
    order = np.concatenate(
        (nan.nonzero()[0], np.argsort(-priorities, kind="stable")[: (~nan).sum()])
    )
    blocked = priorities == -np.inf  # never taken
    chosen: list[int] = []
    for index in order.tolist():
        if blocked[index]:
            continue
        if chosen:  # the third point of the line through `index` and each chosen vector
            third = (-(table[chosen] + table[index])) % 3
            blocked[third @ powers] = True
        blocked[index] = True
        chosen.append(index)
    return {"vectors": chosen, "nan_priorities": int(nan.sum())}


def _each(priority: Priority, calls: list[tuple[tuple[int, ...], int]]) -> list[Any]:
    """priority(*call) for every call: the calls are independent, so a sandboxed candidate
    (whose stand-in has `map`) answers them all in one round trip."""
    many = getattr(priority, "map", None)
    return many(calls) if many is not None else [priority(*call) for call in calls]


def _priorities(values: list[Any]) -> np.ndarray:
    """The priorities as a float array; ValueError unless every one is a real number."""
    try:
        array = np.asarray(values)
    except (TypeError, ValueError):  # ragged: some priorities are sequences
        array = np.asarray(values, dtype=object)
    if array.shape != (len(values),) or array.dtype.kind not in "iufb":
        bad = next((v for v in values if not _is_number(v)), values[0])
        raise ValueError(f"priority must return a number, got {type(bad).__name__} {str(bad)[:80]}")
    return array.astype(np.float64)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating | np.bool_)
