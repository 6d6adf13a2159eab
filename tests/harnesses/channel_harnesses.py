"""Harnesses for tests/test_sandbox_channel.py, imported by the sandbox's trusted host."""

from __future__ import annotations

from typing import Any

__all__ = ["checked", "keywords", "mapped", "record", "repeat"]


def record(program: Any, instance: dict[str, Any]) -> Any:
    """Three steps, then ask the candidate what it saw (it records its calls)."""
    for step in range(3):
        program(instance["name"], step)
    return program("report", -1)


def mapped(program: Any, instance: dict[str, Any]) -> Any:
    return program.map([(i,) for i in range(instance["n"])])


def keywords(program: Any, instance: dict[str, Any]) -> Any:
    return program(1, y=instance["y"])


def checked(program: Any, instance: dict[str, Any]) -> Any:
    value = program(instance["x"])
    if type(value) is not int:
        raise ValueError(f"the program must return an int, got {type(value).__name__}")
    return value


def repeat(program: Any, instance: dict[str, Any]) -> int:
    for i in range(instance["n"]):
        program(i)
    return instance["n"]
