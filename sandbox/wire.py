"""A compact binary encoding of the values that cross the call channel (see calls.py).

What a trusted harness passes to a candidate's function, and what the function returns:
None, bool, int, float (NaN and infinities included: the harness decides what they mean),
str, bytes, list, tuple, set, frozenset, dict, and numpy arrays and scalars of booleans
or numbers, which travel as raw buffers. Nothing else can be encoded (an object of the
candidate's, a generator, an object array), and nothing but these types can come out of
`decode`: the trusted side never holds an object the candidate made. `decode` treats its
input as hostile: every length is checked against the buffer, nesting is limited, and
any inconsistency is a `WireError`, never another exception.
"""

from __future__ import annotations

import struct
import sys
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "TooLarge",
    "WireError",
    "decode",
    "dtype_code",
    "dtype_of",
    "encode_into",
    "ensure_room",
    "put_bytes",
]

MAX_DEPTH = 100  # containers nested deeper than this are refused, both ways

_U32, _I64, _F64 = struct.Struct("<I"), struct.Struct("<q"), struct.Struct("<d")
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
_NUMERIC_KINDS = "biufc"
_NUMPY_TYPES: set[type] = set()  # numpy types seen, tried first
_CODES: dict[Any, bytes] = {}  # numpy dtype -> its length-prefixed code
_DTYPES: dict[bytes, Any] = {}  # code -> numpy dtype, on the decoding side
_CONTAINERS: dict[type, bytes] = {list: b"l", tuple: b"t", set: b"S", frozenset: b"Z"}
_BUILDERS: dict[int, Any] = {ord("l"): list, ord("t"): tuple, ord("S"): set, ord("Z"): frozenset}


class WireError(ValueError):
    """A value that cannot be encoded, or bytes that are not a valid encoding."""


class TooLarge(WireError):
    """The encoded value does not fit in the buffer."""


def encode_into(buf: memoryview, offset: int, value: Any, depth: int = 0) -> int:
    """Write `value` at `offset` of `buf` (a writable byte view); the offset after it.
    Raises WireError for a value of another type, nested too deeply or too large."""
    try:
        return _encode(buf, offset, value, depth)
    except (IndexError, struct.error, ValueError) as exc:
        if isinstance(exc, WireError):
            raise
        raise TooLarge(f"the value does not fit in the call buffer ({len(buf)} bytes)") from None
    except RecursionError:
        raise WireError("the value is nested too deeply (or contains itself)") from None


def _encode(buf: memoryview, offset: int, value: Any, depth: int) -> int:
    kind = type(value)
    if kind in _NUMPY_TYPES:
        return _encode_numpy(buf, offset, value)
    if value is None:
        return _put(buf, offset, b"N")
    if kind is bool:
        return _put(buf, offset, b"T" if value else b"F")
    if kind is int:
        return _encode_int(buf, offset, value)
    if kind is float:
        buf[offset] = 0x66  # "f"
        _F64.pack_into(buf, offset + 1, value)
        return offset + 9
    if kind is str:
        return _bytes(buf, offset, b"s", value.encode("utf-8", "surrogatepass"))
    if kind is bytes:
        return _bytes(buf, offset, b"y", value)
    if depth >= MAX_DEPTH:
        raise WireError(f"the value is nested more than {MAX_DEPTH} levels deep")
    if kind in _CONTAINERS:
        return _encode_items(buf, offset, _CONTAINERS[kind], value, depth)
    if kind is dict:
        offset = _put(buf, offset, b"d")
        _U32.pack_into(buf, offset, len(value))
        offset += 4
        for key, item in value.items():
            offset = _encode(buf, offset, key, depth + 1)
            offset = _encode(buf, offset, item, depth + 1)
        return offset
    return _encode_other(buf, offset, value, depth)


def _encode_int(buf: memoryview, offset: int, value: int) -> int:
    if _INT_MIN <= value <= _INT_MAX:
        buf[offset] = 0x69  # "i"
        _I64.pack_into(buf, offset + 1, value)
        return offset + 9
    return _bytes(buf, offset, b"I", str(value).encode())


