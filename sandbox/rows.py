"""Batches of calls (or of return values) on the call channel, fast when they look alike.

A batch is a list of rows, each a tuple of values: the positional arguments of one call,
or one return value. When every row has the same length and each column holds values of
one simple kind (numpy arrays of one dtype and rank, numpy scalars of one dtype, Python
ints, Python floats), the batch goes column by column, each column one raw buffer: a
lockstep step of bin packing (an item and an array of bins per instance) costs a few
numpy calls instead of a walk over every value. Anything else goes through the general
`wire` encoding.

Read-only arrays that the host passes again and again (a TSP instance's distance
matrix) are sent once per child: with a `Shared` memo, the first batch defines them and
later ones refer to them by number; the child keeps its read-only copy.

Decoding checks every length, like `wire.decode`, and copies each column out of the
buffer at once (the arrays of a column are views of that copy: nothing aliases the
channel; a function that receives them all may see them all anyway).
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Sequence
from typing import Any

from sandbox.wire import (
    WireError,
    decode,
    dtype_code,
    dtype_of,
    encode_into,
    ensure_room,
    put_bytes,
)

__all__ = ["Shared", "decode_rows", "encode_rows"]

_GENERAL, _COLUMNS = 0x67, 0x63  # "g", "c"
_ARRAYS, _SCALARS, _INTS, _FLOATS, _SHARED = 0x41, 0x53, 0x69, 0x66, 0x4D  # A S i f M
_HEAD = struct.Struct("<BIB")  # layout, rows, columns
_COUNT = struct.Struct("<I")
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1
_MAX_SHARED = 4096  # arrays a child keeps


class Shared:
    """Read-only arrays one side has sent (host) or received (child) on a channel."""

    def __init__(self) -> None:
        self.sent: dict[int, tuple[int, Any]] = {}  # id -> (number, the array, kept alive)
        self.received: list[Any] = []


def encode_rows(
    buf: memoryview, offset: int, rows: Sequence[tuple[Any, ...]], shared: Shared | None = None
) -> int:
    """Write the rows at `offset`; the offset after them. WireError as `encode_into`."""
    columns = _columns(rows, shared)
    if columns is None:
        buf[offset] = _GENERAL
        return encode_into(buf, offset + 1, list(rows))
    ensure_room(buf, offset + _HEAD.size)
    _HEAD.pack_into(buf, offset, _COLUMNS, len(rows), len(columns))
    offset += _HEAD.size
    numpy = sys.modules["numpy"]
    for kind, values in columns:
        offset = _encode_column(buf, offset, kind, values, numpy, shared)
    return offset


def _columns(
    rows: Sequence[tuple[Any, ...]], shared: Shared | None
) -> list[tuple[int, tuple[Any, ...]]] | None:
    """[(kind, values)] per column when every column is of one simple kind, else None."""
    numpy = sys.modules.get("numpy")
    if not rows or numpy is None or not rows[0]:
        return None
    width = len(rows[0])
    for row in rows:
        if len(row) != width:
            return None
    out = []
    for values in zip(*rows, strict=True):
        kind = _kind(values, numpy, shared)
        if kind is None:
            return None
        out.append((kind, values))
    return out


def _kind(values: tuple[Any, ...], numpy: Any, shared: Shared | None) -> int | None:
    first = type(values[0])
    for value in values:
        if type(value) is not first:
            return None
    if first is numpy.ndarray:
        dtype, ndim = values[0].dtype, values[0].ndim
        if dtype.kind not in "biuf" or ndim > 32:
            return None
        for value in values:
            if value.ndim != ndim or value.dtype != dtype:
                return None
        if (
            shared is not None
            and len(shared.sent) + len(values) <= _MAX_SHARED
            and not any(value.flags.writeable for value in values)
        ):
            return _SHARED
        return _ARRAYS
    if issubclass(first, numpy.generic):
        return _SCALARS if values[0].dtype.kind in "biuf" else None
    if first is int:
        return _INTS if all(_I64_MIN <= v <= _I64_MAX for v in values) else None
    return _FLOATS if first is float else None


def _encode_column(
    buf: memoryview,
    offset: int,
    kind: int,
    values: tuple[Any, ...],
    numpy: Any,
    shared: Shared | None,
) -> int:
    buf[offset] = kind
    offset += 1
    if kind == _SHARED:
        assert shared is not None
        return _encode_shared(buf, offset, values, numpy, shared)
    if kind in (_INTS, _FLOATS):
        data = numpy.array(values, dtype=numpy.int64 if kind == _INTS else numpy.float64)
        return put_bytes(buf, offset, data.view(numpy.uint8))
    offset = put_bytes(buf, offset, dtype_code(values[0].dtype))
    if kind == _SCALARS:
        return put_bytes(buf, offset, numpy.array(values).view(numpy.uint8))
    ndim = values[0].ndim
    buf[offset] = ndim
    shapes = numpy.array([value.shape for value in values], dtype=numpy.int64)
    offset = put_bytes(buf, offset + 1, shapes.reshape(-1).view(numpy.uint8))
    return _concatenate_into(buf, offset, values, numpy)


def _encode_shared(
    buf: memoryview, offset: int, values: tuple[Any, ...], numpy: Any, shared: Shared
) -> int:
    """New arrays first ((number, one-array column) each), then every row's number."""
    new = [v for v in {id(v): v for v in values}.values() if id(v) not in shared.sent]
    _COUNT.pack_into(buf, offset, len(new))
    offset += _COUNT.size
    for value in new:
        number = len(shared.sent)
        shared.sent[id(value)] = (number, value)
        _COUNT.pack_into(buf, offset, number)
        offset = _encode_column(buf, offset + _COUNT.size, _ARRAYS, (value,), numpy, None)
    numbers = numpy.array([shared.sent[id(v)][0] for v in values], dtype=numpy.uint32)
    return put_bytes(buf, offset, numbers.view(numpy.uint8))


