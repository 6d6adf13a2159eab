"""Values that cross the sandbox boundary: limits in, results out."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Limits", "Result", "Status"]


class Status(str, enum.Enum):
    """How a candidate's run ended."""

    OK = "ok"
    ERROR = "error"  # the candidate raised an exception
    TIMEOUT = "timeout"  # wall or CPU limit reached
    MEMORY = "memory"  # address-space limit reached (MemoryError or killed for it)
    CRASH = "crash"  # died by a signal, exited without a result, or killed its worker
    OUTPUT_LIMIT = "output_limit"  # stdout/stderr or the result exceeded its cap
    BAD_RESULT = "bad_result"  # the returned value is not plain JSON data


@dataclass(frozen=True)
class Limits:
    """Per-candidate resource limits.

    Attributes:
        timeout_s: wall-clock deadline; the whole process group is SIGKILLed after it.
        cpu_s: CPU seconds (RLIMIT_CPU); defaults to the wall deadline rounded up.
        memory_mb: address space the candidate may add to the worker's own (RLIMIT_AS).
        file_size_mb: largest file the candidate may write (RLIMIT_FSIZE).
        open_files: RLIMIT_NOFILE.
        output_bytes: cap on captured stdout and on stderr, each.
        result_bytes: cap on the JSON-encoded result.
    """

    timeout_s: float = 10.0
    cpu_s: float | None = None
    memory_mb: int = 1024
    file_size_mb: int = 16
    open_files: int = 64
    output_bytes: int = 64 * 1024
    result_bytes: int = 16 * 1024 * 1024


@dataclass(frozen=True)
class Result:
    """What came back from one candidate run.

    `value` is plain JSON data (only when status is OK). `error` is a short text:
    exception type and message, then the last lines of the traceback.
    """

    status: Status
    value: Any = None
    stdout: str = ""
    stderr: str = ""
    error: str = ""
    wall_s: float = 0.0
    cpu_s: float = 0.0
    max_rss_mb: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is Status.OK
