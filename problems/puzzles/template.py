"""Python Programming Puzzles (P3): `sol()` must return an answer that the puzzle's
`sat` accepts: `sat(sol()) is True` within 1 s."""

from typing import List  # noqa: UP035


# EVOLVE-BLOCK-START
def sol(target="dlrow olleh"):
    """Find the string whose reverse is `target`."""
    return ""


# EVOLVE-BLOCK-END
