"""How a program does off its training distribution: `evolve generalize`.

A program found on one set of instances is evaluated on every data set its problem lists
for this (`Problem.generalization`: other sizes, other distributions, published sets),
beside the problem's baseline programs (run in the same sandbox, on the same instances)
and its trusted reference solvers (classic algorithms, run here). Each data set is one
row; the program wins a row against a contestant when its score is higher.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from evolve.evaluate import Evaluation, Evaluator
from problems.base import InvalidOutput, Problem, ProblemError

__all__ = ["PROGRAM", "Entry", "Report", "Row", "generalize"]

PROGRAM = "program"  # the contestant name of the program under test
TIE = 1e-9  # relative score difference below which two contestants tie


@dataclass(frozen=True)
class Entry:
    """One contestant on one data set: its score and metrics, or why it has none."""

    score: float | None
    metrics: dict[str, float] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Row:
    """One data set: how many instances, and every contestant's entry."""

    dataset: str
    instances: int
    entries: dict[str, Entry]
    error: str = ""  # the data set itself could not be loaded

    def outcome(self, rival: str) -> str:
        """ "win", "loss", "tie" or "" (no comparison) of the program against `rival`."""
        ours, theirs = self.entries.get(PROGRAM), self.entries.get(rival)
        if ours is None or theirs is None or theirs.score is None:
            return ""
        if ours.score is None:
            return "loss"
        scale = max(abs(ours.score), abs(theirs.score), 1.0)
        if abs(ours.score - theirs.score) <= TIE * scale:
            return "tie"
        return "win" if ours.score > theirs.score else "loss"


@dataclass(frozen=True)
class Report:
    """The table `evolve generalize` prints (and `--json` writes)."""

    problem: str
    program: str
    rivals: list[str]
    rows: list[Row]
    headline: tuple[str, ...] = ()

    def tally(self, rival: str) -> dict[str, int]:
        """{"win": w, "loss": l, "tie": t} of the program against `rival` over the rows."""
        counts = {"win": 0, "loss": 0, "tie": 0}
        for row in self.rows:
            outcome = row.outcome(rival)
            if outcome:
                counts[outcome] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "problem": self.problem,
            "program": self.program,
            "rivals": self.rivals,
            "tally": {rival: self.tally(rival) for rival in self.rivals},
            "rows": [
                {
                    "dataset": row.dataset,
                    "instances": row.instances,
                    "error": row.error,
                    "entries": {k: dataclasses.asdict(v) for k, v in row.entries.items()},
                    "outcomes": {rival: row.outcome(rival) for rival in self.rivals},
                }
                for row in self.rows
            ],
        }


def generalize(
    problem: Problem,
    source: str,
    *,
    label: str = PROGRAM,
    datasets: Sequence[str] | None = None,
    timeout_s: float = 300.0,
    workers: int | None = None,
    on_row: Callable[[Row], None] | None = None,
) -> Report:
    """Evaluates `source` and the problem's baselines and references on each data set
    (default: `problem.generalization`), in a sandbox of `workers` (default: one per core)."""
    names = list(datasets if datasets is not None else problem.generalization)
    if not names:
        raise ProblemError(
            f"problem {problem.name} lists no data sets to generalize on; name some with "
            f"--dataset (see `evolve problems`)"
        )
    rivals = [b.name for b in problem.baselines] + list(problem.references)
    rows = asyncio.run(
        _evaluate_all(problem, source, names, timeout_s, workers or os.cpu_count() or 1, on_row)
    )
    return Report(problem.name, label, rivals, rows, problem.headline)


async def _evaluate_all(
    problem: Problem,
    source: str,
    names: list[str],
    timeout_s: float,
    workers: int,
    on_row: Callable[[Row], None] | None,
) -> list[Row]:
    from sandbox import Sandbox

    loaded: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    for name in names:
        try:
            loaded[name] = problem.instances_of(name)
        except ProblemError as error:
            failed[name] = str(error)
    by_dataset = dataclasses.replace(
        problem, instances=functools.partial(_dataset, loaded), seeded=False
    )
    programs = {PROGRAM: source, **{b.name: b.source for b in problem.baselines}}
    with Sandbox(workers=workers, preload=problem.preload, sys_path=problem.sys_path) as box:
        evaluator = Evaluator(by_dataset, box, timeout_s=timeout_s)
        done: list[Row] = []
        for name in names:
            if name in loaded:
                row = await _row(problem, evaluator, programs, name, loaded[name])
            else:
                row = Row(name, 0, {}, failed[name])
            if on_row is not None:
                on_row(row)
            done.append(row)
    return done


async def _row(
    problem: Problem,
    evaluator: Evaluator,
    programs: dict[str, str],
    name: str,
    instances: dict[str, Any],
) -> Row:
    """Every contestant on one data set; the programs run concurrently in the sandbox."""
    await asyncio.to_thread(evaluator.share, name)
    runs = [evaluator.evaluate(text, name) for text in programs.values()]
    solved = [
        asyncio.to_thread(_reference, problem, solver, instances)
        for solver in problem.references.values()
    ]
    results = await asyncio.gather(*runs, *solved)
    contestants = [*programs, *problem.references]
    entries: dict[str, Entry] = {}
    for who, result in zip(contestants, results, strict=True):
        entries[who] = _entry(result) if isinstance(result, Evaluation) else result  # type: ignore[assignment]
    return Row(name, len(instances), entries)


def _dataset(loaded: dict[str, dict[str, Any]], split: str) -> dict[str, Any]:
    return loaded[split]


def _entry(evaluation: Evaluation) -> Entry:
    error = (
        "" if evaluation.ok else f"{evaluation.error_kind or evaluation.status}: {evaluation.error}"
    )
    return Entry(evaluation.score, dict(evaluation.metrics), error, evaluation.eval_s)


def _reference(problem: Problem, solver: Callable[[Any], Any], instances: dict[str, Any]) -> Entry:
    """A trusted solver's outputs, scored by the problem's own check."""
    started = time.perf_counter()
    try:
        per_instance = {k: problem.score(v, solver(v)) for k, v in instances.items()}
        metrics = problem.aggregate(per_instance)
    except InvalidOutput as error:  # a bug of the reference: say so, do not stop
        return Entry(None, error=f"reference solver refused: {error}")
    score = metrics.get("score")
    if score is None or not math.isfinite(score):
        return Entry(None, error=f"aggregate score is {score!r}")
    return Entry(float(score), dict(metrics), seconds=time.perf_counter() - started)
