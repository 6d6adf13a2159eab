"""Trusted check of a puzzle's answer, run in the parent (never in the candidate's sandbox).

An answer is correct iff it has the puzzle's `ans_type` and `sat(answer) is True` within
1 s (P3's protocol). `sat` is the puzzle's own code, so it runs in a fresh one-shot
sandbox of its own (`sandbox.execute`) with the answer passed as JSON data: nothing of
the candidate's but that data reaches it, and nothing it does reaches this process but
its JSON result. `sat` takes the puzzle's parameters from the defaults in its signature.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import sandbox
from problems.base import InvalidOutput
from problems.puzzles.anstype import check_answer, parse_ans_type

__all__ = ["SAT_PRELUDE", "SAT_TIMEOUT_S", "SatVerdict", "check_sat", "score"]

SAT_TIMEOUT_S = 1.0
SAT_MEMORY_MB = 1024
# P3's `sat` sources annotate with `List` without importing it.
SAT_PRELUDE = "from typing import List  # noqa: F401\n\n"

Metrics = dict[str, float]


@dataclass(frozen=True)
class SatVerdict:
    """What `sat(answer)` gave.

    Attributes:
        solved: True iff sat returned exactly True in time.
        status: "solved", "false" (returned something else), or the sandbox status of
            the sat call ("error", "timeout", "memory", ...).
        detail: what sat returned or the first line of its error ("" when solved).
    """

    solved: bool
    status: str
    detail: str = ""


def score(instance: dict[str, Any], output: Any) -> Metrics:
    """1.0 iff `output` has the puzzle's type and satisfies its `sat`, else 0.0.

    A value of the wrong type raises InvalidOutput (it is not an answer at all)."""
    check_answer(parse_ans_type(instance["ans_type"]), output)
    solved = check_sat(instance["sat"], output).solved
    return {"score": float(solved), "solved": float(solved)}


def check_sat(sat_source: str, answer: Any) -> SatVerdict:
    """Runs `sat(answer)` in a fresh sandbox with a 1 s limit (cached per answer)."""
    try:
        key = json.dumps(answer, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidOutput(f"the answer is not plain JSON data: {error}") from None
    return _check_sat(sat_source, key)


@functools.lru_cache(maxsize=512)
def _check_sat(sat_source: str, answer_json: str) -> SatVerdict:
    """The verdict for one (sat, answer); the probe and train stages share it."""
    answer = json.loads(answer_json)
    result = sandbox.execute(
        SAT_PRELUDE + sat_source,
        "sat",
        [answer],
        timeout_s=SAT_TIMEOUT_S,
        memory_mb=SAT_MEMORY_MB,
    )
    if not result.ok:
        first = (result.error.strip().splitlines() or [""])[0]
        return SatVerdict(False, result.status.value, first[:200])
    if result.value is True:
        return SatVerdict(True, "solved")
    return SatVerdict(False, "false", f"sat returned {result.value!r}"[:200])
