"""Every problem's baselines on every data set, next to the published numbers.

For each built-in problem with `baselines`, each baseline program is run on each data set
its published numbers are keyed by, in this process (prepare + harness + trusted score +
aggregate, no sandbox), and the table shows our number, the published one and the
evaluation time. The data sets are named ones (`or1`, `funsearch-weibull-5k`,
`eoh-tsp50`, ...): generated, or shipped in the package (problems/data); a data set that
fails to load is reported, not fatal.

    python benchmarks/problem_baselines.py [--problem NAME] [--dataset SUBSTRING]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from problems import Problem, ProblemError, available, load
from problems.base import Baseline


@dataclass(frozen=True)
class Row:
    problem: str
    dataset: str
    baseline: str
    metric: str
    ours: float | None
    published: float
    seconds: float
    note: str = ""


def evaluate(problem: Problem, source: str, data: dict[str, Any]) -> dict[str, float]:
    """Aggregate metrics of `source` on `data`, computed as the engine would (in-process)."""
    namespace: dict[str, Any] = {"__name__": "baseline"}
    exec(compile(source, f"<{problem.name} baseline>", "exec"), namespace)
    entry = namespace[problem.entry]
    per_instance = {}
    for name, instance in data.items():
        prepared = problem.prepare(instance) if problem.prepare else instance
        per_instance[name] = problem.score(instance, problem.run(entry, prepared))
    return problem.aggregate(per_instance)


def rows_of(problem: Problem, baseline: Baseline, datasets: str) -> Iterator[Row]:
    for dataset, published in baseline.published.items():
        if datasets not in dataset:
            continue
        started = time.perf_counter()
        try:
            metrics = evaluate(problem, baseline.source, problem.instances_of(dataset))
        except ProblemError as error:
            for metric, value in published.items():
                yield Row(
                    problem.name, dataset, baseline.name, metric, None, value, 0.0, str(error)
                )
            continue
        seconds = time.perf_counter() - started
        for metric, value in published.items():
            ours = metrics.get(metric)
            yield Row(problem.name, dataset, baseline.name, metric, ours, value, seconds)


def print_table(rows: list[Row]) -> None:
    head = f"{'problem':<14} {'data set':<44} {'baseline':<18} {'metric':<12}"
    print(f"{head} {'ours':>10} {'published':>10} {'diff':>8} {'eval s':>8}")
    for r in rows:
        dataset = r.dataset if len(r.dataset) <= 44 else "..." + r.dataset[-41:]
        left = f"{r.problem:<14} {dataset:<44} {r.baseline:<18} {r.metric:<12}"
        if r.ours is None:
            print(f"{left} {'-':>10} {r.published:>10.4g}    skipped: {r.note}")
            continue
        diff = r.ours - r.published
        print(f"{left} {r.ours:>10.4f} {r.published:>10.4g} {diff:>+8.3f} {r.seconds:>8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", help="only this problem")
    parser.add_argument("--dataset", default="", help="only data sets whose name has this")
    args = parser.parse_args()
    rows: list[Row] = []
    for name in available():
        if args.problem and name != args.problem:
            continue
        try:
            problem = load(name)
        except ProblemError as error:
            print(f"{name}: cannot load: {error}")
            continue
        for baseline in problem.baselines:
            rows.extend(rows_of(problem, baseline, args.dataset))
    print_table(rows)


if __name__ == "__main__":
    main()
