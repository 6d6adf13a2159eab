"""The call channel between the trusted harness host and one candidate child.

The harness runs in the host, a process that never executes candidate code; the child
holds only the candidate's module. For each call of the evolved function, the host
writes the arguments into a shared memory region, the child calls its function and
writes back the return values (both as `wire` encodings: plain data and raw numpy
buffers, never pickle). One region per child (a memfd created when the child is forked,
gone when it dies), so nothing a candidate writes there reaches another candidate.

Handshake: each side bumps its own sequence number after writing a message and waits
for the other's. Waiting spins briefly, then yields the CPU, then sleeps on a socketpair
that the poster writes a byte to when the waiter said it sleeps; the socket also tells
the host at once when the child dies (end of file). Everything the child writes is
hostile input for the host: lengths are checked, values are decoded by `wire.decode`.

Layout of the region: five u64 words (host seq, child seq, host sleeps, child sleeps,
message length), padding to 64 bytes, then the message: a kind byte and its rows.
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import select
import time
from typing import Any

from sandbox.rows import Shared, decode_rows, encode_rows
from sandbox.wire import WireError

__all__ = [
    "CALLS",
    "CALLS_KW",
    "CALL_BYTES",
    "CHILD",
    "END",
    "FAILED",
    "HOST",
    "RESULTS",
    "CallPort",
    "CandidateGone",
    "open_channel",
]

CALL_BYTES = 64 * 1024 * 1024  # the largest message; pages are only used when touched
HOST, CHILD = 0, 1
# message kinds: calls (rows of arguments), calls with keywords (rows of (args, kwargs)),
# end, results (rows of one value), failed (the child reports why on its result pipe)
CALLS, CALLS_KW, END, RESULTS, FAILED = b"C"[0], b"K"[0], b"E"[0], b"R"[0], b"X"[0]
_HEADER = 64
_LENGTH = 4
_SPINS = 50  # a few microseconds of polling first (longer starves a peer on this core)
_YIELD_S = 0.002  # then yield for this long before sleeping on the socket,
_BUSY_YIELD_S = 50e-6  # or less if a yield took this long (other work waits for the CPU)
_SLEEP_MS = 5  # a sleeper re-checks at least this often (a missed wake-up costs this)


class CandidateGone(Exception):
    """The child stopped answering: it failed (its report says why), died or timed out."""


def open_channel() -> tuple[tuple[int, int], tuple[int, int]]:
    """A new channel: ((host socket, memfd), (child socket, memfd)), all inheritable
    only where dup2'ed. The caller closes the ends it does not keep."""
    import socket

    host_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    memfd = os.memfd_create("evolve-calls", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.ftruncate(memfd, _HEADER + CALL_BYTES)
    # sealed: a child that shrank the region would crash the host with SIGBUS
    fcntl.fcntl(
        memfd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL
    )
    host_memfd = os.dup(memfd)
    return (host_sock.detach(), host_memfd), (child_sock.detach(), memfd)


class CallPort:
    """One end of a call channel. `side` is HOST or CHILD."""

    def __init__(self, sock: int, memfd: int, side: int) -> None:
        self._map = mmap.mmap(memfd, _HEADER + CALL_BYTES)
        os.close(memfd)
        self.sock = sock
        os.set_blocking(sock, False)
        view = memoryview(self._map)
        self._words = view[:_HEADER].cast("Q")
        self.data = view[_HEADER:]
        self._mine, self._peer = side, 1 - side
        self._posted = 0
        self._received = 0
        self._shared = Shared()  # read-only arguments sent once (host) / kept (child)
        self._side = side

    def send(self, kind: int, rows: list[tuple[Any, ...]] | None = None, limit: int = 0) -> None:
        """Post a message: a kind byte, then `rows` (see rows.py) if any. WireError if
        they cannot be encoded (TooLarge past `limit` bytes, if given)."""
        self.data[0] = kind
        end = 1
        if rows is not None:
            data = self.data[: limit + 1] if limit else self.data
            end = encode_rows(data, 1, rows, self._shared if self._side == HOST else None)
        self.post(end)

    def post(self, length: int) -> None:
        words = self._words
        words[_LENGTH] = length
        self._posted += 1
        words[self._mine] = self._posted
        if words[2 + self._peer]:  # the peer sleeps on the socket: wake it
            with contextlib.suppress(OSError):
                os.write(self.sock, b"!")

    def receive(
        self, deadline: float | None = None, count: int | None = None
    ) -> tuple[int, list[tuple[Any, ...]] | None]:
        """The peer's next message: (kind, rows or None), with `count` rows if given.
        Raises CandidateGone, or WireError for a malformed message."""
        length = self.wait(deadline)
        if not 1 <= length <= len(self.data):
            raise WireError(f"a message of {length} bytes")
        kind = self.data[0]
        if length == 1:
            return kind, None
        shared = self._shared if self._side == CHILD else None
        rows, end = decode_rows(self.data, 1, length, shared, count)
        if end != length:
            raise WireError("the message has bytes after its rows")
        return kind, rows

    def wait(self, deadline: float | None) -> int:
        """Wait until the peer posts its next message; its length."""
        words, peer = self._words, self._peer
        expected = self._received = self._received + 1
        for _ in range(_SPINS):
            if words[peer] == expected:
                return int(words[_LENGTH])
        now = time.monotonic()
        yield_until = now + _YIELD_S
        while now < yield_until:
            os.sched_yield()
            if words[peer] == expected:
                return int(words[_LENGTH])
            before, now = now, time.monotonic()
            if now - before > _BUSY_YIELD_S:  # others wait for this CPU: stop taking it
                break
        return self._sleep(expected, deadline)

    def _sleep(self, expected: int, deadline: float | None) -> int:
        words, peer = self._words, self._peer
        poller = select.poll()
        poller.register(self.sock, select.POLLIN)
        words[2 + self._mine] = 1
        try:
            while words[peer] != expected:
                timeout_ms = _SLEEP_MS
                if deadline is not None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise CandidateGone("no answer before the deadline")
                    timeout_ms = min(timeout_ms, int(remaining * 1000) + 1)
                if poller.poll(timeout_ms) and not self._drain():
                    raise CandidateGone("the other side closed the channel")
            return int(words[_LENGTH])
        finally:
            words[2 + self._mine] = 0

    def _drain(self) -> bool:
        """Read the wake-up bytes; False at end of file (the peer is gone)."""
        try:
            return bool(os.read(self.sock, 4096))
        except BlockingIOError:
            return True
        except OSError:
            return False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.sock)
        self._words.release()
        self.data.release()
        with contextlib.suppress(BufferError):
            self._map.close()
