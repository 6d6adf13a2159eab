"""Isolation layers of a candidate child. The child applies the job-independent ones
right after fork, before its job exists (see supervise.py: children are forked ahead):
own session, stdio, a private result fd and the job fd only, own scratch directory,
Landlock, seccomp. The zygote then sets the job's rlimits on the waiting child with
prlimit, and only after that hands it the job. The zygote's own layers (namespaces, no
capabilities) are in layers.py; a layer the kernel lacks is absent from `layers` and the
others still apply.
"""

from __future__ import annotations

import ctypes
import math
import os
import resource

from sandbox.layers import ChildLayers
from sandbox.result import Limits

__all__ = [
    "CALL_FD",
    "CHILD_NAME",
    "JOB_FD",
    "MEMFD_FD",
    "RESULT_FD",
    "RlimitSetter",
    "apply_isolation",
]

CHILD_NAME = "sandbox-child"  # a child's name, inherited by whatever it forks
RESULT_FD = 3  # the child's private result pipe
JOB_FD = 4  # where the child reads its job
CALL_FD, MEMFD_FD = 5, 6  # its end of the call channel (calls.py); every fd above is closed
_MIB = 1024 * 1024
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_PR_SET_NAME = 15
_libc = ctypes.CDLL(None, use_errno=True)


def apply_isolation(scratch: str, fds: tuple[int, ...], layers: ChildLayers) -> None:
    """Confine the calling (freshly forked) process; `fds` are its stdout, stderr, result
    and job pipes, call socket and memfd. Order matters: seccomp (which forbids fork and
    exec) is last; it also forbids setrlimit, so the rlimits come from the zygote
    (`RlimitSetter`)."""
    _name_self()
    os.setsid()  # own process group: the supervisor kills the whole group with killpg
    layers.restrict_files(scratch)  # before the fds close: it uses the zygote's prebuilt rules
    _plumb_fds(*fds)
    os.chdir(scratch)
    os.environ["TMPDIR"] = scratch  # tempfile works: the rest of /tmp is not writable
    layers.restrict_syscalls()


def _name_self() -> None:
    """Show as CHILD_NAME in ps and /proc (the candidate may rename itself, but whatever
    it forks starts with this name)."""
    _libc.prctl(_PR_SET_NAME, CHILD_NAME.encode(), 0, 0, 0)


def _plumb_fds(*fds: int) -> None:
    """stdin from /dev/null, stdout/stderr to the capture pipes, the result pipe on fd 3,
    the job pipe on fd 4, the call channel on 5 and 6, everything else (the zygote's
    control channels included) closed."""
    sources = [os.open(os.devnull, os.O_RDONLY), *fds]
    if min(sources) <= MEMFD_FD:  # dup first, so that no target overwrites a source
        sources = [os.dup(fd) for fd in sources]
    for target, fd in enumerate(sources):
        os.dup2(fd, target)
    os.closerange(MEMFD_FD + 1, 1 << 20)


class RlimitSetter:
    """Sets a waiting child's rlimits from the zygote (prlimit), never above the zygote's
    own hard limits, which every child inherits (an unprivileged user cannot raise them)."""

    _WHICH = (
        resource.RLIMIT_CORE,
        resource.RLIMIT_CPU,
        resource.RLIMIT_FSIZE,
        resource.RLIMIT_NOFILE,
        resource.RLIMIT_AS,
    )

    def __init__(self) -> None:
        self._hard = {which: resource.getrlimit(which)[1] for which in self._WHICH}

    def apply(self, pid: int, limits: Limits) -> None:
        """Limit child `pid`; raises OSError (then the child must not get its job)."""
        cpu_s = max(math.ceil(limits.cpu_s if limits.cpu_s is not None else limits.timeout_s), 1)
        self._limit(pid, resource.RLIMIT_CORE, 0)
        self._limit(pid, resource.RLIMIT_CPU, cpu_s, cpu_s + 1)  # SIGXCPU, then SIGKILL
        self._limit(pid, resource.RLIMIT_FSIZE, limits.file_size_mb * _MIB)
        self._limit(pid, resource.RLIMIT_NOFILE, limits.open_files)
        self._limit(pid, resource.RLIMIT_AS, _address_space(pid) + limits.memory_mb * _MIB)

    def _limit(self, pid: int, which: int, soft: int, hard: int | None = None) -> None:
        hard = soft if hard is None else hard
        current_hard = self._hard[which]
        if current_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, current_hard), min(hard, current_hard)
        resource.prlimit(pid, which, (soft, hard))


def _address_space(pid: int) -> int:
    """The child's current virtual size in bytes (the worker's own, before the candidate)."""
    fd = os.open(f"/proc/{pid}/statm", os.O_RDONLY)
    try:
        pages = int(os.read(fd, 256).split()[0])
    finally:
        os.close(fd)
    return pages * _PAGE_SIZE
