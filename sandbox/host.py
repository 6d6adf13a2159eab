"""The harness host: the trusted process of a worker, which holds the problem's harness
and instances and never executes candidate code.

Started by the controller (see worker.py) with a scrubbed environment. It takes its
stdin/stdout over as the control channel, enters the worker's namespaces, imports the
preload modules, and forks the zygote (zygote.py) while it is still lean: the zygote,
and every candidate child it forks, never has the harness or the instances in memory.
Only then does the host import harnesses and take instances. For a run, the zygote hands
the job to a child, and the host runs the harness loops here, sending each call of the
evolved function to the child over its call channel (lockstep.py, calls.py).

    controller -> host             host -> controller
    init {preload, sys_path, ...}  {"ready": pid} | {"fail": text}
    share {key, prepare} + blob    {"ok": true} | {"fail": text}
    run  (Job.to_message())        result meta + value blob
                                   and, at any time, {"started": pid of the next child}
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import select
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from sandbox import protocol
from sandbox.calls import HOST, CallPort, CandidateGone
from sandbox.child import format_error
from sandbox.encode import BadResult, to_json_bytes
from sandbox.layers import confine_zygote
from sandbox.lockstep import BadReply, HarnessFailed, end_child, run_harness
from sandbox.result import Job, Limits
from sandbox.zygote import ZygoteLink, start_zygote

__all__ = ["Host", "main"]

_GRACE_S = 1.0  # a backstop past the child's deadline (the zygote kills it at the deadline)


class HostError(Exception):
    """A request the host cannot serve (bad harness, missing shared key...)."""


class Host:
    """State of one host: its zygote, imported harness functions, shared instances."""

    def __init__(self, channel_out: int, zygote: ZygoteLink) -> None:
        self._out = channel_out
        self._zygote = zygote
        self._functions: dict[str, Callable[..., Any]] = {}
        self._shared: dict[str, dict[str, Any]] = {}
        self._next: tuple[int, CallPort] | None = None  # the next child and its channel

    def handle(self, meta: dict[str, Any], blob: bytes) -> tuple[dict[str, Any], bytes]:
        if meta.get("op") == "run":
            return self._run(Job.from_message(meta))
        if meta.get("op") == "share":
            self._share(meta["key"], json.loads(blob), meta.get("prepare"))
            return {"ok": True}, b""
        raise HostError(f"unknown request {meta.get('op')!r}")

    def _run(self, job: Job) -> tuple[dict[str, Any], bytes]:
        harness = self._function(job.harness, "harness") if job.harness else None
        if job.shared is not None and job.shared not in self._shared:
            raise HostError(f"no shared instances under {job.shared!r}")
        instances = self._shared[job.shared] if job.shared is not None else None
        child_job = Job(job.source, job.entry, limits=job.limits)
        protocol.send(self._zygote.to_zygote, child_job.to_message())
        while self._next is None:  # no child announced yet: the zygote forks one now
            self._take(self._message())
        pid, port = self._next
        self._next = None
        deadline = time.monotonic() + job.limits.timeout_s + _GRACE_S
        try:
            value, failure = _harness_value(port, job, harness, instances, deadline)
        finally:
            port.close()
        verdict = self._verdict(pid)
        return _combine(verdict, value, failure, job.limits)

    def _verdict(self, pid: int) -> dict[str, Any]:
        """The zygote's verdict on child `pid`, taking announcements on the way."""
        while True:
            meta = self._message()
            if "running" in meta and meta["running"] != pid:
                raise HostError(f"the zygote ran child {meta['running']}, not {pid}")
            if "status" in meta:
                return meta
            self._take(meta)

    def _message(self) -> dict[str, Any]:
        meta, _ = protocol.recv(self._zygote.from_zygote)
        if "fail" in meta:
            raise HostError(meta["fail"])
        return meta

    def _take(self, meta: dict[str, Any]) -> None:
        """A new child was announced: prepare its call channel now, off the critical path
        of its run, and tell the controller (which kills its group if the host hangs)."""
        if "started" not in meta:
            return
        if self._next is not None:
            self._next[1].close()
        pid = meta["started"]
        self._next = (pid, CallPort(*self._zygote.receive_channel(pid), HOST))
        protocol.send(self._out, meta)

    def take_announcement(self) -> None:
        """Take an announcement the zygote made while the host was idle."""
        self._take(self._message())

    @property
    def zygote_fd(self) -> int:
        return self._zygote.from_zygote

    def _share(self, key: str, instances: dict[str, Any], prepare: str | None) -> None:
        if prepare:
            function = self._function(prepare, "prepare")
            for name, instance in instances.items():
                try:
                    instances[name] = function(instance)
                except Exception as exc:
                    raise HostError(
                        f"{prepare} failed on instance {name!r}: {format_error(exc)}"
                    ) from None
        self._shared[key] = instances

    def _function(self, ref: str, role: str) -> Callable[..., Any]:
        """Import "module:function" once (here, in the host only)."""
        if ref not in self._functions:
            module_name, _, name = ref.partition(":")
            try:
                function = getattr(importlib.import_module(module_name), name)
            except Exception as exc:
                raise HostError(
                    f"the sandbox worker cannot import {role} {ref!r} "
                    f"({format_error(exc)}); give it as 'module:function' "
                    "and put its folder in Sandbox(sys_path=...)"
                ) from None
            self._functions[ref] = function
        return self._functions[ref]


