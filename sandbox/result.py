"""Values that cross the sandbox boundary: limits in, results out."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["Job", "Limits", "Result", "Status"]


class Status(enum.StrEnum):
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


@dataclass(frozen=True)
class Job:
    """One candidate run, as the controller sends it to a worker.

    Attributes:
        source: the candidate program's source text.
        entry: name of the function to call in it.
        args: JSON arguments, for `entry(*args)` or `harness(entry, *args)`.
        harness: "module:function" imported in the worker, or None to call `entry` directly.
        shared: key of instances stored with `Sandbox.share`; the harness runs once per instance.
        limits: resource limits for this run.
    """

    source: str
    entry: str
    args: tuple[Any, ...] = ()
    harness: str | None = None
    shared: str | None = None
    limits: Limits = field(default_factory=Limits)

    def to_message(self) -> dict[str, Any]:
        """Plain JSON data for the worker channel."""
        return {
            "op": "run",
            "source": self.source,
            "entry": self.entry,
            "args": list(self.args),
            "harness": self.harness,
            "shared": self.shared,
            "limits": {f.name: getattr(self.limits, f.name) for f in fields(Limits)},
        }

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> Job:
        return cls(
            source=message["source"],
            entry=message["entry"],
            args=tuple(message["args"]),
            harness=message["harness"],
            shared=message["shared"],
            limits=Limits(**message["limits"]),
        )
