"""Waiting in tests for what the code under test does in the background."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["eventually"]


def eventually(check: Callable[[], bool], within_s: float = 3.0) -> bool:
    """Poll `check` until it holds or `within_s` passes (e.g. the sandbox cleans up after a
    run without making the caller wait)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False
