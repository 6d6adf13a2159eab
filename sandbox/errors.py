"""The sandbox's own error (a leaf package: the engine re-exports it)."""

from __future__ import annotations

__all__ = ["SandboxError"]


class SandboxError(Exception):
    """The sandbox cannot do its job: a worker cannot start, a harness cannot be imported,
    shared data is not JSON. Never raised for a candidate's own failure (that is a Result)."""
