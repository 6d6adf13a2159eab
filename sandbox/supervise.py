"""The zygote's side of candidate runs: fork ahead, hand over, watch, kill, measure,
clean up.

Each child runs in its own session. The supervisor pumps its stdout, stderr and result
pipes until the child has reported and closed them, exits, overflows its result cap, or
passes the wall deadline; then it SIGKILLs the whole process group (always, so no
grandchild survives) and replies. What can wait (reaping a child that reported, removing
its scratch directory, killing descendants that left its group with setsid and were
adopted by the zygote, a child subreaper) is done in `settle`, off the critical path.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import select
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.calls import open_channel
from sandbox.child import READY, run_child
from sandbox.isolate import RlimitSetter
from sandbox.layers import ChildLayers
from sandbox.protocol import write_all
from sandbox.result import Job
from sandbox.scratch import remove_tree
from sandbox.verdict import Exit, classify, exit_details, report_complete

__all__ = ["Capture", "Child", "Supervisor"]

_DRAIN_GRACE_S = 0.2  # after the child exits, how long to wait for its pipes to close
_REPORT_SLACK = 64 * 1024  # the report's header line on top of the result's own cap
_STRAY_ROUNDS = 8
_READY_TIMEOUT_S = 10.0


class Capture:
    """Bytes read from one pipe, kept up to `cap`; the rest is counted and dropped."""

    def __init__(self, cap: int) -> None:
        self.cap, self.data, self.dropped, self.closed = cap, bytearray(), 0, False

    def pump(self, fd: int) -> None:
        """Move what is readable on `fd` here; at end of file, mark it closed."""
        chunk = os.read(fd, 1 << 16)
        room = max(self.cap - len(self.data), 0)
        self.data += chunk[:room]
        self.dropped += max(len(chunk) - room, 0)
        self.closed = not chunk

    def text(self) -> str:
        note = f"\n[... {self.dropped} more bytes dropped]" if self.dropped else ""
        return self.data.decode("utf-8", "replace") + note


@dataclass(frozen=True)
class Child:
    """A child forked ahead of its job: confining itself, then waiting on its job pipe.
    `calls` (socket, memfd) is the host's end of its call channel, until handed over."""

    pid: int
    reads: tuple[int, int, int]  # read ends of its stdout, stderr and result pipes
    job_fd: int  # write end of its job pipe
    scratch: str
    calls: tuple[int, int]


class Supervisor:
    """Runs jobs one at a time in forked children, each in a fresh scratch directory.

    The next child is forked ahead of time (`prepare`, called after each reply), so the
    fork and its job-independent layers are off the critical path (the zygote's state
    never changes, so a child forked ahead is always current). `on_start(child)` announces
    each new child (and hands over the host's end of its call channel); `on_running(pid)`
    says which child got the job, before it is watched."""

    def __init__(
        self,
        scratch_root: str,
        layers: ChildLayers,
        on_start: Callable[[Child], None],
        on_running: Callable[[int], None],
    ) -> None:
        self._root = scratch_root
        self._layers = layers
        self._on_start, self._on_running = on_start, on_running
        self._rlimits = RlimitSetter()
        self._jobs = itertools.count()
        self._next: Child | None = None
        self._leftovers: list[tuple[int | None, str]] = []  # (unreaped child, its scratch)

    @property
    def has_leftovers(self) -> bool:
        return bool(self._leftovers)

    def prepare(self) -> None:
        """Fork (and announce) the next child unless one waits already."""
        if self._next is None:
            self._next = self._fork()
            self._on_start(self._next)

    def prepare_and_clean(self) -> None:
        """After a reply: fork the next child, then clean up."""
        self.prepare()
        if self._leftovers:
            self.settle(block=False)

    def run(self, job: Job) -> tuple[dict[str, Any], bytes]:
        """Run `job` and return the verdict: (meta, b"")."""
        if self._leftovers:
            self.settle(block=False)
        self.prepare()
        assert self._next is not None
        child, self._next = self._next, None
        unreaped: list[int] = []
        try:
            return _hand_over_and_watch(job, child, self._rlimits, unreaped, self._on_running)
        finally:
            self._leftovers.append((unreaped[0] if unreaped else None, child.scratch))

    def settle(self, *, block: bool = True) -> None:
        """Reap children killed after they reported, remove scratch directories, and kill
        the strays the zygote adopted. Non-blocking: only what is already finished."""
        for entry in list(self._leftovers):
            pid, scratch = entry
            if pid is None or _reaped(pid, block):
                remove_tree(scratch)
                self._leftovers.remove(entry)
        exclude = {pid for pid, _ in self._leftovers}
        if self._next is not None:
            exclude.add(self._next.pid)
        _kill_strays(exclude)

    def _fork(self) -> Child:
        scratch = os.path.join(self._root, str(next(self._jobs)))
        try:
            os.mkdir(scratch, 0o700)
        except FileNotFoundError:  # someone cleaned /tmp under the worker's feet
            os.makedirs(scratch, 0o700)
        pipes = [os.pipe() for _ in range(4)]  # stdout, stderr, result; job (reversed)
        host_end, child_end = open_channel()
        sys.stdout.flush()  # the child inherits these streams: start them empty
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            for read_end, _ in pipes[:3]:
                os.close(read_end)
            os.close(pipes[3][1])
            fds = (pipes[0][1], pipes[1][1], pipes[2][1], pipes[3][0], *child_end)
            run_child(self._layers, fds, scratch)
        for fd in (*(write_end for _, write_end in pipes[:3]), pipes[3][0], *child_end):
            os.close(fd)
        reads = (pipes[0][0], pipes[1][0], pipes[2][0])
        return Child(pid, reads, pipes[3][1], scratch, host_end)


