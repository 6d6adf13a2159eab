"""A test problem whose probe cannot tell programs apart: evolve f(x) towards 3*x + 1, with
a probe of the single point x = 0, where every line through (0, 1) agrees."""

from __future__ import annotations

import math
from pathlib import Path

from problems.base import InvalidOutput, Problem

POINTS = {"train": [1, 2, 3, 4], "probe": [0], "test": [5, 6]}


def instances(split: str) -> dict[str, dict[str, float]]:
    return {f"x{x}": {"x": x} for x in POINTS[split]}


def run(f, instance):  # type: ignore[no-untyped-def]
    return f(instance["x"])


def score(instance: dict[str, float], output: object) -> dict[str, float]:
    if (
        isinstance(output, bool)
        or not isinstance(output, (int, float))
        or not math.isfinite(output)
    ):
        raise InvalidOutput(f"expected a finite number, got {output!r}")
    error = abs(output - (3 * instance["x"] + 1))
    return {"error": error, "score": -error}


problem = Problem(
    name="blind_probe",
    description="Write f(x) returning a number as close as possible to an unknown line.",
    entry="f",
    template=(Path(__file__).parent / "template.py").read_text(),
    instances=instances,
    run=run,
    score=score,
    timeout_s=2.0,
    memory_mb=512,
    preload=(),
)
