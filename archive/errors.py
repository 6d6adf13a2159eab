"""The archive's one error type (a leaf package has its own base error)."""

from __future__ import annotations

__all__ = ["ArchiveError"]


class ArchiveError(Exception):
    """The archive cannot be opened, read or written.

    The message is one line that says what to do, e.g. "run 'x' exists; use --resume x
    or another --run-name". Database errors are chained as `__cause__`.
    """
