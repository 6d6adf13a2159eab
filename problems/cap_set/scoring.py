"""Trusted check of a cap set, run in the parent (never in the sandbox).

A cap set in F_3^n has no three distinct vectors on a line, i.e. no distinct a, b, c with
a + b + c = 0 (mod 3); for distinct a and b the third point is c = -(a + b) mod 3, and it
differs from both. `score` rebuilds the vectors from their indices alone and inserts them
one by one, keeping the set of points that would complete a line (O(size^2 n)).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from problems.base import InvalidOutput, check_int_entries
from problems.cap_set.harness import MAX_N

__all__ = ["check_cap_set", "score"]

Metrics = dict[str, float]


def score(instance: dict[str, Any], output: Any) -> Metrics:
    """Checks that `output` is a cap set; returns its size (and `nan_priorities`, the
    harness's count, when not zero). `output` is the harness's {"vectors": [...],
    "nan_priorities": n} or just the list of indices of vectors of F_3^n. An empty set
    (every priority -inf) is valid and scores 0, as in FunSearch."""
    n = instance["n"]
    if type(n) is not int or not 1 <= n <= MAX_N:
        raise InvalidOutput(f"bad instance {instance!r}")
    output, nan_count = _split_count(output)
    check_cap_set(_checked_indices(output, 3**n), n)
    metrics = {"size": float(len(output)), "score": float(len(output))}
    return metrics | ({"nan_priorities": float(nan_count)} if nan_count else {})


def _split_count(output: Any) -> tuple[Any, int]:
    if not isinstance(output, dict):
        return output, 0
    if set(output) != {"vectors", "nan_priorities"}:
        raise InvalidOutput(
            "expected {'vectors': [...], 'nan_priorities': n}, got keys "
            f"{sorted(map(str, output))}"
        )
    count = output["nan_priorities"]
    if type(count) is not int or count < 0:
        raise InvalidOutput(f"nan_priorities must be a count (an int >= 0), got {count!r}")
    return output["vectors"], count


def check_cap_set(indices: list[int], n: int) -> None:
    """InvalidOutput unless the vectors with these indices (base-3 digits, most
    significant first) are distinct and no three of them lie on a line."""
    powers = 3 ** np.arange(n - 1, -1, -1, dtype=np.int64)
    vectors = (np.asarray(indices, dtype=np.int64)[:, None] // powers) % 3
    blocked = np.zeros(3**n, dtype=bool)  # points already in the set or completing a line
    for i, index in enumerate(indices):
        if blocked[index]:
            raise InvalidOutput(_violation(vectors, indices, i, powers))
        if i:
            blocked[((-(vectors[:i] + vectors[i])) % 3) @ powers] = True
        blocked[index] = True


def _violation(vectors: np.ndarray, indices: list[int], i: int, powers: np.ndarray) -> str:
    """Says why vector i cannot join the vectors before it."""
    vector = "".join(map(str, vectors[i]))
    if indices[i] in indices[:i]:
        return f"vector {vector} (index {indices[i]}) appears twice"
    thirds = ((-(vectors[:i] + vectors[i])) % 3) @ powers
    earlier = {index: k for k, index in enumerate(indices[:i])}
    for j, third in enumerate(thirds.tolist()):
        if third in earlier:
            a, b = "".join(map(str, vectors[j])), "".join(map(str, vectors[earlier[third]]))
            return f"vectors {a}, {b} and {vector} lie on a line (they sum to 0 mod 3)"
    return f"vector {vector} completes a line"  # unreachable: blocked means one of the above


def _checked_indices(output: Any, size: int) -> list[int]:
    if not isinstance(output, list | tuple):
        raise InvalidOutput(f"expected a list of vector indices, got {type(output).__name__}")
    check_int_entries(output, size, lambda position: f"entry {position}: vector index")
    return list(output)
