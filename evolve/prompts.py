"""The prompt: FunSearch's best-shot prompting, as chat messages (a pure function).

The system message depends only on the problem, so providers can cache it. The user
message shows the earlier versions worst to best with their scores, each as just its
EVOLVE-BLOCK; the last version (the parent) comes in full, so the code around the block is
shown once and SEARCH parts can be copied from it. Recent failures of the lineage follow,
repeated ones grouped with a count, each as its message and the candidate's own lines
(evolve/feedback.py). The same inputs always give the same messages (replay relies on
the prompt's hash).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from evolve.feedback import Failure, clean_error, group
from evolve.patches import evolve_block
from problems.base import EVOLVE_BLOCK_END, EVOLVE_BLOCK_START

__all__ = [
    "MAX_ERROR_CHARS",
    "MAX_ERROR_LINES",
    "MAX_EXCERPT_LINES",
    "MAX_FAILURES",
    "MAX_METRICS",
    "SEARCH_REPLACE_FORMAT",
    "Failure",
    "Shot",
    "build_messages",
]

MAX_FAILURES = 3  # kinds of failure shown, the most recent first
MAX_ERROR_LINES = 10  # the first lines of a cleaned error: its message, then its frames
MAX_ERROR_CHARS = 600
MAX_EXCERPT_LINES = 12  # of the failed program's EVOLVE-BLOCK
MAX_METRICS = 6  # metrics shown next to a score, besides "score" itself

SEARCH_REPLACE_FORMAT = """\
<<<<<<< SEARCH
<lines copied exactly from the last program>
=======
<the lines that replace them>
>>>>>>> REPLACE"""


@dataclass(frozen=True)
class Shot:
    """One earlier program shown in the prompt, with its evaluation."""

    source: str
    score: float | None
    metrics: Mapping[str, float] = field(default_factory=dict)


def build_messages(
    description: str, entry: str, shots: Sequence[Shot], failures: Sequence[Failure] = ()
) -> list[dict[str, str]]:
    """System and user messages asking for an improved version of `entry`.

    `shots` are in ascending score order, as `Selection.parent_ids`: the last is the parent
    the model must improve, and the order is kept as given. `failures` are the lineage's
    recent failures, newest first: repeats are grouped (`feedback.group`) and the first
    MAX_FAILURES groups are shown, each with its count and its newest program.
    """
    if not shots:
        raise ValueError("build_messages needs at least one shot: the parent program")
    return [
        {"role": "system", "content": _system(description, entry)},
        {"role": "user", "content": _user(entry, shots, group(failures)[:MAX_FAILURES])},
    ]


def _system(description: str, entry: str) -> str:
    return f"""\
You are an expert in algorithm design and Python. You improve a program step by step; an \
automatic evaluator scores each version you write (higher is better).

## Task
{description.strip()}

## Rules
- Change only the code between the `{EVOLVE_BLOCK_START}` and `{EVOLVE_BLOCK_END}` lines; \
the code outside them stays as it is.
- Keep the function `{entry}` with its name and signature. You may add helper functions, \
constants and imports inside the block.
- Reply with one or more SEARCH/REPLACE blocks against the last program shown, in exactly \
this format:

{SEARCH_REPLACE_FORMAT}

  Each SEARCH part must copy whole lines of the last program exactly, indentation \
included, and match one place only; the blocks are applied in order.
- Or reply with the complete new function `{entry}` (and any helpers it needs) in one \
```python fenced block.
- Write a short explanation first if you like; keep the code itself complete and runnable."""


def _user(entry: str, shots: Sequence[Shot], failures: Sequence[Failure]) -> str:
    parts = []
    if len(shots) > 1:
        parts.append(
            f"Earlier versions of `{entry}`, from worst to best (only the code inside the "
            "EVOLVE-BLOCK is shown):"
        )
        parts += [_earlier(number, shot) for number, shot in enumerate(shots[:-1], 1)]
    last = len(shots)
    parts.append(
        f"### Version {last}: the program to improve ({_evaluation(shots[-1])})\n"
        f"{_fence(shots[-1].source)}"
    )
    if failures:
        parts.append(
            "### Recent failed attempts to improve it (do not repeat these mistakes)\n"
            + "\n".join(_failure(f) for f in failures)
        )
    parts.append(
        f"Write an improved version of `{entry}` that scores higher than version {last}. "
        f"Reply with SEARCH/REPLACE blocks against version {last}, or with the complete new "
        f"`{entry}` function in a ```python fenced block."
    )
    return "\n\n".join(parts)


def _earlier(number: int, shot: Shot) -> str:
    return f"### Version {number} ({_evaluation(shot)})\n{_fence(_block(shot.source))}"


def _block(source: str) -> str:
    """The EVOLVE-BLOCK's content, or the whole source if it has no markers."""
    try:
        return evolve_block(source)[1]
    except ValueError:
        return source


def _evaluation(shot: Shot) -> str:
    if shot.score is None:
        return "not scored"
    shown = sorted(k for k in shot.metrics if k != "score")[:MAX_METRICS]
    details = ", ".join(f"{k} {_number(shot.metrics[k])}" for k in shown)
    return f"score {_number(shot.score)}" + (f"; {details}" if details else "")


def _number(value: float) -> str:
    return f"{value:.6g}" if isinstance(value, float) and math.isfinite(value) else str(value)


def _failure(failure: Failure) -> str:
    times = f" ({failure.count} times, the last one shown)" if failure.count > 1 else ""
    text = f"- {failure.error_kind}{times}: {_head(clean_error(failure.error))}"
    lines = _block(failure.source_excerpt).strip("\n").split("\n")
    cut = ["# ..."] if len(lines) > MAX_EXCERPT_LINES else []
    excerpt = "\n".join(lines[:MAX_EXCERPT_LINES] + cut)
    return text + (f"\n  in this code:\n{_fence(excerpt)}" if excerpt.strip() else "")


def _head(error: str) -> str:
    """The first lines of an error, at most MAX_ERROR_CHARS, marked where cut."""
    lines = [line.rstrip() for line in error.strip().split("\n")]
    text = "\n".join(lines[:MAX_ERROR_LINES])
    cut = len(lines) > MAX_ERROR_LINES or len(text) > MAX_ERROR_CHARS
    text = text[:MAX_ERROR_CHARS] + ("\n..." if cut else "")
    return text.replace("\n", "\n  ")


def _fence(code: str) -> str:
    return f"```python\n{code.strip(chr(10))}\n```"
