"""A problem defined in Python: evolve `f(x)` to match a hidden curve on a few points.

The harness (`run`) and the check (`score`) are top-level functions of this importable
module: the sandbox workers import the harness by name (`line_problem:run`), and
`sys_path` tells them where this module lives.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from problems.base import InvalidOutput, Problem

POINTS = {"train": [0, 1, 2, 5, 8], "probe": [1, 7], "test": [3, 4, 10]}

TEMPLATE = """\
# EVOLVE-BLOCK-START
def f(x):
    return x
# EVOLVE-BLOCK-END
"""


def instances(split: str) -> dict[str, dict[str, float]]:
    return {f"x{x}": {"x": x} for x in POINTS[split]}


def run(f: Any, instance: dict[str, float]) -> Any:
    """The harness: runs in the trusted host; `f` is the candidate, run apart."""
    return f(instance["x"])


def score(instance: dict[str, float], output: object) -> dict[str, float]:
    """The check: a finite number, scored by its distance to 2x² - x + 1."""
    if isinstance(output, bool) or not isinstance(output, int | float):
        raise InvalidOutput(f"expected a number, got {output!r}")
    if not math.isfinite(output):
        raise InvalidOutput(f"expected a finite number, got {output!r}")
    x = instance["x"]
    error = abs(output - (2 * x * x - x + 1))
    return {"error": error, "score": -error}


problem = Problem(
    name="line_fit",
    description="Write f(x) returning a number as close as possible to an unknown curve.",
    entry="f",
    template=TEMPLATE,
    instances=instances,
    run=run,
    score=score,
    timeout_s=2.0,
    preload=(),
    sys_path=(str(Path(__file__).resolve().parent),),
)
