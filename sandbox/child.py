"""The forked child: confine itself, wait for its job, load the candidate's module, answer
the trusted host's calls of its function (calls.py) until told to stop, report, exit.

The child holds the candidate's module and nothing of the problem: no harness, no
instances; it sees the arguments of each call, nothing more. The report on the result
pipe is one JSON header line ({"status", "error", "bytes", "cpu_s", "max_rss_mb"}) with
"bytes" 0 (the value is the harness's, computed in the host). The child never returns
into the zygote's code: every path ends in os._exit, even in a grandchild.
"""

from __future__ import annotations

import contextlib
import json
import linecache
import os
import resource
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any, NoReturn

from sandbox.calls import CALLS, CALLS_KW, CHILD, FAILED, RESULTS, CallPort, CandidateGone
from sandbox.encode import BadResult
from sandbox.isolate import CALL_FD, JOB_FD, MEMFD_FD, RESULT_FD, apply_isolation
from sandbox.layers import ChildLayers
from sandbox.protocol import write_all
from sandbox.result import Job
from sandbox.wire import TooLarge, WireError

__all__ = ["FILENAME", "READY", "format_error", "run_child"]

READY = b"\x00"  # the child's first byte on its result pipe: it has confined itself
FILENAME = "<candidate>"  # the candidate's frames read `File "<candidate>", line N`
_SANDBOX_DIR = os.path.dirname(os.path.abspath(__file__))
_MEMORY_REPORT = b'{"status":"memory","error":"MemoryError: the memory limit was reached"}\n'
_MAX_ERROR_CHARS = 4000


def run_child(layers: ChildLayers, fds: tuple[int, ...], scratch: str) -> NoReturn:
    """Entry point right after fork, before the job exists: confine this process, wait
    for the job (its rlimits are set by then), run it, report. `fds` are the stdout,
    stderr, result and job pipes, then the call socket and memfd. Whatever happens (even
    an exception escaping), it ends in os._exit: no report and a nonzero exit code is a
    CRASH for the supervisor."""
    code = 70
    try:
        apply_isolation(scratch, fds, layers)
        port = CallPort(CALL_FD, MEMFD_FD, CHILD)
        write_all(RESULT_FD, READY)  # confined: the zygote may now limit it and hand it a job
        message = _read_job()
        if message:  # no job: the zygote discarded this child, or could not limit it
            cpu_base = _cpu_s()  # the candidate's CPU time, not this child's setup
            job = Job.from_message(json.loads(message))
            report = evaluate(job, port, cpu_base=cpu_base)
            _flush_stdio()
            write_all(RESULT_FD, report)
            os.closerange(1, RESULT_FD + 1)  # EOF on all three pipes: the supervisor is done
            code = 0
    finally:
        os._exit(code)


def _read_job() -> bytes:
    """The job's message, up to the end of the pipe (the zygote closes its end)."""
    chunks = []
    while chunk := os.read(JOB_FD, 1 << 20):
        chunks.append(chunk)
    os.close(JOB_FD)
    return b"".join(chunks)


def evaluate(job: Job, port: CallPort, cpu_base: float = 0.0) -> bytes:
    """Load the candidate, answer the host's calls until it says stop; the report header.
    On any failure the host is told at once (FAILED) and the header says what happened."""
    try:
        serve_calls(port, load_entry(job.source, job.entry), job.limits.result_bytes)
    except CandidateGone:  # the host ended the run (or died): nothing to report
        return _header("ok", cpu_base=cpu_base)
    except MemoryError:
        _tell_failed(port)
        return _MEMORY_REPORT
    except SystemExit as exc:
        _tell_failed(port)
        return _header(
            "crash",
            f"the program called sys.exit({_safe_repr(exc.code)}) instead of returning a value",
            cpu_base=cpu_base,
        )
    except _Overflow as exc:
        _tell_failed(port)
        return _header("output_limit", str(exc), cpu_base=cpu_base)
    except BadResult as exc:
        _tell_failed(port)
        return _header("bad_result", str(exc), cpu_base=cpu_base)
    except BaseException as exc:
        _tell_failed(port)
        return _header("error", format_error(exc), cpu_base=cpu_base)
    return _header("ok", cpu_base=cpu_base)


