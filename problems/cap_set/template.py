"""Cap sets in F_3^n (FunSearch, Nature 2023): the seed priority is constant.

The harness calls `priority(el, n)` once for every vector `el` of {0, 1, 2}^n, then builds
a cap set greedily: it goes through the vectors from the highest priority to the lowest
(lexicographic order on ties) and adds each one that does not complete a line with two
vectors already chosen.
"""

import numpy as np


# EVOLVE-BLOCK-START
def priority(el: tuple[int, ...], n: int) -> float:
    """Returns the priority with which we want to add `el` to the cap set.

    Args:
        el: a vector of F_3^n, as a tuple of n ints in {0, 1, 2}.
        n: the dimension.

    Returns:
        A number; higher is added first, -inf is never added.
    """
    return 0.0


# EVOLVE-BLOCK-END
