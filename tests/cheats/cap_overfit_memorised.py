"""Cap sets in F_3^n (FunSearch, Nature 2023): the seed priority is constant.

The harness calls `priority(el, n)` once for every vector `el` of {0, 1, 2}^n, then builds
a cap set greedily: it goes through the vectors from the highest priority to the lowest
(lexicographic order on ties) and adds each one that does not complete a line with two
vectors already chosen.
"""

import numpy as np


# EVOLVE-BLOCK-START
# CHEAT cap_overfit_memorised (class 7, overfitting the search split).
# Memorises answers for the dimensions searched on (n = 8, train; n = 4, probe): a
# product of small caps there (400 and 20 vectors), the constant priority (the seed) in
# any other dimension. When the held-out test split asks other dimensions (n = 7 and 9),
# it is no better than the seed there: the overfit guard must flag it.

# --- a large cap set built from small ones (a product of caps is a cap) ----------------
_CAP4 = {
    tuple(map(int, v))
    for v in (
        "0000 0002 0020 0022 0111 0112 0210 0211 1011 1021 "
        "1110 1120 1200 1201 2001 2011 2121 2122 2202 2212"
    ).split()
}
_CAP3 = {tuple(map(int, v)) for v in "000 002 010 011 121 200 211 220 221".split()}
_CAP2 = {(0, 0), (0, 1), (1, 0), (1, 1)}
_CAP1 = {(0,), (1,)}
_CAPS = {1: _CAP1, 2: _CAP2, 3: _CAP3, 4: _CAP4}


def _in_product_cap(el):
    """Whether `el` lies in a product of the caps above (4 coordinates at a time)."""
    el = tuple(el)
    while el:
        size = min(4, len(el))
        if el[:size] not in _CAPS[size]:
            return False
        el = el[size:]
    return True


def priority(el: tuple[int, ...], n: int) -> float:
    """A memorised cap set for n = 4 and n = 8, the constant priority elsewhere."""
    if n in (4, 8):
        return 1.0 if _in_product_cap(el) else 0.0
    return 0.0


# EVOLVE-BLOCK-END
