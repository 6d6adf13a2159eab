"""Cost of the trusted harness: the harness in the host, the candidate in its own process.

    python benchmarks/harness_overhead.py [--runs 7]

For each workload, per candidate: the median wall time of a full evaluation through a
one-worker Sandbox (harness in the trusted host, every call of the evolved function a
round trip to the candidate's process, instances in lockstep) against the same harness
and program run in this very process (what the harness cost when it shared the
candidate's process), measured interleaved so that load from other work hits both alike.
Then the fixed per-candidate overhead: a trivial program with no harness.

Targets (DESIGN.md section 7): ratio at most 1.5 (aim 1.2) on bin packing (best fit, 5
Weibull instances of 5,000 items) and constructive TSP; fixed overhead at most 3 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from problems.base import Problem
from problems.loader import load
from sandbox import Limits, Sandbox


def in_process(problem: Problem, instances: dict[str, Any]) -> Callable[[], object]:
    """The harness and the template's function in this process, as before the split."""
    namespace: dict[str, Any] = {}
    exec(compile(problem.template, "<template>", "exec"), namespace)
    function = namespace[problem.entry]
    prepared = {k: problem.prepare(v) if problem.prepare else v for k, v in instances.items()}
    return lambda: {k: problem.run(function, v) for k, v in prepared.items()}


def sandboxed(problem: Problem, sandbox: Sandbox, key: str) -> Callable[[], object]:
    def call() -> object:
        result = sandbox.run(
            problem.template, problem.entry, harness=problem.harness_ref, shared=key
        )
        assert result.ok, result.error
        return result.value

    return call


def measure(calls: list[Callable[[], object]], runs: int) -> list[float]:
    """Median milliseconds per call of each of `calls`, interleaved, after a warm-up."""
    for call in calls:
        call()
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(runs):
        for call, sink in zip(calls, times, strict=True):
            start = time.perf_counter()
            call()
            sink.append((time.perf_counter() - start) * 1000)
    return [statistics.median(t) for t in times]


def workloads() -> dict[str, tuple[Problem, dict[str, Any]]]:
    from problems.bin_packing import weibull
    from problems.tsp_common.datasets import uniform

    bin_packing, tsp = load("bin_packing"), load("tsp_construct")
    return {
        "bin_packing: best fit, Weibull 5 x 5,000": (bin_packing, weibull(5, 5_000, 3)),
        "tsp_construct: nearest neighbour, 64 x 100": (tsp, uniform(100, 64, 7)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    limits = Limits(timeout_s=120, memory_mb=2048)
    print(f"{'workload':45s} {'in-process ms':>14s} {'trusted ms':>11s} {'ratio':>6s}")
    with Sandbox(1, limits=limits) as sandbox:
        for name, (problem, instances) in workloads().items():
            sandbox.share(name, instances, prepare=problem.prepare_ref)
            calls = [in_process(problem, instances), sandboxed(problem, sandbox, name)]
            local, trusted = measure(calls, options.runs)
            print(f"{name:45s} {local:14.1f} {trusted:11.1f} {trusted / local:6.2f}")
        trivial = "def f():\n    return 1\n"
        fixed = measure([lambda: sandbox.run(trivial, "f")], options.runs * 20)[0]
        print(f"fixed per-candidate overhead (trivial program): {fixed:.2f} ms median")
    load_avg = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load_avg} (other work inflates all numbers)")


if __name__ == "__main__":
    main()
