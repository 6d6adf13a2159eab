"""The zygote: a lean process, forked by the harness host (host.py) before the host holds
anything of a problem, that forks one confined child per candidate.

It holds the preloaded modules and this package, nothing else: no harness, no instances,
so a child forked from it has nothing to find in its own memory. It talks only to the
host, over two pipes (the framed protocol) and a datagram socket that carries the host's
end of each child's call channel (SCM_RIGHTS):

    host -> zygote                 zygote -> host
    run {source, entry, limits}    {"running": pid} once the child has its job,
                                   then the verdict {status, error, stdout, ...}
                                   and, at any time, {"started": pid} (its call
                                   channel sent on the socket just before)
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import socket
import struct
import traceback
from typing import Any

from sandbox import protocol
from sandbox.layers import ChildLayers
from sandbox.result import Job
from sandbox.supervise import Child, Supervisor

__all__ = ["ZygoteLink", "start_zygote"]

_PR_SET_CHILD_SUBREAPER = 36
_IDLE_AFTER_MS = 20  # no request for this long: clean up after the last run
_PID = struct.Struct("<q")


class ZygoteLink:
    """The host's ends of the channels to its zygote."""

    def __init__(self, pid: int, to_zygote: int, from_zygote: int, fds: socket.socket) -> None:
        self.pid, self.to_zygote, self.from_zygote, self.fds = pid, to_zygote, from_zygote, fds

    def receive_channel(self, pid: int) -> tuple[int, int]:
        """The host's end (socket, memfd) of child `pid`'s call channel; older ones that
        were never used are closed on the way."""
        while True:
            data, fds, _, _ = socket.recv_fds(self.fds, _PID.size, 2)
            announced = _PID.unpack(data)[0] if len(data) == _PID.size else -1
            if announced == pid and len(fds) == 2:
                return fds[0], fds[1]
            for fd in fds:
                os.close(fd)


def start_zygote(layers: ChildLayers, scratch_root: str, close: tuple[int, ...] = ()) -> ZygoteLink:
    """Fork the zygote from the calling (lean) host; it serves until its input closes.
    `close`: the host's own fds that the zygote must not hold (its control channel)."""
    host_in, zygote_out = os.pipe()
    zygote_in, host_out = os.pipe()
    host_fds, zygote_fds = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            for fd in (host_in, host_out, *close):
                os.close(fd)
            host_fds.close()
            _serve(zygote_in, zygote_out, zygote_fds, layers, scratch_root)
        except BaseException:
            traceback.print_exc()
            code = 70
        finally:
            os._exit(code)
    for fd in (zygote_in, zygote_out):
        os.close(fd)
    zygote_fds.close()
    return ZygoteLink(pid, host_out, host_in, host_fds)


def _serve(
    channel_in: int, channel_out: int, fds: socket.socket, layers: ChildLayers, root: str
) -> None:
    _become_subreaper()

    def started(child: Child) -> None:
        try:
            socket.send_fds(fds, [_PID.pack(child.pid)], list(child.calls))
        finally:
            for fd in child.calls:
                os.close(fd)
        protocol.send(channel_out, {"started": child.pid})

    def running(pid: int) -> None:
        protocol.send(channel_out, {"running": pid})

    supervisor = Supervisor(root, layers, started, running)
    with contextlib.suppress(OSError):
        supervisor.prepare_and_clean()
    poller = select.poll()
    poller.register(channel_in, select.POLLIN)
    while True:
        if not poller.poll(_IDLE_AFTER_MS) and supervisor.has_leftovers:
            supervisor.settle()
        try:
            meta, _ = protocol.recv(channel_in)
        except EOFError:
            return
        protocol.send(channel_out, *_run(supervisor, meta))
        with contextlib.suppress(OSError):  # if the fork fails, the next run says so
            supervisor.prepare_and_clean()


def _run(supervisor: Supervisor, meta: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    try:
        return supervisor.run(Job.from_message(meta))
    except Exception:
        return {"fail": f"internal sandbox error:\n{traceback.format_exc(limit=-6)}"}, b""


def _become_subreaper() -> None:
    """Adopt orphaned grandchildren, so they are reaped here and not left as zombies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
