"""The zygote: a lean worker process that preloads modules, then forks one child per job.

Started by the controller (see worker.py) with a scrubbed environment. It takes its
stdin/stdout over as the private control channel and points fds 0 and 1 at /dev/null
and stderr, so neither a preloaded module nor a candidate can write into the channel.

    controller -> zygote           zygote -> controller
    init {preload, sys_path, ...}  {"ready": pid} | {"fail": text}
    share {key, prepare} + blob    {"ok": true} | {"fail": text}
    run  (Job.to_message())        result meta + value blob
                                   and, at any time, {"started": pid of the next child}
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import json
import os
import select
import sys
import traceback
from collections.abc import Callable
from typing import Any

from sandbox import protocol
from sandbox.child import format_error
from sandbox.layers import ChildLayers, confine_zygote
from sandbox.result import Job
from sandbox.supervise import Supervisor

__all__ = ["Zygote", "main"]

_PR_SET_CHILD_SUBREAPER = 36
_IDLE_AFTER_MS = 20  # no request for this long: clean up after the last run


class ZygoteError(Exception):
    """A request the zygote cannot serve (bad harness, missing shared key...)."""


class Zygote:
    """State of one zygote: imported harness functions and shared instances."""

    def __init__(self, channel_out: int, scratch_root: str, layers: ChildLayers) -> None:
        self._out = channel_out
        self._functions: dict[str, Callable[..., Any]] = {}
        self._shared: dict[str, dict[str, Any]] = {}
        self._generation = 0  # bumped whenever the state children inherit changes
        # the controller owns scratch_root
        self._supervisor = Supervisor(scratch_root, layers, self._resolve)

    def init(self, preload: list[str], sys_path: list[str]) -> None:
        sys.path[:0] = sys_path
        for stream in (sys.stdout, sys.stderr):  # the children inherit these streams
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        for name in preload:
            try:
                importlib.import_module(name)
            except Exception as exc:
                raise ZygoteError(
                    f"the sandbox worker cannot import preload module {name!r}"
                    f" ({format_error(exc)}); install it or leave it out of "
                    "`preload`"
                ) from None
        _become_subreaper()
        gc.freeze()  # keep preloaded objects' pages shared with every forked child

    def handle(self, meta: dict[str, Any], blob: bytes) -> tuple[dict[str, Any], bytes]:
        if meta.get("op") == "run":
            return self._run(Job.from_message(meta))
        if meta.get("op") == "share":
            self._share(meta["key"], json.loads(blob), meta.get("prepare"))
            return {"ok": True}, b""
        raise ZygoteError(f"unknown request {meta.get('op')!r}")

    def _run(self, job: Job) -> tuple[dict[str, Any], bytes]:
        if job.harness:
            self._function(job.harness, "harness")  # imported here, before the fork
        if job.shared is not None and job.shared not in self._shared:
            raise ZygoteError(f"no shared instances under {job.shared!r}")
        return self._supervisor.run(job, self._generation, self._started)

    def _resolve(self, job: Job) -> tuple[Callable[..., Any] | None, dict[str, Any] | None]:
        """The job's harness and instances, as `_run` made sure they exist (in a child)."""
        harness = self._functions[job.harness] if job.harness else None
        return harness, self._shared[job.shared] if job.shared is not None else None

    def after_reply(self) -> None:
        """Off the critical path: fork the next child, clean up after the last one. If
        the fork fails (out of processes...), the next run tries again and reports it."""
        with contextlib.suppress(OSError):
            self._supervisor.prepare_and_announce(self._generation, self._started)

    def idle(self) -> None:
        """Called when no request is waiting: finish the previous run's cleanup."""
        if self._supervisor.has_leftovers:
            self._supervisor.settle()

    def _started(self, pid: int) -> None:
        """Tell the controller the pid of the next child, so it can kill its group."""
        protocol.send(self._out, {"started": pid})

    def _share(self, key: str, instances: dict[str, Any], prepare: str | None) -> None:
        if prepare:
            function = self._function(prepare, "prepare")
            for name, instance in instances.items():
                try:
                    instances[name] = function(instance)
                except Exception as exc:
                    raise ZygoteError(
                        f"{prepare} failed on instance {name!r}: {format_error(exc)}"
                    ) from None
        self._shared[key] = instances
        self._generation += 1
        gc.freeze()

    def _function(self, ref: str, role: str) -> Callable[..., Any]:
        """Import "module:function" once; later jobs and all children share it."""
        if ref not in self._functions:
            module_name, _, name = ref.partition(":")
            try:
                function = getattr(importlib.import_module(module_name), name)
            except Exception as exc:
                raise ZygoteError(
                    f"the sandbox worker cannot import {role} {ref!r} "
                    f"({format_error(exc)}); give it as 'module:function' "
                    "and put its folder in Sandbox(sys_path=...)"
                ) from None
            self._functions[ref] = function
            self._generation += 1
        return self._functions[ref]


def _become_subreaper() -> None:
    """Adopt orphaned grandchildren, so they are reaped here and not left as zombies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _take_channel() -> tuple[int, int]:
    channel_in, channel_out = os.dup(0), os.dup(1)  # dup'ed fds are not inheritable
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(2, 1)
    os.close(null)
    return channel_in, channel_out


def main() -> None:
    channel_in, channel_out = _take_channel()
    meta, _ = protocol.recv(channel_in)
    layers, missing = confine_zygote(meta["scratch_root"], meta.get("without", ()))
    zygote = Zygote(channel_out, meta["scratch_root"], layers)
    try:
        zygote.init(meta["preload"], meta["sys_path"])
    except ZygoteError as exc:
        protocol.send(channel_out, {"fail": str(exc)})
        return
    protocol.send(channel_out, {"ready": os.getpid(), "missing": missing})
    zygote.after_reply()
    _serve_forever(zygote, channel_in, channel_out)


def _serve_forever(zygote: Zygote, channel_in: int, channel_out: int) -> None:
    poller = select.poll()
    poller.register(channel_in, select.POLLIN)
    while True:
        if not poller.poll(_IDLE_AFTER_MS):
            zygote.idle()
        try:
            meta, blob = protocol.recv(channel_in)
        except EOFError:
            return
        protocol.send(channel_out, *_serve(zygote, meta, blob))
        zygote.after_reply()


def _serve(zygote: Zygote, meta: dict[str, Any], blob: bytes) -> tuple[dict[str, Any], bytes]:
    try:
        return zygote.handle(meta, blob)
    except ZygoteError as exc:
        return {"fail": str(exc)}, b""
    except Exception:
        return {"fail": f"internal sandbox error:\n{traceback.format_exc(limit=-6)}"}, b""


if __name__ == "__main__":
    main()
