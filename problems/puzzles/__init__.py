"""Python Programming Puzzles (P3, Schuster et al., NeurIPS 2021 Datasets and Benchmarks).

Each puzzle is `sat(answer, **params)`; a solution `sol()` returns an answer, correct iff
it has the puzzle's `ans_type` and `sat(answer) is True` within 1 s. `puzzle_problem`
makes one Problem per puzzle; `problem` (what `evolve run puzzles` runs) is the first
puzzle of the built-in set, and `load_suite("builtin" | "p3[:train|test]" |
"p3:FILE[:train|test]")` gives the puzzle sets that `evolve run puzzles --suite ...` runs
one by one (`p3` is P3's puzzles.json, packaged). See README.md.
"""

from __future__ import annotations

from problems.puzzles.anstype import AnswerType, check_answer, parse_ans_type
from problems.puzzles.factory import puzzle_problem, puzzle_template
from problems.puzzles.harness import run
from problems.puzzles.scoring import SatVerdict, check_sat, score
from problems.puzzles.suites import SUITES, load_p3, load_suite

__all__ = [
    "SUITES",
    "AnswerType",
    "SatVerdict",
    "check_answer",
    "check_sat",
    "load_p3",
    "load_suite",
    "parse_ans_type",
    "problem",
    "puzzle_problem",
    "puzzle_template",
    "run",
    "score",
    "suite",
]

suite = load_suite  # `evolve run puzzles --suite SPEC` calls this
problem = puzzle_problem(SUITES["builtin"]()[0])