class _Overflow(Exception):
    """The return values are over the result size limit."""


def serve_calls(port: CallPort, function: Callable[..., Any], result_bytes: int) -> None:
    """Answer batches of calls until the host sends END (returns) or goes away
    (CandidateGone). The candidate's exceptions propagate."""
    while True:
        kind, rows = port.receive()
        if kind == CALLS and rows is not None:
            results = [(function(*args),) for args in rows]
        elif kind == CALLS_KW and rows is not None:
            results = [(function(*args, **kwargs),) for args, kwargs in rows]
        else:
            return
        try:
            port.send(RESULTS, results, limit=result_bytes)
        except TooLarge:
            raise _Overflow(
                f"the values returned are over the limit of {result_bytes} bytes"
            ) from None
        except WireError as exc:  # not plain data, or nested too deeply
            raise BadResult(str(exc)) from None


def _tell_failed(port: CallPort) -> None:
    with contextlib.suppress(BaseException):
        port.send(FAILED)


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)[:200]
    except BaseException:
        return "..."


def load_entry(source: str, entry: str) -> Callable[..., Any]:
    """Execute `source` as a fresh module named "candidate" and return its `entry`."""
    linecache.cache[FILENAME] = (len(source), None, source.splitlines(True), FILENAME)
    module = types.ModuleType("candidate")
    module.__file__ = FILENAME
    sys.modules["candidate"] = module  # dataclasses and friends look their module up
    exec(compile(source, FILENAME, "exec"), module.__dict__)
    function = module.__dict__.get(entry)
    if not callable(function):
        defined = sorted(
            k
            for k, v in module.__dict__.items()
            if isinstance(v, types.FunctionType) and not k.startswith("_")
        )
        what = "defines no function" if function is None else "has a non-callable"
        raise NameError(
            f"the program {what} named {entry!r} (it defines: "
            f"{', '.join(defined) or 'no functions'})"
        )
    return function


def format_error(exc: BaseException) -> str:
    """ "TypeName: message", then the last traceback frames outside the sandbox's code."""
    head = f"{type(exc).__name__}: {_safe_str(exc)}"
    if isinstance(exc, SyntaxError) and exc.text:
        head = f"SyntaxError: {exc.msg} (line {exc.lineno})\n    {exc.text.strip()}"
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__, limit=-8)
        if not f.filename.startswith(_SANDBOX_DIR)
    ]
    tail = "".join(traceback.format_list(frames[-5:]))
    text = f"{head}\nTraceback (most recent call last):\n{tail}" if tail else head
    return text if len(text) <= _MAX_ERROR_CHARS else text[:_MAX_ERROR_CHARS] + "\n[...]"


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)[:_MAX_ERROR_CHARS]
    except BaseException:
        return "<the exception's message could not be printed>"


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _header(status: str, error: str = "", size: int = 0, cpu_base: float = 0.0) -> bytes:
    """The report's first line, with the candidate's CPU time and the child's peak RSS:
    the supervisor replies without waiting for the exit, so wait4 cannot measure them."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = max(usage.ru_utime + usage.ru_stime - cpu_base, 0.0)
    max_rss_mb = usage.ru_maxrss / 1024
    if not error:  # the common case, without the json module's overhead
        return b'{"status":"%s","bytes":%d,"cpu_s":%.6f,"max_rss_mb":%.3f}\n' % (
            status.encode(),
            size,
            cpu_s,
            max_rss_mb,
        )
    header = {"status": status, "error": error, "cpu_s": cpu_s, "max_rss_mb": max_rss_mb}
    return json.dumps(header).encode() + b"\n"


def _flush_stdio() -> None:
    """sys.stdout/stderr are the zygote's own streams, now writing to the capture pipes
    (the zygote flushes them before forking, so they start empty)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
