"""Removing a candidate's scratch directory, whatever it did to it."""

from __future__ import annotations

import os
import shutil
import stat

__all__ = ["remove_tree"]


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
