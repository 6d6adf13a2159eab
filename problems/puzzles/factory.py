"""One Problem per puzzle: evolve `sol()` so that the puzzle's `sat(sol()) is True`.

The template is the puzzle's `sol_header` and `sol_docstring` with a trivial body (the
simplest value of `ans_type`) inside the EVOLVE-BLOCK; the description shows the `sat`
source to the LLM. The one instance is the puzzle itself, the same in every split: the
harness calls `sol()` in the sandbox and the trusted `score` checks the answer.
"""

from __future__ import annotations

from typing import Any

from problems.base import EVOLVE_BLOCK_END, EVOLVE_BLOCK_START, SPLITS, Problem, ProblemError
from problems.puzzles.anstype import default_answer, parse_ans_type
from problems.puzzles.harness import run
from problems.puzzles.scoring import SAT_TIMEOUT_S, score

__all__ = ["SOL_TIMEOUT_S", "puzzle_description", "puzzle_problem", "puzzle_template"]

SOL_TIMEOUT_S = 10.0

TEMPLATE_HEAD = '''\
"""Python Programming Puzzles (P3): `sol()` must return an answer that the puzzle's
`sat` accepts: `sat(sol()) is True` within 1 s."""

from typing import List  # noqa: UP035

'''

DESCRIPTION = """\
Python Programming Puzzles (P3), puzzle {name}. Write `sol()` so that it returns an
answer of type {ans_type} for which the puzzle's `sat` returns True:

```python
{sat}
```

`sat` is called as `sat(answer)`: its parameters keep the default values shown, which
`sol` receives as its own defaults. The answer is checked in a separate process: it must
have type {ans_type} exactly (plain lists, ints, floats, bools, strings; a bool is not an
int), and `sat(answer)` must return True (not just a truthy value) within {timeout:g} s.
An exception or a timeout in `sat` counts as not solved. `sol` may compute the answer in
any way (search, brute force, closed form) within {sol_timeout:g} s. Score: 1 solved, 0 not.
"""


def puzzle_problem(puzzle: dict[str, Any]) -> Problem:
    """The Problem of one P3 puzzle (a dict with name, sat, ans_type, sol_header, ...)."""
    name, sat = puzzle.get("name"), puzzle.get("sat")
    if not isinstance(name, str) or not isinstance(sat, str):
        raise ProblemError(f"a puzzle needs string 'name' and 'sat', got {sorted(puzzle)}")
    instance = {"name": name, "sat": sat, "ans_type": puzzle["ans_type"]}
    return Problem(
        name="puzzles",
        description=puzzle_description(puzzle),
        entry="sol",
        template=puzzle_template(puzzle),
        instances=lambda split: _instances(split, name, instance),
        run=run,
        score=score,
        timeout_s=SOL_TIMEOUT_S,
        memory_mb=1024,
        preload=(),
    )


def puzzle_template(puzzle: dict[str, Any]) -> str:
    """The seed program: header, docstring, and `return <simplest answer>`."""
    value = default_answer(parse_ans_type(puzzle["ans_type"]))
    answer = '""' if value == "" else repr(value)  # as `ruff format` writes it
    header = puzzle["sol_header"].rstrip()
    docstring = puzzle["sol_docstring"].rstrip()
    body = (
        f"{header}\n{docstring}\n    return {answer}\n"
        if docstring
        else (f"{header}\n    return {answer}\n")
    )
    return f"{TEMPLATE_HEAD}\n{EVOLVE_BLOCK_START}\n{body}\n\n{EVOLVE_BLOCK_END}\n"


def puzzle_description(puzzle: dict[str, Any]) -> str:
    return DESCRIPTION.format(
        name=puzzle["name"],
        ans_type=puzzle["ans_type"],
        sat=puzzle["sat"].rstrip(),
        timeout=SAT_TIMEOUT_S,
        sol_timeout=SOL_TIMEOUT_S,
    )


def _instances(split: str, name: str, instance: dict[str, Any]) -> dict[str, Any]:
    if split not in SPLITS:
        raise ProblemError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    return {name: instance}