def _concatenate_into(buf: memoryview, offset: int, arrays: tuple[Any, ...], numpy: Any) -> int:
    """The arrays' data one after the other at `offset`, copied once."""
    dtype = arrays[0].dtype
    end = offset + sum(array.nbytes for array in arrays)
    ensure_room(buf, end)
    flat = [array.reshape(-1) for array in arrays] if arrays[0].ndim != 1 else arrays
    numpy.concatenate(flat, out=numpy.frombuffer(buf[offset:end], dtype))
    return end


def decode_rows(
    buf: memoryview, offset: int, end: int, shared: Shared | None = None, count: int | None = None
) -> tuple[list[tuple[Any, ...]], int]:
    """The rows encoded at `offset` (nothing read at or past `end`), and the offset after.
    `shared`: the arrays the sender defined earlier (None: refuse references to any).
    `count`: how many rows there must be, checked before anything is decoded."""
    if offset >= end:
        raise WireError("the message ends before its rows")
    if count is not None and _row_count(buf, offset, end) != count:
        raise WireError(f"expected {count} rows")
    if buf[offset] == _GENERAL:
        rows, after = decode(buf, offset + 1, end)
        if type(rows) is not list or any(type(row) is not tuple for row in rows):
            raise WireError("the rows are not a list of tuples")
        return rows, after
    try:
        return _Columns(buf, end, shared).rows(offset)
    except WireError:
        raise
    except (IndexError, struct.error, ValueError, TypeError, MemoryError, OverflowError) as exc:
        raise WireError(f"malformed rows ({type(exc).__name__}: {exc})") from None


def _row_count(buf: memoryview, offset: int, end: int) -> int:
    """The number of rows a message announces (-1 if it announces none)."""
    if buf[offset] == _GENERAL:
        if offset + 6 > end or buf[offset + 1] != 0x6C:  # a list
            return -1
        return int(_COUNT.unpack_from(buf, offset + 2)[0])
    if offset + _HEAD.size > end:
        return -1
    return int(_HEAD.unpack_from(buf, offset)[1])


