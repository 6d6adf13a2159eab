"""P3 answer types: parse an `ans_type` string ("List[List[int]]") and check a value.

The answer crosses from the candidate's sandbox as plain JSON data, so only these types
occur: `int`, `float`, `bool`, `str` and `List[T]` of them (nested). Checks are exact:
a bool is not an int (`True` for `int` is rejected), an int is accepted for `float`
(PEP 484's numeric convention), and every element of a list is checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from problems.base import InvalidOutput, ProblemError

__all__ = ["AnswerType", "check_answer", "default_answer", "parse_ans_type"]

SCALARS = ("int", "float", "bool", "str")


@dataclass(frozen=True)
class AnswerType:
    """A parsed answer type: a scalar name, or `List` of `item`.

    Attributes:
        name: "int", "float", "bool", "str" or "List".
        item: the element type of a List (None for scalars).
    """

    name: str
    item: AnswerType | None = None

    def __str__(self) -> str:
        return f"List[{self.item}]" if self.item else self.name


def parse_ans_type(text: str) -> AnswerType:
    """The AnswerType of e.g. "List[int]"; ProblemError for anything else."""
    compact = "".join(text.split())
    if compact in SCALARS:
        return AnswerType(compact)
    for prefix in ("List[", "list["):
        if compact.startswith(prefix) and compact.endswith("]"):
            return AnswerType("List", parse_ans_type(compact[len(prefix) : -1]))
    raise ProblemError(
        f"unsupported answer type {text!r}; expected int, float, bool, str or List[...] of them"
    )


def check_answer(ans_type: AnswerType, value: Any, where: str = "answer") -> None:
    """InvalidOutput unless `value` has type `ans_type` (naming the first bad element)."""
    if ans_type.item is not None:
        if type(value) is not list:
            raise InvalidOutput(f"{where} must be a list ({ans_type}), got {_kind(value)}")
        for index, item in enumerate(value):
            check_answer(ans_type.item, item, f"{where}[{index}]")
        return
    allowed: tuple[type, ...] = (int, float) if ans_type.name == "float" else ()
    expected = {"int": int, "float": float, "bool": bool, "str": str}[ans_type.name]
    if type(value) is not expected and type(value) not in allowed:
        raise InvalidOutput(f"{where} must be {ans_type.name}, got {_kind(value)}")


def default_answer(ans_type: AnswerType) -> Any:
    """The simplest value of the type: 0, 0.0, False, "" or []."""
    return (
        [] if ans_type.item else {"int": 0, "float": 0.0, "bool": False, "str": ""}[ans_type.name]
    )


def _kind(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"
