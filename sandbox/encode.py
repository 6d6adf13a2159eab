"""Strict JSON encoding of a candidate's return value (runs inside the child).

Only plain data crosses the boundary: None, bool, int in [-2**63, 2**63), finite float,
str, list/tuple, dict with str keys, and numpy scalars/arrays of those. Anything else
(NaN, a generator, an object of the candidate's, a huge int) is refused with a message
that names where in the value it is, so the LLM can fix it.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

__all__ = ["BadResult", "to_json_bytes", "to_plain"]

INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
_ALLOWED = "None, bool, int, finite float, str, list, tuple, dict with str keys, numpy data"


class BadResult(ValueError):
    """The value is not plain JSON data. `where` is the path into the value, e.g. [2]['x']."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.where: list[str] = []

    def __str__(self) -> str:
        return f"result{''.join(reversed(self.where))} {self.problem}"


def to_json_bytes(value: Any) -> bytes:
    """Compact strict JSON of `value`; raises BadResult."""
    try:
        plain = to_plain(value)
    except RecursionError:
        raise BadResult("is nested too deeply (or contains itself)") from None
    return _ENCODER.encode(plain).encode()


def to_plain(value: Any) -> Any:
    """`value` as built-in JSON types; raises BadResult."""
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        if not INT_MIN <= value <= INT_MAX:
            raise BadResult("is an int outside the 64-bit range [-2**63, 2**63)")
        return value
    if kind is float:
        if not math.isfinite(value):
            raise BadResult(f"is {value!r}; JSON allows only finite numbers")
        return value
    if kind is list or kind is tuple:
        return _sequence(value)
    if kind is dict:
        return _mapping(value)
    return _other(value)


def _sequence(items: list[Any] | tuple[Any, ...]) -> list[Any]:
    out = []
    for i, item in enumerate(items):
        try:
            out.append(to_plain(item))
        except BadResult as exc:
            exc.where.append(f"[{i}]")
            raise
    return out


def _mapping(items: dict[Any, Any]) -> dict[str, Any]:
    out = {}
    for key, item in items.items():
        if not isinstance(key, str):
            raise BadResult(f"has a dict key of type {type(key).__name__}; keys must be str")
        try:
            out[str(key)] = to_plain(item)
        except BadResult as exc:
            exc.where.append(f"[{str(key)!r}]")
            raise
    return out


def _other(value: Any) -> Any:
    """numpy data and subclasses of the built-in types; refuse everything else."""
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray | numpy.generic):
        return to_plain(value.tolist())
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return to_plain(base(value))
    if isinstance(value, list | tuple):
        return _sequence(value)
    if isinstance(value, dict):
        return _mapping(value)
    raise BadResult(
        f"is of type {type(value).__name__}, which is not JSON data (allowed: {_ALLOWED})"
    )