def _hand_over_and_watch(
    job: Job,
    child: Child,
    rlimits: RlimitSetter,
    unreaped: list[int],
    on_running: Callable[[int], None],
) -> tuple[dict[str, Any], bytes]:
    """Limit the waiting child, give it the job, and watch it until it is done."""
    start = time.monotonic()
    try:
        _wait_ready(child, start + _READY_TIMEOUT_S)
        rlimits.apply(child.pid, job.limits)
        write_all(child.job_fd, json.dumps(job.to_message()).encode())
    except OSError:  # dead already, or not limited: it must not run; watch sees it exit
        _kill_group(child.pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)
    finally:
        os.close(child.job_fd)
    on_running(child.pid)
    limits = job.limits
    caps = (limits.output_bytes, limits.output_bytes, limits.result_bytes + _REPORT_SLACK)
    captures = {fd: Capture(cap) for fd, cap in zip(child.reads, caps, strict=True)}
    try:
        exit_ = _watch_and_end(child.pid, captures, start, limits.timeout_s, unreaped)
    finally:
        for fd in captures:
            os.close(fd)
    out, err, result = captures.values()
    meta, blob = classify(exit_, bytes(result.data), result.dropped > 0, limits)
    extra = exit_details(exit_)
    extra.update(
        {
            f"{name}_dropped_bytes": c.dropped
            for name, c in (("stdout", out), ("stderr", err))
            if c.dropped
        }
    )
    meta.setdefault("cpu_s", exit_.cpu_s)
    meta.setdefault("max_rss_mb", exit_.max_rss_mb)
    meta.update(stdout=out.text(), stderr=err.text(), wall_s=exit_.wall_s, extra=extra)
    return meta, blob


def _wait_ready(child: Child, deadline: float) -> None:
    """Wait for the child's READY byte: it has confined itself (so its setup is not bound
    by the job's rlimits). OSError if it died or said something else."""
    poller = select.poll()
    poller.register(child.reads[2], select.POLLIN)
    if (
        not poller.poll(max(deadline - time.monotonic(), 0) * 1000)
        or os.read(child.reads[2], 1) != READY
    ):
        raise OSError("the child did not confine itself")


def _watch_and_end(
    pid: int,
    captures: dict[int, Capture],
    start: float,
    timeout_s: float,
    unreaped: list[int],
) -> Exit:
    """Watch the child until it is done, then kill its group. A child that reported is
    left for `settle` to reap; any other is reaped now for wait4's verdict."""
    try:
        outcome = _watch(pid, captures, start + timeout_s)
    except BaseException:
        _kill_group(pid)
        os.wait4(pid, 0)
        raise
    _kill_group(pid)
    if outcome == "reported":
        unreaped.append(pid)
        return Exit(None, timed_out=False, wall_s=time.monotonic() - start)
    _, status, usage = os.wait4(pid, 0)
    wall_s = time.monotonic() - start
    _kill_group(pid)  # a grandchild may have forked between the kill and the reap
    _drain(captures, time.monotonic() + _DRAIN_GRACE_S)
    cpu_s = usage.ru_utime + usage.ru_stime
    return Exit(status, outcome == "deadline", wall_s, cpu_s, usage.ru_maxrss / 1024)


def _watch(pid: int, captures: dict[int, Capture], deadline: float) -> str:
    """Pump the pipes until: "reported" (all three closed: the child is done), "exited",
    "overflow" (the result is over its cap) or "deadline"."""
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    for fd in (pidfd, *captures):
        poller.register(fd, select.POLLIN)
    result = list(captures.values())[-1]
    try:
        while (remaining := deadline - time.monotonic()) > 0:
            for fd, _ in poller.poll(remaining * 1000 + 1):
                if fd == pidfd:
                    return "exited"
                captures[fd].pump(fd)
                if captures[fd].closed:
                    poller.unregister(fd)
            if result.dropped:
                return "overflow"
            if all(c.closed for c in captures.values()) and report_complete(result.data):
                return "reported"  # else it is dying without a report: wait for its exit
        return "deadline"
    finally:
        os.close(pidfd)


def _drain(captures: dict[int, Capture], deadline: float) -> None:
    """Read what the dead child left in its pipes (until EOF or `deadline`)."""
    poller = select.poll()
    for fd, capture in captures.items():
        if not capture.closed:
            poller.register(fd, select.POLLIN)
    while not all(c.closed for c in captures.values()):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        for fd, _ in poller.poll(remaining * 1000 + 1):
            captures[fd].pump(fd)
            if captures[fd].closed:
                poller.unregister(fd)


def _reaped(pid: int, block: bool) -> bool:
    try:
        return os.waitpid(pid, 0 if block else os.WNOHANG)[0] != 0
    except ChildProcessError:
        return True


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _kill_strays(exclude: set[int | None]) -> None:
    """Kill and reap the zygote's children other than `exclude`: descendants adopted when
    their parent died, because they had left the group with setsid. Their own children
    are adopted in turn when they die, hence the rounds."""
    for _ in range(_STRAY_ROUNDS):
        strays = [pid for pid in _children() if pid not in exclude]
        if not strays:
            return
        for pid in strays:
            _kill_group(pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in strays:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _children() -> list[int]:
    try:
        fd = os.open(f"/proc/self/task/{os.getpid()}/children", os.O_RDONLY)
    except OSError:  # no CONFIG_PROC_CHILDREN: strays are not found (namespaces will fix)
        return []
    try:
        return [int(pid) for pid in os.read(fd, 1 << 16).split()]
    finally:
        os.close(fd)
