"""Circle packing in the unit square (AlphaEvolve, 2025): the seed is a square grid.

The harness calls `pack(n)` once and checks what it returns exactly: n circles inside
the unit square [0, 1]^2, no two overlapping. The score is the sum of the radii.
"""

import numpy as np


# EVOLVE-BLOCK-START
def pack(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Places n disjoint circles in the unit square.

    Args:
        n: the number of circles.

    Returns:
        (centres, radii): an (n, 2) array of centres (x, y) and an (n,) array of radii.
        The check is exact (no tolerance), so circles may touch but not overlap by even
        1e-15: shrink the radii of a tight construction by a hair.
    """
    side = int(np.ceil(np.sqrt(n)))
    cells = np.arange(n)
    centres = np.stack([(cells % side + 0.5) / side, (cells // side + 0.5) / side], axis=1)
    radii = np.full(n, 0.5 / side * (1 - 1e-12))
    return centres, radii


# EVOLVE-BLOCK-END
