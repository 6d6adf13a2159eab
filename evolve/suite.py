"""Puzzle suites: one engine run per puzzle under a shared budget, and checking solutions.

`run_suite` splits the budget (`max_evals`, `max_llm_calls`, `max_tokens`, `budget_usd`,
`time_limit`) evenly over the puzzles (the first ones get the remainder of an integer
budget; a puzzle whose share of evaluations is 0 is not run) and runs each puzzle as its
own run named `BASE/PUZZLE` through `evolve.runner`. A puzzle is solved when a program of
its run scores 1 (the seed included). Attempts are the non-seed programs of the run (every
LLM reply, also duplicates and unpatchable ones); correct attempts score 1.

pass@k is the unbiased estimator of Chen et al. (Codex, 2021): per puzzle with n attempts
of which c are correct, 1 - C(n-c, k) / C(n, k), averaged over the puzzles with n >= k;
None when no puzzle has k attempts. A run does not stop early once solved, so n and c are
those of independent draws from the evolving population (not i.i.d. samples).
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evolve.config import load_config_file
from evolve.evaluate import Evaluation, Evaluator
from evolve.exceptions import EvolveError, PatchError
from evolve.patches import apply_reply
from problems import ProblemError, check_template
from problems.puzzles import load_suite, puzzle_problem

__all__ = [
    "PASS_AT_K",
    "PuzzleOutcome",
    "SuiteResult",
    "evaluate_solutions",
    "pass_at_k",
    "run_suite",
    "split_budget",
]

PASS_AT_K = (1, 10, 100)
BUDGET_KEYS = ("max_evals", "max_llm_calls", "max_tokens", "budget_usd", "time_limit")
DEFAULT_MAX_EVALS = 300  # the whole suite's, when no budget is given (as for one run)


@dataclass(frozen=True)
class PuzzleOutcome:
    """One puzzle's run: solved, attempts (n), correct attempts (c), its best program."""

    name: str
    solved: bool
    attempts: int
    correct: int
    run_name: str | None = None
    best_program_id: int | None = None


@dataclass
class SuiteResult:
    """What a suite run gives: per-puzzle outcomes, solved / total, pass@k."""

    suite: str
    puzzles: list[PuzzleOutcome] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def solved(self) -> int:
        return sum(p.solved for p in self.puzzles)

    @property
    def total(self) -> int:
        return len(self.puzzles)

    def pass_at_k(self) -> dict[int, float | None]:
        return {k: mean_pass_at_k([(p.attempts, p.correct) for p in self.puzzles], k)
                for k in PASS_AT_K}  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "solved": self.solved,
            "total": self.total,
            "pass_at_k": {str(k): v for k, v in self.pass_at_k().items()},
            "per_puzzle": {
                p.name: {
                    "solved": p.solved,
                    "attempts": p.attempts,
                    "correct": p.correct,
                    "run": p.run_name,
                    "best_program_id": p.best_program_id,
                }
                for p in self.puzzles
            },
        }


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples of which c are correct (needs n >= k)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def mean_pass_at_k(counts: list[tuple[int, int]], k: int) -> float | None:
    """pass@k averaged over the (n, c) with n >= k; None if there are none."""
    values = [pass_at_k(n, c, k) for n, c in counts if n >= k]
    return math.fsum(values) / len(values) if values else None


def split_budget(totals: Mapping[str, float | int | None], parts: int) -> list[dict[str, Any]]:
    """Each part's share of every budget given (ints: the first parts get the remainder)."""
    shares: list[dict[str, Any]] = [{} for _ in range(parts)]
    for key, total in totals.items():
        if total is None:
            continue
        for index, share in enumerate(shares):
            if isinstance(total, int):
                share[key] = total // parts + (index < total % parts)
            else:
                share[key] = total / parts
    return shares


