"""The isolation layers: which exist, which this kernel and user allow, what each missing
one means. The zygote sets up its own layers once (`confine_zygote`, which also computes
what its children may read from the packages it preloads) and reports what is missing in
its hello; `probe_layers` starts one throwaway zygote to ask, once per process.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sandbox.cgroups import HEADROOM_MB, PIDS_MAX
from sandbox.landlock import Landlock, landlock_abi, readable_paths
from sandbox.namespaces import drop_capabilities, enter_namespaces
from sandbox.seccomp import SeccompFilter, seccomp_supported

__all__ = ["LAYERS", "ChildLayers", "LayerStatus", "confine_zygote", "probe_layers", "statuses"]


@dataclass(frozen=True)
class LayerStatus:
    """One isolation layer as probed here.

    Attributes:
        name: short name, e.g. "seccomp".
        active: whether candidates run with it.
        detail: what it does when active; why it is missing and what that means if not.
    """

    name: str
    active: bool
    detail: str


# name -> (what it does, what is lost without it)
LAYERS: dict[str, tuple[str, str]] = {
    "trusted harness": (
        "the harness and the instances stay in the worker's host process; the candidate's "
        "process holds only its own module and receives only its function's arguments",
        "",
    ),
    "user namespace": (
        "the worker runs in its own user namespace",
        "the network and mount namespaces need root instead",
    ),
    "network namespace": (
        "no network interface at all, loopback included",
        "only seccomp and Landlock keep candidates off the network",
    ),
    "mount namespace": (
        "every mount is read-only except the scratch directories",
        "only Landlock keeps candidates from writing outside their scratch directory",
    ),
    "ipc namespace": (
        "System V IPC objects and POSIX message queues of the worker's own",
        "only seccomp keeps candidates from the host's shared memory, semaphores and "
        "message queues",
    ),
    "capabilities": (
        "the worker holds no capability, even as root",
        "a candidate run as root keeps root's capabilities",
    ),
    "landlock filesystem": (
        "writes only beneath the candidate's own scratch directory; no access to other "
        "processes' /proc files (environ, mem)",
        "a candidate may write wherever its user may and read /proc/<pid>/environ of "
        "processes of its user (the worker's own environment is scrubbed)",
    ),
    "landlock reads": (
        "reads only the standard library, the system libraries, the preloaded packages "
        "and its own scratch directory: not the project's source, data sets, archives, "
        "other installed packages, /etc or home directories",
        "a candidate may read every file its user may: the project's source, the data "
        "sets (held-out test instances included), the archive, other packages",
    ),
    "landlock network": (
        "no TCP bind or connect",
        "only seccomp and the network namespace keep candidates off the network",
    ),
    "landlock scopes": (
        "no signals or abstract unix sockets outside the candidate",
        "only seccomp stops signals to other processes",
    ),
    "seccomp": (
        "no fork, exec, kill of others, ptrace, sockets, mount, namespaces, raising "
        "limits, System V IPC, POSIX message queues",
        "candidates may fork (descendants are still killed with the group and by the "
        "worker), exec programs, open sockets, signal processes of their user and leave "
        "state in System V IPC objects for the next candidate",
    ),
    "rlimits": ("CPU, address space, file size, open files; no core dumps", ""),
    "session + killpg": ("each candidate in its own session, killed as a group", ""),
    "cgroups": (
        f"each worker in its own cgroup: at most {PIDS_MAX} processes, memory bounded "
        f"by the candidate's budget plus {HEADROOM_MB} MiB",
        "memory is bounded by RLIMIT_AS alone and the number of processes by seccomp's "
        "fork ban (or, without seccomp, by the group kill)",
    ),
}
_ALWAYS = ("trusted harness", "rlimits", "session + killpg")
_DEFAULT_PACKAGES = ("numpy",)


class ChildLayers:
    """The per-candidate layers this zygote can apply, prepared once before any fork."""

    def __init__(self, landlock: Landlock | None, seccomp: SeccompFilter | None) -> None:
        self.landlock, self.seccomp = landlock, seccomp

    def restrict_files(self, scratch: str) -> None:
        """Landlock for this child, its own `scratch` directory read-write. Cheapest
        before the child closes the descriptors it inherited: the zygote's prebuilt
        ruleset is then enforced as it is, with a few rules of the child's own; after,
        the child builds the whole ruleset itself (about 1.5 ms more for 200 paths)."""
        if self.landlock is not None:
            self.landlock.restrict(scratch)

    def restrict_syscalls(self) -> None:
        """Last step before the candidate runs: nothing after it may need a denied call."""
        if self.seccomp is not None:
            self.seccomp.install(os.getpid())


def confine_zygote(
    scratch_root: str,
    without: Sequence[str] = (),
    readable_packages: Sequence[str] | None = None,
) -> tuple[ChildLayers, dict[str, str]]:
    """Set up the zygote's own layers and prepare the children's; returns them with
    {layer name: why it is missing}. Call before anything starts a thread (and before
    the first fork). `readable_packages` are the top-level packages candidates may import
    besides the standard library: the zygote's preload list (None, from a caller that
    does not say: numpy, the Sandbox's default). `without` names layers to leave out, to
    test the fallbacks: "namespaces", "landlock", "landlock reads", "seccomp"."""
    if readable_packages is None:
        readable_packages = _DEFAULT_PACKAGES
    missing = _namespaces(scratch_root, without)
    missing.update(_reason("capabilities", drop_capabilities()))
    abi = landlock_abi()
    landlock = _landlock(abi, without, readable_packages, missing, scratch_root)
    seccomp = SeccompFilter() if seccomp_supported() else None
    if seccomp is None:
        missing["seccomp"] = "the filter is written for x86_64 Linux only"
    if "seccomp" in without:
        seccomp, missing["seccomp"] = None, "left out on request"
    layers = ChildLayers(landlock, seccomp)
    missing.update(_try_in_child(layers, scratch_root))
    for name, needs in (("landlock network", 4), ("landlock scopes", 6)):
        if "landlock filesystem" in missing:
            missing[name] = missing["landlock filesystem"]
        elif abi < needs:
            missing[name] = f"needs Landlock ABI {needs}, this kernel has {abi}"
    return layers, missing


def _namespaces(scratch_root: str, without: Sequence[str]) -> dict[str, str]:
    names = {"user": "user", "net": "network", "mount": "mount", "ipc": "ipc"}
    if "namespaces" in without:
        return {f"{name} namespace": "left out on request" for name in names.values()}
    entered = enter_namespaces(scratch_root)
    return {f"{names[k]} namespace": v for k, v in entered.items()}


def _landlock(
    abi: int,
    without: Sequence[str],
    packages: Sequence[str],
    missing: dict[str, str],
    scratch_root: str,
) -> Landlock | None:
    """The children's Landlock ruleset, reads included unless left out (or None)."""
    why = ""
    if "landlock" in without:
        why = "left out on request"
    elif not abi:
        why = "the kernel has no Landlock (or it is disabled)"
    if why:
        missing["landlock filesystem"] = missing["landlock reads"] = why
        return None
    if "landlock reads" in without:
        missing["landlock reads"] = "left out on request"
        return Landlock(abi)
    return Landlock(abi, readable_paths(packages), scratch_root)