class _Columns:
    def __init__(self, buf: memoryview, end: int, shared: Shared | None) -> None:
        import numpy

        self.buf, self.end, self.shared, self.numpy = buf, end, shared, numpy

    def need(self, position: int) -> int:
        if position > self.end:
            raise WireError("the message ends in the middle of a column")
        return position

    def rows(self, offset: int) -> tuple[list[tuple[Any, ...]], int]:
        layout, n_rows, n_columns = _HEAD.unpack_from(self.buf, offset)
        offset = self.need(offset + _HEAD.size)
        if layout != _COLUMNS or not n_columns or offset + n_rows * n_columns > self.end:
            raise WireError("malformed rows")
        columns = []
        for _ in range(n_columns):
            column, offset = self.column(offset, n_rows)
            columns.append(column)
        return list(zip(*columns, strict=True)), offset

    def column(self, offset: int, n: int) -> tuple[list[Any], int]:
        buf, numpy = self.buf, self.numpy
        kind = buf[self.need(offset + 1) - 1]
        offset += 1
        if kind == _SHARED:
            return self.shared_column(offset, n)
        if kind in (_INTS, _FLOATS):
            after = self.need(offset + 8 * n)
            dtype = numpy.int64 if kind == _INTS else numpy.float64
            return numpy.frombuffer(buf[offset:after], dtype).tolist(), after
        if kind not in (_ARRAYS, _SCALARS):
            raise WireError(f"unknown column kind {kind}")
        size = buf[self.need(offset + 1) - 1]
        code_end = self.need(offset + 1 + size)
        dtype = dtype_of(bytes(buf[offset + 1 : code_end]))
        if kind == _SCALARS:
            after = self.need(code_end + dtype.itemsize * n)
            return list(numpy.frombuffer(buf[code_end:after], dtype).copy()), after
        return self.arrays(code_end, n, dtype)

    def arrays(self, offset: int, n: int, dtype: Any) -> tuple[list[Any], int]:
        buf, numpy = self.buf, self.numpy
        ndim = buf[self.need(offset + 1) - 1]
        shapes_end = self.need(offset + 1 + 8 * n * ndim)
        shapes = numpy.frombuffer(buf[offset + 1 : shapes_end], numpy.int64).reshape(n, ndim)
        if ndim > 32 or (shapes < 0).any():
            raise WireError("a malformed array shape")
        sizes = shapes.prod(axis=1).tolist() if ndim != 1 else shapes[:, 0].tolist()
        after = self.need(shapes_end + dtype.itemsize * sum(sizes))
        data = numpy.frombuffer(buf[shapes_end:after], dtype).copy()  # one copy, then views
        arrays, start = [], 0
        for size, shape in zip(sizes, shapes.tolist(), strict=True):
            array = data[start : start + size]
            arrays.append(array if ndim == 1 else array.reshape(shape))
            start += size
        return arrays, after

    def shared_column(self, offset: int, n: int) -> tuple[list[Any], int]:
        if self.shared is None:
            raise WireError("a reference to a shared array where none may be")
        received = self.shared.received
        (count,) = _COUNT.unpack_from(self.buf, offset)
        offset += _COUNT.size
        for _ in range(count):
            (number,) = _COUNT.unpack_from(self.buf, offset)
            if number != len(received) or number >= _MAX_SHARED:
                raise WireError("shared arrays out of order")
            kind = self.buf[self.need(offset + _COUNT.size + 1) - 1]
            if kind != _ARRAYS:
                raise WireError("a shared array that is not an array")
            (array,), offset = self.column(offset + _COUNT.size, 1)
            array.flags.writeable = False
            received.append(array)
        after = self.need(offset + 4 * n)
        numbers = self.numpy.frombuffer(self.buf[offset:after], self.numpy.uint32).tolist()
        if any(number >= len(received) for number in numbers):
            raise WireError("a reference to an unknown shared array")
        return [received[number] for number in numbers], after