def run_suite(
    overrides: dict[str, Any],
    *,
    suite_spec: str,
    split: str | None = None,
    config_file: Path | None = None,
    on_puzzle: Callable[[int, PuzzleOutcome], None] | None = None,
) -> SuiteResult:
    """Runs every puzzle of the suite as its own run (see the module docstring)."""
    from evolve.runner import prepare_run

    puzzles = load_suite(suite_spec, split)
    base = overrides.get("run_name") or _base_name()
    shares = split_budget(_totals(overrides, config_file), len(puzzles))
    result = SuiteResult(suite_spec if split is None else f"{suite_spec}:{split}")
    for index, (puzzle, share) in enumerate(zip(puzzles, shares, strict=True)):
        name = puzzle["name"]
        if share.get("max_evals", 1) < 1:
            outcome = PuzzleOutcome(name, solved=False, attempts=0, correct=0)
        else:
            run_overrides = {
                **overrides,
                **share,
                "problem": "puzzles",
                "run_name": f"{base}/{name}",
            }
            prepared = prepare_run(
                run_overrides, config_file=config_file, problem=puzzle_problem(puzzle)
            )
            result.notices.extend(n for n in prepared.notices if n not in result.notices)
            try:
                prepared.execute()
                outcome = _outcome(name, prepared)
            finally:
                prepared.archive.close()
        result.puzzles.append(outcome)
        if on_puzzle is not None:
            on_puzzle(index, outcome)
    return result


def _totals(overrides: Mapping[str, Any], config_file: Path | None) -> dict[str, Any]:
    file_values = load_config_file(config_file) if config_file else {}
    totals = {k: overrides.get(k) if overrides.get(k) is not None else file_values.get(k)
              for k in BUDGET_KEYS}  # fmt: skip
    if all(v is None for v in totals.values()):
        totals["max_evals"] = DEFAULT_MAX_EVALS
    return totals


def _outcome(name: str, prepared: Any) -> PuzzleOutcome:
    """Solved / attempts / correct of a finished puzzle run, from the archive."""
    attempts = correct = 0
    solved = False
    for record in prepared.archive.iter_programs(prepared.run.id):
        hit = record.score is not None and record.score >= 1.0
        solved = solved or hit
        if not record.is_seed:
            attempts += 1
            correct += hit
    best = prepared.progress.best_program_id
    return PuzzleOutcome(name, solved, attempts, correct, prepared.run.name, best)


def _base_name() -> str:
    return f"puzzles-{time.strftime('%Y%m%d-%H%M%S')}-{random.randrange(16**4):04x}"


def evaluate_solutions(
    solutions: Mapping[str, str], *, suite_spec: str = "builtin", split: str | None = None
) -> dict[str, Any]:
    """{suite, solved, total, per_puzzle: {name: status}} for {puzzle_name: source}.

    A status is "solved", "unsolved" (a well-typed answer that sat rejects), "missing" (no
    solution given), or the evaluation's failure ("invalid: ...", "timeout: ...").
    """
    from sandbox import Sandbox

    puzzles = {p["name"]: p for p in load_suite(suite_spec, split)}
    unknown = sorted(set(solutions) - set(puzzles))
    if unknown:
        raise EvolveError(
            f"no puzzle named {', '.join(map(repr, unknown[:5]))} in suite {suite_spec!r}"
        )
    statuses = {name: "missing" for name in puzzles}
    with Sandbox(workers=1, preload=()) as sandbox:
        for name, source in solutions.items():
            statuses[name] = _status(_evaluate_one(sandbox, puzzles[name], source))
    solved = sum(status == "solved" for status in statuses.values())
    return {"suite": suite_spec, "solved": solved, "total": len(puzzles), "per_puzzle": statuses}


def _evaluate_one(sandbox: Any, puzzle: dict[str, Any], source: str) -> Evaluation:
    problem = puzzle_problem(puzzle)
    try:
        program = _program(problem.template, source, puzzle["name"])
    except (EvolveError, PatchError, ProblemError) as error:
        return Evaluation("invalid", error=str(error), error_kind="patch")
    key = f"puzzle:{puzzle['name']}"
    instances = problem.instances("test")
    evaluator = Evaluator(dataclasses.replace(problem, instances=lambda _key: instances), sandbox)
    return asyncio.run(evaluator.evaluate(program, key))


def _program(template: str, source: str, name: str) -> str:
    """A full program as given (with EVOLVE-BLOCK markers), else `sol` put in the template."""
    if not isinstance(source, str):
        raise EvolveError(f"{name}: a solution must be Python source text")
    if "EVOLVE-BLOCK-START" in source or "EVOLVE-BLOCK-END" in source:
        check_template(source, "sol", name)
        return source
    return apply_reply(template, source, "sol")


def _status(evaluation: Evaluation) -> str:
    if evaluation.ok:
        return "solved" if evaluation.score == 1.0 else "unsolved"
    first = (evaluation.error.strip().splitlines() or [""])[0]
    return f"{evaluation.status}: {first}"[:200]
