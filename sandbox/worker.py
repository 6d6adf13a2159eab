"""The controller's handle on one zygote process: start, talk, kill, restart.

The zygote runs `python -s -P -B` with an environment built from scratch (never the
parent's: no API key can reach a candidate) and in its own session, so a signal meant for
the controller's terminal does not hit it. It exits when its stdin closes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

from sandbox import protocol
from sandbox.cgroups import Cgroup, create_cgroup
from sandbox.errors import SandboxError
from sandbox.result import Result, Status
from sandbox.scratch import make_root, remove_tree

__all__ = ["Worker", "safety_deadline", "worker_env"]

_START_TIMEOUT_S = 120.0
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Appended, not prepended: an installed `sandbox` wins; the source tree is the fallback.
_BOOT = f"import sys; sys.path.append({_PACKAGE_ROOT!r}); from sandbox.host import main; main()"


def worker_env() -> dict[str, str]:
    """The zygote's whole environment: nothing is inherited but PATH."""
    threads = {
        k: "1"
        for k in (
            "OPENBLAS_NUM_THREADS",
            "OMP_NUM_THREADS",
            "MKL_NUM_THREADS",
            "NUMEXPR_NUM_THREADS",
            "VECLIB_MAXIMUM_THREADS",
        )
    }
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        **threads,
    }


def safety_deadline(timeout_s: float) -> float:
    """How long the controller waits for a reply before it gives up on the zygote: the
    candidate's deadline plus time to kill, reap and clean up."""
    return timeout_s + 2.0 + 0.5 * timeout_s


