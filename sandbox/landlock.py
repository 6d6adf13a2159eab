"""Landlock for the candidate child: writes only beneath its scratch directory (and to
/dev/null), no TCP bind or connect, no signals or abstract sockets outside its domain.

Raw syscalls through ctypes (x86_64 numbers); what the kernel's ABI version lacks is left
out. Reads stay allowed everywhere (the child imports lazily from the stdlib), but
Landlock also refuses ptrace-style access to processes outside the domain, so
`/proc/<other pid>/environ` and friends cannot be read.
"""

from __future__ import annotations

import ctypes
import os

__all__ = ["Landlock", "landlock_abi"]

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 1 << 1, 1 << 2, 1 << 3
_FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 14, 1 << 15
_FS_BITS_BY_ABI = {1: 13, 2: 14, 3: 15, 4: 15, 5: 16}  # number of fs access bits
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1, 2
_READ_ONLY = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 where Landlock is missing or disabled."""
    version = _libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    return max(int(version), 0)


class Landlock:
    """The ruleset's shape for this kernel, computed once per zygote; `restrict` builds
    and enforces it in the child (a fresh ruleset each time: rules are per scratch dir)."""

    def __init__(self, abi: int) -> None:
        fs_all = (1 << _FS_BITS_BY_ABI.get(abi, 16)) - 1
        self.abi = abi
        self.write_access = fs_all & ~_READ_ONLY
        self._attr = _RulesetAttr(
            handled_access_fs=self.write_access,
            handled_access_net=(_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0,
            scoped=(_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL) if abi >= 6 else 0,
        )
        self._devnull_access = (_FS_WRITE_FILE | _FS_TRUNCATE) & fs_all
        self._rule = _PathBeneathAttr()

    def restrict(self, scratch: str) -> None:
        """Confine the calling process for good (OSError if the kernel refuses)."""
        ruleset = _check(_libc.syscall(_CREATE_RULESET, ctypes.byref(self._attr), 24, 0))
        try:
            self._allow(ruleset, scratch, self.write_access)
            self._allow(ruleset, os.devnull, self._devnull_access)
            _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
            _check(_libc.syscall(_RESTRICT_SELF, ruleset, 0))
        finally:
            os.close(ruleset)

    def _allow(self, ruleset: int, path: str, access: int) -> None:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        try:
            self._rule.allowed_access, self._rule.parent_fd = access, fd
            rule = ctypes.byref(self._rule)
            _check(_libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, rule, 0))
        finally:
            os.close(fd)


def _check(value: int) -> int:
    if value < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"landlock: {os.strerror(err)}")
    return int(value)