def _encode_items(buf: memoryview, offset: int, tag: bytes, items: Any, depth: int) -> int:
    offset = _put(buf, offset, tag)
    _U32.pack_into(buf, offset, len(items))
    offset += 4
    for item in items:
        offset = _encode(buf, offset, item, depth + 1)
    return offset


def _encode_other(buf: memoryview, offset: int, value: Any, depth: int) -> int:
    """numpy data, and subclasses of the built-in types (as their base type)."""
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray | numpy.generic):
        _NUMPY_TYPES.add(type(value))
        return _encode_numpy(buf, offset, value)
    bases: tuple[Any, ...] = (bool, int, float, str, bytes, list, tuple, set, frozenset, dict)
    for base in bases:
        if isinstance(value, base):
            return _encode(buf, offset, base(value), depth)
    raise WireError(
        f"a value of type {type(value).__name__} cannot cross the sandbox boundary "
        "(allowed: None, bool, int, float, str, bytes, list, tuple, set, dict, numpy "
        "arrays and scalars of numbers)"
    )


def _encode_numpy(buf: memoryview, offset: int, value: Any) -> int:
    """A numpy scalar ("g": dtype, raw bytes) or array ("a": dtype, shape, raw bytes)."""
    numpy = sys.modules["numpy"]
    code = dtype_code(value.dtype)
    array = isinstance(value, numpy.ndarray)
    offset = _put(buf, offset, b"a" if array else b"g")
    buf[offset : offset + len(code)] = code
    offset += len(code)
    if not array:
        data: Any = value.tobytes()
    else:
        buf[offset] = value.ndim
        offset += 1
        for size in value.shape:
            _I64.pack_into(buf, offset, size)
            offset += 8
        data = numpy.ascontiguousarray(value).reshape(-1).view(numpy.uint8)
    return put_bytes(buf, offset, data)


def ensure_room(buf: memoryview, end: int) -> None:
    """TooLarge unless `buf` reaches `end`."""
    if end > len(buf):
        raise TooLarge(f"the value does not fit in the call buffer ({len(buf)} bytes)")


def put_bytes(buf: memoryview, offset: int, data: Any) -> int:
    """Copy `data` (bytes, or a flat uint8 array) to `offset`; the offset after it."""
    end = offset + len(data)
    ensure_room(buf, end)
    buf[offset:end] = data
    return end


def dtype_code(dtype: Any) -> bytes:
    """A numeric numpy dtype's code, length-prefixed (b"\\x03<i8"); WireError otherwise."""
    code = _CODES.get(dtype)
    if code is None:
        if dtype.kind not in _NUMERIC_KINDS or dtype.hasobject:
            raise WireError(f"a numpy value of dtype {dtype} cannot cross the sandbox boundary")
        code = _CODES[dtype] = bytes([len(dtype.str)]) + dtype.str.encode()
    return code


def dtype_of(code: bytes) -> Any:
    """The numpy dtype of a code (without its length prefix); WireError if not numeric."""
    dtype = _DTYPES.get(code)
    if dtype is None:
        try:
            dtype = _numpy().dtype(code.decode("ascii"))
        except (TypeError, ValueError, UnicodeDecodeError):
            raise WireError(f"unknown dtype {code!r}") from None
        if dtype.kind not in _NUMERIC_KINDS or dtype.hasobject or dtype.itemsize == 0:
            raise WireError(f"dtype {dtype} is not allowed")
        _DTYPES[code] = dtype
    return dtype


def _bytes(buf: memoryview, offset: int, tag: bytes, data: bytes) -> int:
    offset = _put(buf, offset, tag)
    _U32.pack_into(buf, offset, len(data))
    return put_bytes(buf, offset + 4, data)


def _put(buf: memoryview, offset: int, tag: bytes) -> int:
    buf[offset] = tag[0]
    return offset + 1


