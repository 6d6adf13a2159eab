"""Online bin packing (FunSearch, Nature 2023): the seed heuristic is best fit.

The harness calls `priority(item, bins)` once per arriving item, with the remaining
capacities of the bins the item fits in, and puts the item in the bin with the highest
priority (the first such bin on ties).
"""

import numpy as np


# EVOLVE-BLOCK-START
def priority(item: float, bins: np.ndarray) -> np.ndarray:
    """Returns the priority with which to put `item` in each bin.

    Args:
        item: size of the item to place.
        bins: remaining capacity of each bin the item fits in (every entry >= item).

    Returns:
        One number per bin (same length as `bins`); the item goes to np.argmax of them:
        the highest wins (the first on ties; +inf beats every number, nan beats all).
    """
    return -(bins - item)


# EVOLVE-BLOCK-END
