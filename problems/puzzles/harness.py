"""The puzzle harness, run in the trusted harness host: call `sol()` and return its answer.

`sol()` runs in the candidate's process; its answer crosses back as plain data (the
sandbox refuses anything else) and goes to the trusted parent as JSON; the parent
type-checks it and runs the puzzle's `sat` on it in a separate sandboxed call. Neither
the puzzle nor its `sat` is ever in the candidate's process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["run"]


def run(sol: Callable[[], Any], instance: dict[str, Any]) -> Any:
    """The answer of `sol()`; the instance (the puzzle) is not shown to the candidate."""
    del instance
    return sol()
