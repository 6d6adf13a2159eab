"""`Sandbox`: a pool of workers that runs candidate programs, one per worker at a time,
from any number of threads; and `execute`, a one-shot convenience."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox import protocol
from sandbox.errors import SandboxError
from sandbox.result import Job, Limits, Result
from sandbox.scratch import sweep_stale_roots
from sandbox.worker import Worker

__all__ = ["Sandbox", "execute"]

_DEFAULT_LIMITS = Limits()  # frozen: one shared default is safe


@dataclass(frozen=True)
class _Shared:
    version: int
    prepare: str | None
    blob: bytes  # the instances' JSON, encoded once and sent to every worker


class Sandbox:
    """Runs untrusted candidate programs in forked children of warm workers.

    `workers` workers (default: one per core) start in parallel in the constructor. Each
    is a trusted harness host, which imports harnesses and holds shared instances, and a
    lean zygote it forked before that, which imports only `preload` and forks a fresh,
    confined child per run, so one candidate never sees another's changes nor anything
    of the problem but its function's arguments. A worker the candidate kills is
    restarted transparently. Thread-safe; use as a context manager or `close()`.
    `without_layers` ("namespaces", "landlock", "landlock reads", "seccomp") weakens
    isolation to test the fallbacks: never use it for real candidates.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        limits: Limits = _DEFAULT_LIMITS,
        preload: Sequence[str] = ("numpy",),
        sys_path: Sequence[str] = (),
        without_layers: Sequence[str] = (),
    ) -> None:
        count = workers if workers is not None else os.cpu_count() or 1
        if count < 1:
            raise SandboxError(f"workers must be at least 1, not {count}")
        self.limits = limits
        sweep_stale_roots()  # what a killed run left in /tmp
        paths = [os.path.abspath(p) for p in sys_path]
        self._workers = [
            Worker(list(preload), paths, list(without_layers), limits.memory_mb)
            for _ in range(count)
        ]
        self._idle: queue.SimpleQueue[Worker] = queue.SimpleQueue()
        self._shared: dict[str, _Shared] = {}
        self._versions = itertools.count(1)
        self._lock = threading.Lock()
        self._closed = False
        try:
            for worker in self._workers:
                worker.start()
            for worker in self._workers:
                worker.ensure_ready()
                self._idle.put(worker)
        except BaseException:
            self.close()
            raise

    def share(self, key: str, instances: Mapping[str, Any], prepare: str | None = None) -> None:
        """Store `instances` ({name: JSON value}) in every worker under `key`; `prepare`
        ("module:function", imported in the worker) is applied once to each value there.
        One worker is updated now (so a failing `prepare` raises here), the others lazily."""
        try:
            blob = json.dumps(dict(instances), allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise SandboxError(f"shared instances under {key!r} must be JSON data: {exc}") from None
        entry = _Shared(next(self._versions), prepare, blob)
        with self._lock:
            self._shared[key] = entry
        try:
            with self._checkout():
                pass  # checking a worker out syncs it
        except SandboxError:
            with self._lock:
                if self._shared.get(key) is entry:
                    del self._shared[key]
            raise

    def run(
        self,
        source: str,
        entry: str,
        args: Sequence[Any] = (),
        *,
        harness: str | None = None,
        shared: str | None = None,
        limits: Limits | None = None,
    ) -> Result:
        """Run `entry` of program `source` in a fresh child and return what happened.

        harness None: the value is entry(*args). harness "module:function": the value is
        harness(entry, *args), or with `shared`, {name: harness(entry, instance)} over the
        shared instances, run in lockstep; the harness runs in the worker's trusted host
        and `entry` stands for the candidate's function there. Candidate failures are
        Results; SandboxError means the sandbox itself (a harness, a worker) is broken."""
        if shared is not None and shared not in self._shared:
            raise SandboxError(f"no shared instances under {shared!r}; call share() first")
        if shared is not None and harness is None:
            raise SandboxError("shared instances need a harness to pass them to the program")
        job = Job(source, entry, tuple(args), harness, shared, limits or self.limits)
        try:
            message = protocol.encode(job.to_message())
        except (TypeError, ValueError) as exc:
            raise SandboxError(f"args must be JSON data: {exc}") from None
        with self._checkout() as worker:
            return worker.run(message, job.limits.timeout_s, job.limits.memory_mb)

    async def arun(
        self,
        source: str,
        entry: str,
        args: Sequence[Any] = (),
        *,
        harness: str | None = None,
        shared: str | None = None,
        limits: Limits | None = None,
    ) -> Result:
        """`run` in a thread, for the asyncio engine."""
        import asyncio

        return await asyncio.to_thread(
            self.run, source, entry, args, harness=harness, shared=shared, limits=limits
        )

    def close(self) -> None:
        """Stop every worker (a run in flight ends with SandboxError)."""
        self._closed = True
        for worker in self._workers:
            worker.shutdown()
        for worker in self._workers:
            worker.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _checkout(self) -> Iterator[Worker]:
        """An idle worker, ready and holding every shared key; back in the queue after."""
        if self._closed:
            raise SandboxError("the sandbox is closed; create a new Sandbox")
        worker = self._idle.get()
        try:
            worker.ensure_ready()
            self._sync(worker)
            yield worker
        finally:
            self._idle.put(worker)

    def _sync(self, worker: Worker) -> None:
        with self._lock:
            pending = [(k, s) for k, s in self._shared.items() if worker.synced.get(k) != s.version]
        for key, entry in pending:
            worker.request({"op": "share", "key": key, "prepare": entry.prepare}, entry.blob)
            worker.synced[key] = entry.version


def execute(
    source: str,
    entry: str,
    args: Sequence[Any] = (),
    *,
    timeout_s: float = 10.0,
    memory_mb: int = 1024,
) -> Result:
    """Run one program once in a throwaway one-worker sandbox (no preloaded modules)."""
    limits = Limits(timeout_s=timeout_s, memory_mb=memory_mb)
    with Sandbox(1, limits=limits, preload=()) as sandbox:
        return sandbox.run(source, entry, args)