def decode(buf: memoryview, offset: int, end: int) -> tuple[Any, int]:
    """The value encoded at `offset` (nothing read at or past `end`) and the offset after
    it. Any malformed input raises WireError."""
    try:
        return _Decoder(buf, end).value(offset, 0)
    except WireError:
        raise
    except (IndexError, struct.error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise WireError(f"malformed value ({type(exc).__name__}: {exc})") from None
    except (RecursionError, MemoryError):
        raise WireError("malformed value (too deep or too large)") from None


class _Decoder:
    def __init__(self, buf: memoryview, end: int) -> None:
        if end > len(buf):
            raise WireError("the message is longer than the call buffer")
        self.buf, self.end = buf, end

    def need(self, offset: int, size: int) -> int:
        if size < 0 or offset + size > self.end:
            raise WireError("the message ends in the middle of a value")
        return offset + size

    def value(self, offset: int, depth: int) -> tuple[Any, int]:
        tag = self.buf[self.need(offset, 1) - 1]
        offset += 1
        if tag == 0x4E:  # N
            return None, offset
        if tag == 0x54 or tag == 0x46:  # T, F
            return tag == 0x54, offset
        if tag == 0x69:  # i
            return _I64.unpack_from(self.buf, offset)[0], self.need(offset, 8)
        if tag == 0x66:  # f
            return _F64.unpack_from(self.buf, offset)[0], self.need(offset, 8)
        if tag in (0x73, 0x79, 0x49):  # s, y, I
            return self.sized(tag, offset)
        if depth >= MAX_DEPTH:
            raise WireError(f"the value is nested more than {MAX_DEPTH} levels deep")
        if tag in _BUILDERS:
            return self.items(tag, offset, depth)
        if tag == 0x64:  # d
            return self.mapping(offset, depth)
        if tag in (0x61, 0x67):  # a, g
            return self.numpy(tag == 0x67, offset)
        raise WireError(f"unknown type tag {tag}")

    def sized(self, tag: int, offset: int) -> tuple[Any, int]:
        size = _U32.unpack_from(self.buf, self.need(offset, 4) - 4)[0]
        start = offset + 4
        end = self.need(start, size)
        data = bytes(self.buf[start:end])
        if tag == 0x73:
            return data.decode("utf-8", "surrogatepass"), end
        if tag == 0x79:
            return data, end
        return int(data.decode("ascii")), end

    def items(self, tag: int, offset: int, depth: int) -> tuple[Any, int]:
        count = _U32.unpack_from(self.buf, self.need(offset, 4) - 4)[0]
        offset += 4
        self.need(offset, count)  # every item takes at least one byte
        out = []
        for _ in range(count):
            item, offset = self.value(offset, depth + 1)
            out.append(item)
        return (out if tag == 0x6C else _BUILDERS[tag](out)), offset

    def mapping(self, offset: int, depth: int) -> tuple[Any, int]:
        count = _U32.unpack_from(self.buf, self.need(offset, 4) - 4)[0]
        offset += 4
        self.need(offset, 2 * count)
        out = {}
        for _ in range(count):
            key, offset = self.value(offset, depth + 1)
            out[key], offset = self.value(offset, depth + 1)
        return out, offset

    def numpy(self, scalar: bool, offset: int) -> tuple[Any, int]:
        size = self.buf[self.need(offset, 1) - 1]
        start = offset + 1
        offset = self.need(start, size)
        dtype = dtype_of(bytes(self.buf[start:offset]))
        shape: tuple[int, ...] = ()
        if not scalar:
            ndim = self.buf[self.need(offset, 1) - 1]
            offset += 1
            if ndim > 32:
                raise WireError(f"an array of {ndim} dimensions")
            end = self.need(offset, 8 * ndim)
            shape = struct.unpack_from(f"<{ndim}q", self.buf, offset)
            offset = end
        count = 1
        for n in shape:
            if n < 0:
                raise WireError("a negative array dimension")
            count *= n
        end = self.need(offset, count * dtype.itemsize)
        if scalar:
            return _numpy().frombuffer(self.buf[offset:end], dtype=dtype)[0].copy(), end
        array = _numpy().frombuffer(self.buf[offset:end], dtype=dtype).copy()
        return (array if len(shape) == 1 else array.reshape(shape)), end


def _numpy() -> Any:
    """numpy, imported on first use (a worker without it never decodes an array)."""
    numpy = sys.modules.get("numpy")
    if numpy is None:
        import numpy
    return numpy
