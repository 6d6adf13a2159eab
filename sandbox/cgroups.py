"""One cgroup per zygote worker, where the controller can write a cgroup hierarchy: a
pids limit bounds any fork storm (even without seccomp) and a memory limit bounds the
worker with everything it forks (RLIMIT_AS stays each candidate's primary limit).

The controller creates the group, writes the zygote's pid into it right after spawning
it (before the zygote reads its init message, so before it unshares namespaces or drops
capabilities), and removes the group once the worker is closed or restarted, killing
whatever is left in it first. cgroup v2 (memory and pids delegated to the controller's
own cgroup) is preferred; else cgroup v1 (the memory and pids hierarchies). When neither
is writable, `create_cgroup` says why and the worker goes on without the layer.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time

__all__ = ["CGROUP_ROOT", "HEADROOM_MB", "PIDS_MAX", "Cgroup", "create_cgroup"]

CGROUP_ROOT = "/sys/fs/cgroup"  # read at each call: tests point it elsewhere
PIDS_MAX = 256  # processes and threads in one worker's group, the zygote included
HEADROOM_MB = 512  # the zygote's own memory, on top of the candidate's budget
_PROC_CGROUP = "/proc/self/cgroup"
_REMOVE_WAIT_S = 2.0
_names = itertools.count(1)


class Cgroup:
    """One worker's group: a directory in the v2 hierarchy, or one per v1 hierarchy."""

    def __init__(self, memory_dir: str, pids_dir: str, version: int) -> None:
        self.memory_dir, self.pids_dir, self.version = memory_dir, pids_dir, version
        self.dirs = list(dict.fromkeys((memory_dir, pids_dir)))  # one directory in v2

    def add(self, pid: int) -> None:
        """Move process `pid` (all its threads) into the group; OSError if refused."""
        for path in self.dirs:
            _write(path, "cgroup.procs", str(pid))

    def set_memory(self, memory_mb: int) -> None:
        """Bound the memory the group's processes use together (pages they fault in)."""
        limit = str((memory_mb + HEADROOM_MB) * 1024 * 1024)
        name = "memory.max" if self.version == 2 else "memory.limit_in_bytes"
        _write(self.memory_dir, name, limit)

    def set_pids(self, pids_max: int) -> None:
        _write(self.pids_dir, "pids.max", str(pids_max))

    def pids(self) -> set[int]:
        """The processes in the group now."""
        found: set[int] = set()
        for path in self.dirs:
            with contextlib.suppress(OSError), open(os.path.join(path, "cgroup.procs")) as f:
                found.update(int(line) for line in f if line.strip())
        return found

    def remove(self) -> bool:
        """Kill whatever is still in the group, then remove it; False if it stays."""
        deadline = time.monotonic() + _REMOVE_WAIT_S
        left = list(self.dirs)
        while left:
            for pid in self.pids():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            left = [path for path in left if not _rmdir(path)]
            if left and time.monotonic() > deadline:
                return False
            if left:
                time.sleep(0.005)
        return True


def create_cgroup(memory_mb: int, root: str | None = None) -> tuple[Cgroup | None, str]:
    """A new, empty group with the pids and memory limits set, or None and why not."""
    base = root if root is not None else CGROUP_ROOT
    # the random part: a stale group of a dead controller with the same pid is no clash
    name = f"evolve-sandbox-{os.getpid()}-{next(_names)}-{os.urandom(3).hex()}"
    own = _own_paths()
    why_v2 = _v2_parent(base, own.get("", "/"))
    if why_v2.startswith("/"):
        path = os.path.join(why_v2, name)
        return _populate(Cgroup(path, path, 2), memory_mb)
    memory, pids = (_v1_parent(base, c, own) for c in ("memory", "pids"))
    if memory is None or pids is None:
        unusable = " or ".join(c for c, p in (("memory", memory), ("pids", pids)) if p is None)
        return None, f"{why_v2}; no writable cgroup v1 {unusable} hierarchy under {base}"
    group, why = _populate(
        Cgroup(os.path.join(memory, name), os.path.join(pids, name), 1), memory_mb
    )
    return group, why and f"{why_v2}; {why}"


def _populate(group: Cgroup, memory_mb: int) -> tuple[Cgroup | None, str]:
    """Create the group's directories and set its limits; on failure, undo and say why."""
    try:
        for path in group.dirs:
            os.mkdir(path, 0o755)
        group.set_pids(PIDS_MAX)
        group.set_memory(memory_mb)
    except OSError as exc:
        group.remove()
        where = exc.filename or group.dirs[0]
        return None, f"cannot set up cgroup v{group.version} {where}: {exc.strerror or exc}"
    return group, ""


def _v2_parent(base: str, own: str) -> str:
    """The v2 directory to create groups in (starts with "/"), or why there is none."""
    mount = base if os.path.exists(os.path.join(base, "cgroup.controllers")) else None
    if mount is None and os.path.exists(os.path.join(base, "unified", "cgroup.controllers")):
        mount = os.path.join(base, "unified")
    if mount is None:
        return "no cgroup v2 hierarchy"
    parent = _under(mount, own)
    needed = {"memory", "pids"}
    available = set(_read(parent, "cgroup.controllers").split())
    if not needed <= available:
        lacking = " and ".join(sorted(needed - available))
        return f"cgroup v2 {parent} lacks the {lacking} controller(s)"
    if not needed <= set(_read(parent, "cgroup.subtree_control").split()):
        try:
            _write(parent, "cgroup.subtree_control", "+memory +pids")
        except OSError as exc:
            return f"cannot delegate memory and pids below cgroup v2 {parent}: {exc.strerror}"
    if not os.access(parent, os.W_OK):
        return f"cgroup v2 {parent} is not writable"
    return parent


def _v1_parent(base: str, controller: str, own: dict[str, str]) -> str | None:
    mount = os.path.join(base, controller)
    if not os.path.exists(os.path.join(mount, "cgroup.procs")):
        return None
    parent = _under(mount, own.get(controller, "/"))
    return parent if os.access(parent, os.W_OK) else None


def _under(mount: str, path: str) -> str:
    """The process's own cgroup directory under `mount`, or `mount` itself when that path
    is not visible there (a cgroup namespace, a container)."""
    own = os.path.normpath(os.path.join(mount, path.lstrip("/")))
    return own if os.path.isdir(own) else mount


def _own_paths() -> dict[str, str]:
    """{controller: this process's cgroup path}; "" for the v2 hierarchy."""
    paths: dict[str, str] = {}
    with contextlib.suppress(OSError), open(_PROC_CGROUP) as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                paths[controller] = path
    return paths


def _read(path: str, name: str) -> str:
    try:
        with open(os.path.join(path, name)) as f:
            return f.read()
    except OSError:
        return ""


def _write(path: str, name: str, value: str) -> None:
    with open(os.path.join(path, name), "w") as f:
        f.write(value)


def _rmdir(path: str) -> bool:
    try:
        os.rmdir(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True
