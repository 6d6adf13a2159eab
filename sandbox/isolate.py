"""Isolation layers applied in the forked child before any candidate code runs: own
session, stdio and a private result fd only, own scratch directory, Landlock, rlimits,
seccomp. The zygote's own layers (namespaces, no capabilities) are in layers.py; a layer
the kernel lacks is absent from `layers` and the others still apply.
"""

from __future__ import annotations

import math
import os
import resource

from sandbox.layers import ChildLayers
from sandbox.result import Limits

__all__ = ["RESULT_FD", "apply_isolation"]

RESULT_FD = 3  # the child's private result pipe; every fd above it is closed
_MIB = 1024 * 1024
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def apply_isolation(
    limits: Limits, scratch: str, fds: tuple[int, int, int], layers: ChildLayers
) -> None:
    """Confine the calling (freshly forked) process; `fds` are its stdout, stderr and
    result pipes. Order matters: file descriptors are rearranged before RLIMIT_NOFILE,
    RLIMIT_AS is set from the final size, and seccomp (which forbids setrlimit) is last."""
    os.setsid()  # own process group: the supervisor kills the whole group with killpg
    _plumb_fds(*fds)
    os.chdir(scratch)
    os.environ["TMPDIR"] = scratch  # tempfile works: the rest of /tmp is not writable
    layers.restrict_files(scratch)
    _set_rlimits(limits)
    layers.restrict_syscalls()


def _plumb_fds(stdout_fd: int, stderr_fd: int, result_fd: int) -> None:
    """stdin from /dev/null, stdout/stderr to the capture pipes, the result pipe on fd 3,
    everything else (the zygote's control channel included) closed."""
    sources = [os.open(os.devnull, os.O_RDONLY), stdout_fd, stderr_fd, result_fd]
    if min(sources) <= RESULT_FD:  # dup first, so that no target overwrites a source
        sources = [os.dup(fd) for fd in sources]
    for target, fd in enumerate(sources):
        os.dup2(fd, target)
    os.closerange(RESULT_FD + 1, 1 << 20)


def _set_rlimits(limits: Limits) -> None:
    cpu_s = math.ceil(limits.cpu_s if limits.cpu_s is not None else limits.timeout_s)
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_CPU, max(cpu_s, 1), max(cpu_s, 1) + 1)  # SIGXCPU, then SIGKILL
    _limit(resource.RLIMIT_FSIZE, limits.file_size_mb * _MIB)
    _limit(resource.RLIMIT_NOFILE, limits.open_files)
    _limit(resource.RLIMIT_AS, _address_space() + limits.memory_mb * _MIB)


def _limit(which: int, soft: int, hard: int | None = None) -> None:
    """Set soft and hard limits, never above the current hard limit (an unprivileged user
    cannot raise it)."""
    hard = soft if hard is None else hard
    _, current_hard = resource.getrlimit(which)
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(which, (soft, hard))


def _address_space() -> int:
    """This process's current virtual size in bytes (the worker's own, before the candidate).
    Plain os calls: the io stack would cost a fresh child ~0.2 ms of page faults."""
    fd = os.open("/proc/self/statm", os.O_RDONLY)
    try:
        pages = int(os.read(fd, 256).split()[0])
    finally:
        os.close(fd)
    return pages * _PAGE_SIZE
