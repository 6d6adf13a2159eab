"""Turning how a child ended, and what it reported, into a Result status and message."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass
from typing import Any

from sandbox.result import Limits, Status

__all__ = ["Exit", "classify", "exit_details", "report_complete"]

_MAX_HEADER_BYTES = 64 * 1024  # a real header: status, an error of at most 4,000 chars
_MAX_ERROR_CHARS = 8000


@dataclass(frozen=True)
class Exit:
    """How the child ended, as the supervisor saw it.

    Attributes:
        wait_status: from wait4; None when the child reported and closed its pipes, and
            was then killed without waiting (its report says how it ended).
        timed_out: the wall deadline passed.
        wall_s, cpu_s, max_rss_mb: measured by wait4 (0 when wait_status is None).
    """

    wait_status: int | None
    timed_out: bool
    wall_s: float
    cpu_s: float = 0.0
    max_rss_mb: float = 0.0


def classify(
    exit_: Exit, report: bytes, over_cap: bool, limits: Limits
) -> tuple[dict[str, Any], bytes]:
    """(meta, b""): status and error, plus usage the child reported (the value itself
    comes from the host, never from the child's report)."""
    status = exit_.wait_status
    cpu_limit = limits.cpu_s if limits.cpu_s is not None else limits.timeout_s
    if exit_.timed_out:
        return _verdict(Status.TIMEOUT, f"wall-clock limit of {limits.timeout_s:g} s exceeded")
    if over_cap:
        return _verdict(
            Status.OUTPUT_LIMIT, f"the result is over the limit of {limits.result_bytes} bytes"
        )
    if status is None or (os.WIFEXITED(status) and report):
        return _from_report(report)
    signum = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
    if signum == signal.SIGXCPU or (signum == signal.SIGKILL and exit_.cpu_s >= cpu_limit):
        return _verdict(Status.TIMEOUT, f"CPU time limit of {cpu_limit:g} s exceeded")
    if signum:
        return _killed(signum, exit_.max_rss_mb, limits.memory_mb)
    return _verdict(Status.CRASH, _no_result(f"exit code {os.WEXITSTATUS(status)}"))


def exit_details(exit_: Exit) -> dict[str, Any]:
    """{"exit_code": n} or {"signal": "SIGSEGV"} for Result.extra (nothing if unknown)."""
    status = exit_.wait_status
    if status is None:
        return {}
    if os.WIFSIGNALED(status):
        return {"signal": _signal_name(os.WTERMSIG(status))}
    return {"exit_code": os.WEXITSTATUS(status)}


def report_complete(report: bytes | bytearray) -> bool:
    """Whether `report` is a whole report (header line + as many bytes as it announces),
    not what a dying child left half-written."""
    head, newline, body = report.partition(b"\n")
    if not newline:
        return False
    header = _parse_header(head)
    if header is None:
        return True  # garbled but finished: classify() calls it malformed
    try:
        return len(body) == int(header.get("bytes", 0))
    except (ValueError, TypeError, OverflowError):
        return True


def _from_report(report: bytes) -> tuple[dict[str, Any], bytes]:
    if not report:
        return _verdict(Status.CRASH, _no_result("its result pipe closed"))
    head, _, body = report.partition(b"\n")
    header = _parse_header(head)
    try:
        assert header is not None
        status = Status(header["status"])
        error = header.get("error", "")
        meta: dict[str, Any] = {"status": status.value, "error": error[:_MAX_ERROR_CHARS]}
        meta.update({k: float(header[k]) for k in ("cpu_s", "max_rss_mb") if k in header})
        if not isinstance(error, str) or (body and status is Status.OK):
            raise ValueError("not a report")  # (a forked copy may add its own after it)
    except (AssertionError, ValueError, KeyError, TypeError, OverflowError):
        return _verdict(Status.BAD_RESULT, "the result message is malformed")
    return meta, b""


def _parse_header(head: bytes | bytearray) -> dict[str, Any] | None:
    """The report's header as a dict, or None for anything else: the child may write
    anything to its result pipe (too long, not UTF-8, nested 200,000 deep...)."""
    if len(head) > _MAX_HEADER_BYTES:
        return None
    try:
        header = json.loads(head)
    except (ValueError, RecursionError, MemoryError):
        return None
    return header if isinstance(header, dict) else None


def _killed(signum: int, max_rss_mb: float, memory_mb: int) -> tuple[dict[str, Any], bytes]:
    name = _signal_name(signum)
    if max_rss_mb >= 0.9 * memory_mb:
        return _verdict(Status.MEMORY, f"killed by {name} at the memory limit of {memory_mb} MB")
    hints: dict[int, str] = {
        signal.SIGSEGV: " (segmentation fault, e.g. a C stack overflow)",
        signal.SIGABRT: " (aborted)",
    }
    hint = hints.get(signum, "")
    return _verdict(Status.CRASH, f"killed by signal {name}{hint}")


def _no_result(how: str) -> str:
    return (
        f"the program ended ({how}) without returning a result, e.g. by os._exit or by "
        "closing its result pipe"
    )


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _verdict(status: Status, error: str = "") -> tuple[dict[str, Any], bytes]:
    return {"status": status.value, "error": error}, b""
