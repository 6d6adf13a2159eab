"""Removing a candidate's scratch directory, whatever it did to it."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from typing import Any

__all__ = ["remove_tree"]


def remove_tree(path: str) -> None:
    """rmtree that also removes what the candidate made unwritable (chmod 0); an empty
    directory (the usual case) costs one rmdir."""
    try:
        os.rmdir(path)
        return
    except FileNotFoundError:
        return
    except OSError:
        pass

    def unlock(func: Callable[..., Any], target: str, _: Any) -> None:
        os.chmod(os.path.dirname(target), stat.S_IRWXU)
        if os.path.isdir(target) and not os.path.islink(target):
            os.chmod(target, stat.S_IRWXU)
        func(target)

    try:
        shutil.rmtree(path, onerror=unlock)
    except OSError:
        shutil.rmtree(path, ignore_errors=True)