class Worker:
    """One zygote. Not thread-safe: the pool hands it to one caller at a time."""

    def __init__(
        self,
        preload: list[str],
        sys_path: list[str],
        without_layers: list[str] | None = None,
        memory_mb: int = 1024,
    ) -> None:
        self._init = {
            "op": "init",
            "preload": preload,
            "sys_path": sys_path,
            "without": without_layers or [],
        }
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._child_pid: int | None = None
        self._scratch_root: str | None = None  # the zygote makes one scratch dir per job in it
        self._closed = False
        self._memory_mb = memory_mb  # the candidates' budget; the cgroup adds headroom
        self.cgroup: Cgroup | None = None  # this zygote's own, where cgroups are writable
        self._no_cgroup = ""  # why the zygote has none
        self.missing_layers: dict[str, str] = {}  # layer name -> why the zygote lacks it
        self.synced: dict[str, int] = {}  # shared key -> version this zygote holds

    def start(self) -> None:
        """Launch the zygote without waiting for it (see `ensure_ready`)."""
        if self._closed:
            raise SandboxError("the sandbox is closed; create a new Sandbox")
        self.cgroup, self._no_cgroup = create_cgroup(self._memory_mb)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-s", "-P", "-B", "-c", _BOOT],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=worker_env(),
                cwd="/",
                start_new_session=True,
            )
        except OSError as exc:
            self._remove_cgroup()
            raise SandboxError(
                f"cannot start a sandbox worker with {sys.executable}: {exc}"
            ) from None
        self._enter_cgroup(self._proc.pid)
        self._ready, self.synced = False, {}
        self._scratch_root = make_root()
        with contextlib.suppress(OSError):  # a zygote that died at once: ensure_ready says so
            self._send({**self._init, "scratch_root": self._scratch_root})

    def ensure_ready(self) -> None:
        """Restart the zygote if it died, and wait for its hello."""
        if self._proc is None or self._proc.poll() is not None:
            self.kill()
            self.start()
        if self._ready:
            return
        try:
            meta, _ = protocol.recv(self._fd_out, time.monotonic() + _START_TIMEOUT_S)
        except (EOFError, TimeoutError) as exc:
            self.kill()
            raise SandboxError(
                f"a sandbox worker did not start ({exc}); see the errors "
                f"above, and check that {sys.executable} runs"
            ) from None
        if "fail" in meta:
            self.kill()
            raise SandboxError(meta["fail"])
        self.missing_layers = dict(meta.get("missing", {}))
        if self._no_cgroup:
            self.missing_layers["cgroups"] = self._no_cgroup
        self._ready = True

    def _enter_cgroup(self, pid: int) -> None:
        """Put the new zygote in its cgroup. It blocks reading its init message until
        `start` sends it, so this happens before it confines itself or forks anything."""
        if self.cgroup is None:
            return
        try:
            self.cgroup.add(pid)
        except OSError as exc:
            self._no_cgroup = f"cannot move the worker into {self.cgroup.dirs[0]}: {exc.strerror}"
            self._remove_cgroup()

    def _remove_cgroup(self) -> None:
        """Remove the zygote's cgroup (killing anything left in it), once it is dead."""
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None

    def request(self, meta: dict[str, Any], blob: bytes = b"") -> dict[str, Any]:
        """Send a control request (not a run) and return the reply; SandboxError if it fails."""
        try:
            self._send(meta, blob)
            reply, _ = self._recv(time.monotonic() + _START_TIMEOUT_S)
        except (OSError, EOFError, TimeoutError) as exc:
            self.kill()
            raise SandboxError(f"a sandbox worker failed during {meta.get('op')} ({exc})") from None
        if "fail" in reply:
            raise SandboxError(reply["fail"])
        return reply

    def run(self, message: bytes, timeout_s: float, memory_mb: int = 0) -> Result:
        """Run one framed job message; a dead or silent zygote is killed and restarted.
        `memory_mb`: the job's budget, if it may exceed the worker's (raises its cgroup's)."""
        if memory_mb > self._memory_mb:
            self._raise_memory(memory_mb)
        deadline = time.monotonic() + safety_deadline(timeout_s)
        try:
            protocol.write_all(self._fd_in, message)
            meta, blob = self._recv(deadline)
        except TimeoutError:  # before OSError, its base class
            return self._restart(
                Status.TIMEOUT,
                "the sandbox worker did not answer within "
                f"{safety_deadline(timeout_s):g} s; it was restarted",
            )
        except (OSError, EOFError) as exc:
            return self._restart(
                Status.CRASH,
                f"sandbox worker died during the run ({exc}); "
                "the program probably killed it. The worker was restarted",
            )
        self._child_pid = None
        if "fail" in meta:
            raise SandboxError(meta["fail"])
        return _to_result(meta, blob)

    def _raise_memory(self, memory_mb: int) -> None:
        self._memory_mb = memory_mb
        if self.cgroup is not None:
            with contextlib.suppress(OSError):
                self.cgroup.set_memory(memory_mb)

    def _recv(self, deadline: float) -> tuple[dict[str, Any], bytes]:
        """The next reply; on the way, note the pid of the child the zygote forked for
        the next run (announced when forked, usually ahead of the run)."""
        meta, blob = protocol.recv(self._fd_out, deadline)
        while "started" in meta:
            self._child_pid = int(meta["started"])
            meta, blob = protocol.recv(self._fd_out, deadline)
        return meta, blob

    def kill(self) -> None:
        """SIGKILL the zygote and the process group of the child it was running."""
        if self._child_pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._child_pid, signal.SIGKILL)
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGKILL)  # the host and its zygote
            self._proc.kill()
            self._close_pipes()
            self._proc.wait()
        self._remove_cgroup()
        if self._scratch_root is not None:
            remove_tree(self._scratch_root)
        self._proc, self._child_pid, self._ready = None, None, False
        self._scratch_root = None

    def shutdown(self) -> None:
        """Ask the zygote to exit (EOF on its stdin) and refuse to start it again."""
        self._closed = True
        if self._proc is not None and self._proc.stdin is not None:
            self._proc.stdin.close()

    def close(self, wait_s: float = 1.0) -> None:
        """`shutdown`, then wait for the zygote to exit; kill it if it does not."""
        self.shutdown()
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(wait_s)
        self.kill()

    def _restart(self, status: Status, error: str) -> Result:
        self.kill()
        self.start()
        return Result(status=status, error=error)

    def _send(self, meta: dict[str, Any], blob: bytes = b"") -> None:
        protocol.send(self._fd_in, meta, blob)

    def _close_pipes(self) -> None:
        assert self._proc is not None
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None:
                pipe.close()

    @property
    def _fd_in(self) -> int:
        if self._proc is None or self._proc.stdin is None:
            raise EOFError("the sandbox worker is not running")
        return self._proc.stdin.fileno()

    @property
    def _fd_out(self) -> int:
        if self._proc is None or self._proc.stdout is None:
            raise EOFError("the sandbox worker is not running")
        return self._proc.stdout.fileno()


def _to_result(meta: dict[str, Any], blob: bytes) -> Result:
    status, value, error = Status(meta["status"]), None, str(meta.get("error", ""))
    if status is Status.OK:
        try:
            value = json.loads(blob, parse_constant=_refuse_constant)
        except (ValueError, RecursionError, MemoryError) as exc:
            status, error = Status.BAD_RESULT, f"the result is not strict JSON ({exc})"
    return Result(
        status=status,
        value=value,
        stdout=meta.get("stdout", ""),
        stderr=meta.get("stderr", ""),
        error=error,
        wall_s=meta.get("wall_s", 0.0),
        cpu_s=meta.get("cpu_s", 0.0),
        max_rss_mb=meta.get("max_rss_mb", 0.0),
        extra=meta.get("extra", {}),
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")
