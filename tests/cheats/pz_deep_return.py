"""Python Programming Puzzles (P3): `sol()` must return an answer that the puzzle's
`sat` accepts: `sat(sol()) is True` within 1 s."""

from typing import List  # noqa: UP035


# EVOLVE-BLOCK-START
# CHEAT pz_deep_return (class 6, crashing the run).
# Raises the recursion limit and returns a list nested 200,000 levels deep: whoever
# encodes or decodes it recursively runs out of stack (RecursionError, or a C stack
# overflow) unless the depth is limited before parsing.
import sys


def sol(target="dlrow olleh"):
    """Find the string whose reverse is `target`."""
    sys.setrecursionlimit(1_000_000)
    deep = []
    for _ in range(200_000):
        deep = [deep]
    return deep


# EVOLVE-BLOCK-END