def _harness_value(
    port: CallPort,
    job: Job,
    harness: Callable[..., Any] | None,
    instances: dict[str, Any] | None,
    deadline: float,
) -> tuple[bytes, tuple[str, str] | None]:
    """(the value's JSON, None), or (b"", (status, error)) when the host ended the run;
    a child that failed or died is left to its verdict ((b"", None))."""
    failure: tuple[str, str] | None = None
    body = b""
    try:
        body = to_json_bytes(run_harness(port, job.entry, harness, instances, job.args, deadline))
    except CandidateGone:
        return b"", None  # the child failed or died: its verdict says why
    except (BadReply, BadResult) as exc:
        failure = ("bad_result", str(exc))
    except HarnessFailed as exc:
        failure = ("error", f"{exc}\n(raised by the harness, about what the program returned)")
    with contextlib.suppress(OSError):
        end_child(port)
    return body, failure


def _combine(
    verdict: dict[str, Any], body: bytes, failure: tuple[str, str] | None, limits: Limits
) -> tuple[dict[str, Any], bytes]:
    """The reply to the controller: the zygote's verdict on the child, with the value."""
    meta = dict(verdict)
    if meta.get("status") != "ok":
        return meta, b""
    if failure is not None:
        meta["status"], meta["error"] = failure
        return meta, b""
    if not body:
        meta["status"], meta["error"] = "crash", "the program's process stopped answering"
        return meta, b""
    if len(body) > limits.result_bytes:
        meta["status"] = "output_limit"
        meta["error"] = (
            f"the result is {len(body)} bytes of JSON, over the limit of "
            f"{limits.result_bytes} bytes"
        )
        return meta, b""
    return meta, body


def _take_channel() -> tuple[int, int]:
    channel_in, channel_out = os.dup(0), os.dup(1)  # dup'ed fds are not inheritable
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(2, 1)
    os.close(null)
    return channel_in, channel_out


def _preload(preload: list[str]) -> None:
    for stream in (sys.stdout, sys.stderr):  # the children inherit these streams
        stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception as exc:
            raise HostError(
                f"the sandbox worker cannot import preload module {name!r}"
                f" ({format_error(exc)}); install it or leave it out of `preload`"
            ) from None


def main() -> None:
    channel_in, channel_out = _take_channel()
    meta, _ = protocol.recv(channel_in)
    layers, missing = confine_zygote(
        meta["scratch_root"], meta.get("without", ()), readable_packages=meta["preload"]
    )
    try:
        _preload(meta["preload"])
    except HostError as exc:
        protocol.send(channel_out, {"fail": str(exc)})
        return
    gc.freeze()  # keep preloaded objects' pages shared with the zygote's children
    zygote = start_zygote(layers, meta["scratch_root"], close=(channel_in, channel_out))
    sys.path[:0] = meta["sys_path"]  # the problem's folders: the host's business only
    host = Host(channel_out, zygote)
    protocol.send(channel_out, {"ready": os.getpid(), "missing": missing})
    _serve_forever(host, channel_in, channel_out)


def _serve_forever(host: Host, channel_in: int, channel_out: int) -> None:
    """Serve the controller's requests; between them, forward the zygote's announcements.
    If the zygote is gone, exit: the controller restarts the whole worker."""
    poller = select.poll()
    poller.register(channel_in, select.POLLIN)
    poller.register(host.zygote_fd, select.POLLIN)
    while True:
        ready = {fd for fd, _ in poller.poll()}
        try:
            if host.zygote_fd in ready:
                host.take_announcement()
                continue
            meta, blob = protocol.recv(channel_in)
        except EOFError:
            return
        protocol.send(channel_out, *_serve(host, meta, blob))


def _serve(host: Host, meta: dict[str, Any], blob: bytes) -> tuple[dict[str, Any], bytes]:
    try:
        return host.handle(meta, blob)
    except (EOFError, BrokenPipeError):  # the zygote died: let the controller restart us
        os._exit(1)
    except HostError as exc:
        return {"fail": str(exc)}, b""
    except Exception:
        return {"fail": f"internal sandbox error:\n{traceback.format_exc(limit=-6)}"}, b""


if __name__ == "__main__":
    main()
