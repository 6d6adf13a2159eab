"""Namespaces for the whole zygote, entered once before it imports anything that may
start threads: a user namespace (so the rest needs no root), a network namespace (no
interface but a loopback that is down: no network at all), a mount namespace in which
every mount is read-only except the scratch root, and an IPC namespace (System V IPC
objects and POSIX message queues of its own, none of the host's). Then every capability
is dropped, so a candidate cannot undo any of it. Each step that fails is reported and
skipped.
"""

from __future__ import annotations

import contextlib
import ctypes
import os

__all__ = ["drop_capabilities", "enter_namespaces"]

_CLONE_NEWNS, _CLONE_NEWUSER, _CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
_CLONE_NEWIPC = 0x08000000
_MS_BIND, _MS_REC, _MS_PRIVATE = 0x1000, 0x4000, 0x40000
_MOUNT_SETATTR, _AT_FDCWD, _AT_RECURSIVE, _MOUNT_ATTR_RDONLY = 442, -100, 0x8000, 1
_PR_SET_SECUREBITS, _SECBITS_NOROOT_LOCKED = 28, 0x3  # SECBIT_NOROOT + its lock
_PR_CAPBSET_DROP, _CAP_LAST = 24, 63
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)


class _MountAttr(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in ("attr_set", "attr_clr", "propagation", "fd")]


_OTHERS = {"net": _CLONE_NEWNET, "mount": _CLONE_NEWNS, "ipc": _CLONE_NEWIPC}


def enter_namespaces(scratch_root: str) -> dict[str, str]:
    """Enter what this kernel and user allow; {"user"|"net"|"mount"|"ipc": why not} for
    each namespace that is not active (empty when all are)."""
    uid, gid = os.geteuid(), os.getegid()
    missing: dict[str, str] = {}
    try:
        _unshare(_CLONE_NEWUSER)
        _map_ids(uid, gid)
    except OSError as exc:  # root without user namespaces can still have the others
        missing["user"] = f"unshare(CLONE_NEWUSER) failed: {exc.strerror}"
    for name, flag in _OTHERS.items():
        try:
            _unshare(flag)
        except OSError as exc:
            missing[name] = f"unshare failed: {exc.strerror}"
    if "mount" not in missing:
        try:
            _read_only_except(scratch_root)
        except OSError as exc:
            missing["mount"] = f"read-only remount failed: {exc.strerror or exc}"
    return missing


def _unshare(flags: int) -> None:
    """os.unshare is new in Python 3.12; Debian's python3 is 3.11."""
    if _libc.unshare(flags) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _map_ids(uid: int, gid: int) -> None:
    """Keep our own uid and gid inside the new user namespace."""
    _write("/proc/self/uid_map", f"{uid} {uid} 1\n")
    with contextlib.suppress(FileNotFoundError):
        _write("/proc/self/setgroups", "deny\n")
    _write("/proc/self/gid_map", f"{gid} {gid} 1\n")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _read_only_except(scratch_root: str) -> None:
    """Make every mount read-only, then the scratch root (bound onto itself) writable."""
    _mount(None, "/", _MS_REC | _MS_PRIVATE)
    _mount(scratch_root, scratch_root, _MS_BIND)
    _setattr("/", _AT_RECURSIVE, _MountAttr(attr_set=_MOUNT_ATTR_RDONLY))
    _setattr(scratch_root, 0, _MountAttr(attr_clr=_MOUNT_ATTR_RDONLY))


def _mount(source: str | None, target: str, flags: int) -> None:
    src = source.encode() if source else None
    if _libc.mount(src, target.encode(), None, ctypes.c_ulong(flags), None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _setattr(path: str, flags: int, attr: _MountAttr) -> None:
    size = ctypes.sizeof(attr)
    result = _libc.syscall(
        _MOUNT_SETATTR, _AT_FDCWD, path.encode(), flags, ctypes.byref(attr), size
    )
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount_setattr {path}: {os.strerror(err)}")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


def drop_capabilities() -> str:
    """Drop every capability for good ("" on success, else why not): even root, inside
    or outside a user namespace, is then an ordinary user that cannot lift any limit."""
    _libc.prctl(_PR_SET_SECUREBITS, _SECBITS_NOROOT_LOCKED, 0, 0, 0)  # best effort
    for cap in range(_CAP_LAST + 1):
        _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)  # EINVAL past the last known: fine
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # two {effective, permitted, inheritable}, all zero
    if _libc.capset(ctypes.byref(header), data) != 0:
        return f"capset failed: {os.strerror(ctypes.get_errno())}"
    return ""
