"""The forked child: confine itself, wait for its job, run the candidate, report on the
result pipe, exit.

The report is one JSON header line ({"status", "error", "bytes", "cpu_s", "max_rss_mb"}),
then, for status "ok", the value's strict JSON ("bytes" long: a report is complete when
the body has that length). The child never returns into the zygote's code: every
path ends in os._exit, even in a grandchild the candidate forked.
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
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from sandbox.encode import BadResult, to_json_bytes
from sandbox.isolate import JOB_FD, RESULT_FD, apply_isolation
from sandbox.layers import ChildLayers
from sandbox.protocol import write_all
from sandbox.result import Job

__all__ = ["FILENAME", "Resolver", "format_error", "run_child"]

FILENAME = "<candidate>"  # the candidate's frames read `File "<candidate>", line N`
_SANDBOX_DIR = os.path.dirname(os.path.abspath(__file__))
_MEMORY_REPORT = b'{"status":"memory","error":"MemoryError: the memory limit was reached"}\n'
_MAX_ERROR_CHARS = 4000

# job -> (harness, instances), looked up in the zygote's state as of the fork
Resolver = Callable[[Job], tuple[Callable[..., Any] | None, Mapping[str, Any] | None]]


def run_child(
    resolve: Resolver, layers: ChildLayers, fds: tuple[int, int, int, int], scratch: str
) -> NoReturn:
    """Entry point right after fork, before the job exists: confine this process, wait
    for the job (its rlimits are set by then), run it, report. `fds` are the stdout,
    stderr, result and job pipes; `resolve` finds the job's harness and instances in the
    zygote's state as of the fork. Whatever happens (even an exception escaping), it ends
    in os._exit: no report and a nonzero exit code is a CRASH for the supervisor."""
    code = 70
    try:
        apply_isolation(scratch, fds, layers)
        message = _read_job()
        if message:  # no job: the zygote discarded this child, or could not limit it
            cpu_base = _cpu_s()  # the candidate's CPU time, not this child's setup
            job = Job.from_message(json.loads(message))
            report = evaluate(job, *resolve(job), cpu_base=cpu_base)
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


def evaluate(
    job: Job,
    harness: Callable[..., Any] | None,
    instances: Mapping[str, Any] | None,
    cpu_base: float = 0.0,
) -> bytes:
    """Run the candidate and build its report (header line + value)."""
    try:
        value = _call(load_entry(job.source, job.entry), job.args, harness, instances)
        body = to_json_bytes(value)
    except MemoryError:
        return _MEMORY_REPORT
    except SystemExit as exc:
        return _header(
            "crash",
            f"the program called sys.exit({exc.code!r}) instead of returning a value",
            cpu_base=cpu_base,
        )
    except BadResult as exc:
        return _header("bad_result", str(exc), cpu_base=cpu_base)
    except BaseException as exc:
        return _header("error", format_error(exc), cpu_base=cpu_base)
    if len(body) > job.limits.result_bytes:
        return _header(
            "output_limit",
            f"the result is {len(body)} bytes of JSON, over the "
            f"limit of {job.limits.result_bytes} bytes",
            cpu_base=cpu_base,
        )
    return _header("ok", size=len(body), cpu_base=cpu_base) + body


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


def _call(
    entry: Callable[..., Any],
    args: tuple[Any, ...],
    harness: Callable[..., Any] | None,
    instances: Mapping[str, Any] | None,
) -> Any:
    if harness is None:
        return entry(*args)
    if instances is None:
        return harness(entry, *args)
    return {name: harness(entry, instance) for name, instance in instances.items()}


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
