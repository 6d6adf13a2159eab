"""Per-candidate overhead of the sandbox for a trivial program, next to a fresh process.

    python benchmarks/sandbox_overhead.py [--runs 200] [--no-numpy]

Prints median and p90 milliseconds for (a) a warm one-worker Sandbox with every layer
this machine allows (fork from the zygote, Landlock, rlimits, seccomp, run, report) and
(b) a fresh `python3 -c` subprocess per candidate, in the same run, and the ratio; then
which layers were active. Targets: sandbox median <= 3 ms, at least 5x faster than (b).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from sandbox import Limits, Sandbox
from sandbox.layers import probe_layers

PROGRAM = "def f():\n    return 1\n"


def measure(call: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds per call, after a few warm-up calls."""
    for _ in range(5):
        call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[int(0.9 * (len(ordered) - 1))]


def fresh_process() -> None:
    code = PROGRAM + "import json; print(json.dumps(f()))"
    subprocess.run([sys.executable, "-I", "-c", code], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--no-numpy", action="store_true", help="zygote without numpy")
    options = parser.parse_args()
    preload = () if options.no_numpy else ("numpy",)
    with Sandbox(1, limits=Limits(timeout_s=5), preload=preload) as sandbox:

        def sandboxed() -> None:
            assert sandbox.run(PROGRAM, "f").value == 1

        zygote = summary(measure(sandboxed, options.runs))
    fresh = summary(measure(fresh_process, max(options.runs // 4, 10)))
    print(f"{'':28}{'median ms':>10}{'p90 ms':>10}")
    print(f"{'sandbox (warm zygote, fork)':28}{zygote[0]:10.2f}{zygote[1]:10.2f}")
    print(f"{'fresh python3 -c':28}{fresh[0]:10.2f}{fresh[1]:10.2f}")
    print(f"ratio fresh/sandbox (median): {fresh[0] / zygote[0]:.1f}x; preload={list(preload)}")
    active = [layer.name for layer in probe_layers() if layer.active]
    missing = [layer.name for layer in probe_layers() if not layer.active]
    print(f"layers active: {', '.join(active)}; missing: {', '.join(missing) or 'none'}")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load} (other work inflates both numbers)")


if __name__ == "__main__":
    main()
