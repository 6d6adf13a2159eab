"""Scratch directories: making a worker's scratch root, removing a candidate's scratch
directory whatever it did to it, and sweeping the roots that a killed run left behind.

A root is named `evolve-sandbox-PID-XXXXXXXX` in the temporary directory, PID being the
controller process that made it, so that a later sandbox can tell whose it is: one whose
process is gone (a run killed with SIGKILL) is removed when the next sandbox starts.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile

__all__ = ["ROOT_PREFIX", "make_root", "remove_tree", "sweep_stale_roots"]

ROOT_PREFIX = "evolve-sandbox-"
_ROOT_NAME = re.compile(re.escape(ROOT_PREFIX) + r"([0-9]+)-[a-z0-9_]+")  # as make_root names


def make_root() -> str:
    """A new private scratch root (mode 700) named after this process."""
    return tempfile.mkdtemp(prefix=f"{ROOT_PREFIX}{os.getpid()}-")


def sweep_stale_roots(directory: str | None = None) -> list[str]:
    """Remove the scratch roots in `directory` (default: the temporary directory) that
    this project's sandbox made for a process that is gone; return their paths. Only
    real directories owned by this user whose name says which process made them count:
    anything else, and the roots of live processes, are left alone. Never raises."""
    directory = directory or tempfile.gettempdir()
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    removed = []
    for name in names:
        match = _ROOT_NAME.fullmatch(name)
        path = os.path.join(directory, name)
        if match and _owned_directory(path) and not _alive(int(match.group(1))):
            remove_tree(path)
            removed.append(path)
    return removed


def _owned_directory(path: str) -> bool:
    try:
        info = os.lstat(path)  # a link is not followed: never a directory here
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (another user's counts: it is alive)."""
    if pid <= 0:
        return True  # not a process id: leave it alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def remove_tree(path: str) -> None:
    """rmtree that also removes what the candidate made unreadable or unwritable (chmod 0:
    the zygote holds no capability, so even root must give itself access first); an empty
    directory (the usual case) costs one rmdir. Never raises."""
    try:
        os.rmdir(path)
        return
    except FileNotFoundError:
        return
    except OSError:
        pass
    _unlock_directories(path)
    shutil.rmtree(path, ignore_errors=True)


def _unlock_directories(path: str) -> None:
    """chmod u+rwx every directory beneath `path`, top-down, without following links."""
    pending = [path]
    while pending:
        directory = pending.pop()
        try:
            os.chmod(directory, stat.S_IRWXU, follow_symlinks=False)
            with os.scandir(directory) as entries:
                pending += [e.path for e in entries if e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
