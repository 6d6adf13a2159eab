"""The isolation layers: which exist, which this kernel and user allow, what each missing
one means. The zygote sets up its own layers once (`confine_zygote`) and reports what is
missing in its hello; `probe_layers` starts one throwaway zygote to ask, once per process.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sandbox.cgroups import HEADROOM_MB, PIDS_MAX
from sandbox.landlock import Landlock, landlock_abi
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
    "landlock network": (
        "no TCP bind or connect",
        "only seccomp and the network namespace keep candidates off the network",
    ),
    "landlock scopes": (
        "no signals or abstract unix sockets outside the candidate",
        "only seccomp stops signals to other processes",
    ),
    "seccomp": (
        "no fork, exec, kill of others, ptrace, sockets, mount, namespaces, raising limits",
        "candidates may fork (descendants are still killed with the group and by the "
        "worker), exec programs, open sockets and signal processes of their user",
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
_ALWAYS = ("rlimits", "session + killpg")


class ChildLayers:
    """The per-candidate layers this zygote can apply, prepared once before any fork."""

    def __init__(self, landlock: Landlock | None, seccomp: SeccompFilter | None) -> None:
        self.landlock, self.seccomp = landlock, seccomp

    def restrict_files(self, scratch: str) -> None:
        if self.landlock is not None:
            self.landlock.restrict(scratch)

    def restrict_syscalls(self) -> None:
        """Last step before the candidate runs: nothing after it may need a denied call."""
        if self.seccomp is not None:
            self.seccomp.install(os.getpid())


def confine_zygote(
    scratch_root: str, without: Sequence[str] = ()
) -> tuple[ChildLayers, dict[str, str]]:
    """Set up the zygote's own layers and prepare the children's; returns them with
    {layer name: why it is missing}. Call before anything starts a thread. `without`
    names layers to leave out, to test the fallbacks: "namespaces", "landlock", "seccomp"."""
    if "namespaces" in without:
        missing = {f"{k} namespace": "left out on request" for k in ("user", "network", "mount")}
    else:
        names = {"user": "user", "net": "network", "mount": "mount"}
        entered = enter_namespaces(scratch_root)
        missing = {f"{names[k]} namespace": v for k, v in entered.items()}
    missing.update(_reason("capabilities", drop_capabilities()))
    abi = landlock_abi()
    landlock = Landlock(abi) if abi else None
    if landlock is None:
        missing["landlock filesystem"] = "the kernel has no Landlock (or it is disabled)"
    seccomp = SeccompFilter() if seccomp_supported() else None
    if seccomp is None:
        missing["seccomp"] = "the filter is written for x86_64 Linux only"
    if "landlock" in without:
        landlock, missing["landlock filesystem"] = None, "left out on request"
    if "seccomp" in without:
        seccomp, missing["seccomp"] = None, "left out on request"
    layers = ChildLayers(landlock, seccomp)
    missing.update(_try_in_child(layers, scratch_root))
    if "landlock filesystem" in missing or abi < 4:
        missing["landlock network"] = f"needs Landlock ABI 4, this kernel has {abi}"
    if "landlock filesystem" in missing or abi < 6:
        missing["landlock scopes"] = f"needs Landlock ABI 6, this kernel has {abi}"
    return layers, missing


def _reason(name: str, why: str) -> dict[str, str]:
    return {name: why} if why else {}


def _try_in_child(layers: ChildLayers, scratch_root: str) -> dict[str, str]:
    """Apply each per-child layer once in a forked child: a layer the kernel refuses
    (e.g. seccomp in a container that forbids it) is left out of every later child."""
    trials: dict[str, Callable[[], None]] = {}
    if layers.landlock is not None:
        trials["landlock filesystem"] = lambda: layers.restrict_files(scratch_root)
    if layers.seccomp is not None:
        trials["seccomp"] = layers.restrict_syscalls
    missing = {name: why for name, trial in trials.items() if (why := _fork_and_try(trial))}
    if "landlock filesystem" in missing:
        layers.landlock = None
    if "seccomp" in missing:
        layers.seccomp = None
    return missing


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