def _reason(name: str, why: str) -> dict[str, str]:
    return {name: why} if why else {}


def _try_in_child(layers: ChildLayers, scratch_root: str) -> dict[str, str]:
    """Apply each per-child layer once in a forked child: a layer the kernel refuses
    (e.g. seccomp in a container that forbids it) is left out of every later child. A
    refused read ruleset falls back to one for writes only."""
    missing: dict[str, str] = {}
    landlock = layers.landlock
    if landlock is not None and (why := _try_landlock(landlock, scratch_root)):
        layers.landlock = None
        landlock.close()
        if landlock.handles_reads:
            missing["landlock reads"] = why
            writes_only = Landlock(landlock.abi)
            if not _fork_and_try(lambda: writes_only.restrict(scratch_root)):
                layers.landlock = writes_only
        if layers.landlock is None:
            missing["landlock filesystem"] = missing["landlock reads"] = why
    if layers.seccomp is not None and (why := _fork_and_try(layers.restrict_syscalls)):
        layers.seccomp, missing["seccomp"] = None, why
    return missing


def _try_landlock(landlock: Landlock, scratch_root: str) -> str:
    """Both ways a child may confine itself: with the zygote's prebuilt ruleset, alone."""
    return _fork_and_try(lambda: landlock.restrict(scratch_root)) or _fork_and_try(
        lambda: landlock.restrict(scratch_root, shared=False)
    )


def _fork_and_try(trial: Callable[[], None]) -> str:
    """ "" if `trial` succeeds in a forked child, else why not."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            trial()
        except OSError as exc:
            code = 100 + min(exc.errno or 0, 99)
        except BaseException:
            code = 100
        finally:
            os._exit(code)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if code == 0:
        return ""
    return f"the kernel refused it ({os.strerror(code - 100) if code >= 100 else code})"


def statuses(missing: dict[str, str]) -> list[LayerStatus]:
    """Every layer, active or not, with what it means."""
    result = []
    for name, (does, without) in LAYERS.items():
        if name in missing and name not in _ALWAYS:
            detail = f"{missing[name]}: {without}" if without else missing[name]
            result.append(LayerStatus(name, False, detail))
        else:
            result.append(LayerStatus(name, True, does))
    return result


def probe_layers() -> list[LayerStatus]:
    """Which layers candidates get on this machine, as a throwaway worker finds them
    (cached: the answer does not change within a process)."""
    return list(_probe())


@functools.cache
def _probe() -> tuple[LayerStatus, ...]:
    from sandbox.worker import Worker

    worker = Worker([], [])
    try:
        worker.start()
        worker.ensure_ready()
        return tuple(statuses(worker.missing_layers))
    finally:
        worker.close()
