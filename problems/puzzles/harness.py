"""The puzzle harness, run INSIDE the sandbox: call `sol()` and return its answer.

The answer goes back to the trusted parent as plain JSON data (the sandbox refuses
anything else); the parent type-checks it and runs the puzzle's `sat` on it in a
separate sandboxed call. The puzzle's `sat` never runs in the candidate's process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["run"]


def run(sol: Callable[[], Any], instance: dict[str, Any]) -> Any:
    """The answer of `sol()`; the instance (the puzzle) is not shown to the candidate."""
    del instance
    return sol()
