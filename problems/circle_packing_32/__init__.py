"""Circle packing with 32 circles: the variant AlphaEvolve also reports (2.937).

The same problem as `circle_packing` (its harness, exact checker and seed program),
with n = 32. See ../circle_packing/README.md.
"""

from __future__ import annotations

from problems.circle_packing import make_problem

__all__ = ["problem"]

problem = make_problem(32, "circle_packing_32")
