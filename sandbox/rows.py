"""Batches of calls (or of return values) on the call channel, fast when they look alike.

A batch is a list of rows, each a tuple of values: the positional arguments of one call,
or one return value. When every row has the same length and each column holds values of
one simple kind (1-D numpy arrays of one dtype, numpy scalars of one dtype, Python ints,
Python floats), the batch goes column by column, each column one raw buffer: a lockstep
step of bin packing (an item and an array of bins per instance) costs a few numpy calls
instead of a walk over every value. Anything else goes through the general `wire`
encoding. Decoding checks every length, like `wire.decode`, and copies each column out
of the buffer at once (the arrays of a column are views of that copy: nothing aliases
the channel; a function that receives them all may see them all anyway).
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Sequence
from typing import Any

from sandbox.wire import TooLarge, WireError, decode, dtype_code, dtype_of, encode_into

__all__ = ["decode_rows", "encode_rows"]

_GENERAL, _COLUMNS = 0x67, 0x63  # "g", "c"
_ARRAYS, _SCALARS, _INTS, _FLOATS = 0x41, 0x53, 0x69, 0x66  # "A", "S", "i", "f"
_HEAD = struct.Struct("<BIB")  # layout, rows, columns
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1


def encode_rows(buf: memoryview, offset: int, rows: Sequence[tuple[Any, ...]]) -> int:
    """Write the rows at `offset`; the offset after them. WireError as `encode_into`."""
    columns = _columns(rows)
    if columns is None:
        buf[offset] = _GENERAL
        return encode_into(buf, offset + 1, list(rows))
    if offset + _HEAD.size > len(buf):
        raise TooLarge(f"the value does not fit in the call buffer ({len(buf)} bytes)")
    _HEAD.pack_into(buf, offset, _COLUMNS, len(rows), len(columns))
    offset += _HEAD.size
    numpy = sys.modules["numpy"]
    for kind, values in columns:
        offset = _encode_column(buf, offset, kind, values, numpy)
    return offset


def _columns(rows: Sequence[tuple[Any, ...]]) -> list[tuple[int, list[Any]]] | None:
    """[(kind, values)] per column when every column is of one simple kind, else None."""
    numpy = sys.modules.get("numpy")
    if not rows or numpy is None or len({len(row) for row in rows}) != 1 or not rows[0]:
        return None
    out = []
    for values in zip(*rows, strict=True):
        kind = _kind(list(values), numpy)
        if kind is None:
            return None
        out.append((kind, list(values)))
    return out


def _kind(values: list[Any], numpy: Any) -> int | None:
    first = type(values[0])
    if any(type(v) is not first for v in values):
        return None
    if first is numpy.ndarray:
        dtype = values[0].dtype
        if dtype.kind in "biuf" and all(v.ndim == 1 and v.dtype == dtype for v in values):
            return _ARRAYS
        return None
    if issubclass(first, numpy.generic):
        return _SCALARS if values[0].dtype.kind in "biuf" else None
    if first is int:
        return _INTS if all(_I64_MIN <= v <= _I64_MAX for v in values) else None
    return _FLOATS if first is float else None


def _encode_column(buf: memoryview, offset: int, kind: int, values: list[Any], numpy: Any) -> int:
    buf[offset] = kind
    offset += 1
    if kind in (_INTS, _FLOATS):
        data = numpy.array(values, dtype=numpy.int64 if kind == _INTS else numpy.float64)
    else:
        code = dtype_code(values[0].dtype)
        buf[offset : offset + len(code)] = code
        offset += len(code)
        if kind == _SCALARS:
            data = numpy.array(values)
        else:
            lengths = numpy.fromiter((len(v) for v in values), numpy.int64, len(values))
            offset = _put(buf, offset, lengths.view(numpy.uint8))
            return _concatenate_into(buf, offset, values, int(lengths.sum()), numpy)
    return _put(buf, offset, numpy.ascontiguousarray(data).view(numpy.uint8))


def _concatenate_into(
    buf: memoryview, offset: int, arrays: list[Any], total: int, numpy: Any
) -> int:
    """The arrays' data one after the other at `offset`, copied once."""
    dtype = arrays[0].dtype
    end = offset + total * dtype.itemsize
    if end > len(buf):
        raise TooLarge(f"the value does not fit in the call buffer ({len(buf)} bytes)")
    numpy.concatenate(arrays, out=numpy.frombuffer(buf[offset:end], dtype))
    return end


def _put(buf: memoryview, offset: int, data: Any) -> int:
    end = offset + len(data)
    if end > len(buf):
        raise TooLarge(f"the value does not fit in the call buffer ({len(buf)} bytes)")
    buf[offset:end] = data
    return end


def decode_rows(buf: memoryview, offset: int, end: int) -> tuple[list[tuple[Any, ...]], int]:
    """The rows encoded at `offset` (nothing read at or past `end`), and the offset after."""
    if offset >= end:
        raise WireError("the message ends before its rows")
    if buf[offset] == _GENERAL:
        rows, after = decode(buf, offset + 1, end)
        if type(rows) is not list or any(type(row) is not tuple for row in rows):
            raise WireError("the rows are not a list of tuples")
        return rows, after
    try:
        return _decode_columns(buf, offset, end)
    except WireError:
        raise
    except (IndexError, struct.error, ValueError, TypeError, MemoryError) as exc:
        raise WireError(f"malformed rows ({type(exc).__name__}: {exc})") from None


def _decode_columns(buf: memoryview, offset: int, end: int) -> tuple[list[tuple[Any, ...]], int]:
    layout, n_rows, n_columns = _HEAD.unpack_from(buf, offset)
    if layout != _COLUMNS or not n_columns or offset + _HEAD.size + n_rows * n_columns > end:
        raise WireError("malformed rows")
    offset += _HEAD.size
    columns = []
    for _ in range(n_columns):
        column, offset = _decode_column(buf, offset, end, n_rows)
        columns.append(column)
    return list(zip(*columns, strict=True)), offset


def _decode_column(buf: memoryview, offset: int, end: int, n: int) -> tuple[list[Any], int]:
    import numpy

    kind = buf[offset]
    offset += 1
    if kind in (_INTS, _FLOATS):
        after = _need(offset + 8 * n, end)
        dtype = numpy.int64 if kind == _INTS else numpy.float64
        return numpy.frombuffer(buf[offset:after], dtype).tolist(), after
    if kind not in (_ARRAYS, _SCALARS):
        raise WireError(f"unknown column kind {kind}")
    size = buf[offset]
    code_end = _need(offset + 1 + size, end)
    dtype = dtype_of(bytes(buf[offset + 1 : code_end]))
    offset, width = code_end, dtype.itemsize
    if kind == _SCALARS:
        after = _need(offset + width * n, end)
        return list(numpy.frombuffer(buf[offset:after], dtype).copy()), after
    lengths_end = _need(offset + 8 * n, end)
    lengths = numpy.frombuffer(buf[offset:lengths_end], numpy.int64).tolist()
    if any(length < 0 for length in lengths):
        raise WireError("a negative array length")
    after = _need(lengths_end + width * sum(lengths), end)
    data = numpy.frombuffer(buf[lengths_end:after], dtype).copy()  # one copy, then views
    arrays, start = [], 0
    for length in lengths:
        arrays.append(data[start : start + length])
        start += length
    return arrays, after


def _need(position: int, end: int) -> int:
    if position > end:
        raise WireError("the message ends in the middle of a column")
    return position
