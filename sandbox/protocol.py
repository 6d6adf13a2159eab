"""Framing of the controller <-> zygote channel (the zygote's stdin and stdout).

A message is a header of two big-endian u32 lengths, a JSON object (`meta`), then an
optional raw `blob` (shared instances going in, a result's JSON value coming out), so a
large payload is never escaped twice. Never pickle: a message can only carry data.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

__all__ = ["MAX_FRAME", "encode", "recv", "send"]

HEADER = struct.Struct(">II")
MAX_FRAME = 1 << 30  # refuse anything larger: a garbled header must not allocate gigabytes
_CHUNK = 1 << 20


def encode(meta: dict[str, Any], blob: bytes = b"") -> bytes:
    """One framed message; raises TypeError/ValueError if `meta` is not strict JSON."""
    data = json.dumps(meta, separators=(",", ":"), allow_nan=False).encode()
    return HEADER.pack(len(data), len(blob)) + data + blob


def send(fd: int, meta: dict[str, Any], blob: bytes = b"") -> None:
    write_all(fd, encode(meta, blob))


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def recv(fd: int, deadline: float | None = None) -> tuple[dict[str, Any], bytes]:
    """Read one message. Raises EOFError if the channel closed, TimeoutError at `deadline`
    (a time.monotonic() value; None waits forever)."""
    n_meta, n_blob = HEADER.unpack(_read_exact(fd, HEADER.size, deadline))
    if n_meta > MAX_FRAME or n_blob > MAX_FRAME:
        raise EOFError(f"garbled message header ({n_meta}, {n_blob} bytes)")
    meta = json.loads(_read_exact(fd, n_meta, deadline))
    if not isinstance(meta, dict):
        raise EOFError("garbled message: not a JSON object")
    return meta, _read_exact(fd, n_blob, deadline) if n_blob else b""


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        if deadline is not None:
            _wait_readable(fd, deadline)
        chunk = os.read(fd, min(size - len(buf), _CHUNK))
        if not chunk:
            raise EOFError("the other end closed the channel")
        buf += chunk
    return bytes(buf)


def _wait_readable(fd: int, deadline: float) -> None:
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no answer before the deadline")
        if poller.poll(remaining * 1000 + 1):
            return
