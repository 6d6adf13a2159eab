"""Per-candidate overhead of the sandbox for a trivial program, next to a fresh process.

    python benchmarks/sandbox_overhead.py [--runs 200] [--no-numpy] [--compare-layers]

Prints median and p90 milliseconds for (a) a warm one-worker Sandbox with every layer
this machine allows (fork from the zygote, Landlock, rlimits, seccomp, run, report) and
(b) a fresh `python3 -c` subprocess per candidate, in the same run, and the ratio; then
which layers were active. Targets: sandbox median <= 3 ms, at least 5x faster than (b).

--compare-layers also runs sandboxes without Landlock and seccomp, and without any
optional layer, interleaved call by call with the full one, so that load from other
work hits all of them alike and their difference is the layers' own cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from sandbox import Limits, Sandbox
from sandbox.layers import probe_layers

PROGRAM = "def f():\n    return 1\n"
VARIANTS: dict[str, tuple[str, ...]] = {
    "sandbox (warm zygote, fork)": (),
    "  without landlock, seccomp": ("landlock", "seccomp"),
    "  without any optional layer": ("namespaces", "landlock", "seccomp"),
}


def measure(calls: Sequence[Callable[[], object]], runs: int) -> list[list[float]]:
    """Milliseconds per call for each of `calls`, interleaved, after a few warm-up calls."""
    for call in calls:
        for _ in range(5):
            call()
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(runs):
        for call, out in zip(calls, times, strict=True):
            start = time.perf_counter()
            call()
            out.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[int(0.9 * (len(ordered) - 1))]


def fresh_process() -> None:
    code = PROGRAM + "import json; print(json.dumps(f()))"
    subprocess.run([sys.executable, "-I", "-c", code], check=True, capture_output=True)


def runner(sandbox: Sandbox) -> Callable[[], None]:
    def sandboxed() -> None:
        assert sandbox.run(PROGRAM, "f").value == 1

    return sandboxed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--no-numpy", action="store_true", help="zygote without numpy")
    parser.add_argument(
        "--compare-layers", action="store_true", help="also time sandboxes with fewer layers"
    )
    options = parser.parse_args()
    preload = () if options.no_numpy else ("numpy",)
    variants = dict(VARIANTS) if options.compare_layers else dict(list(VARIANTS.items())[:1])
    load_before = os.getloadavg()
    sandboxes = [
        Sandbox(1, limits=Limits(timeout_s=5), preload=preload, without_layers=without)
        for without in variants.values()
    ]
    try:
        results = measure([runner(s) for s in sandboxes], options.runs)
    finally:
        for sandbox in sandboxes:
            sandbox.close()
    fresh = summary(measure([fresh_process], max(options.runs // 4, 10))[0])
    print(f"{'':30}{'median ms':>10}{'p90 ms':>10}")
    for name, times in zip(variants, results, strict=True):
        median, p90 = summary(times)
        print(f"{name:30}{median:10.2f}{p90:10.2f}")
    print(f"{'fresh python3 -c':30}{fresh[0]:10.2f}{fresh[1]:10.2f}")
    full = summary(results[0])[0]
    print(f"ratio fresh/sandbox (median): {fresh[0] / full:.1f}x; preload={list(preload)}")
    active = [layer.name for layer in probe_layers() if layer.active]
    missing = [layer.name for layer in probe_layers() if not layer.active]
    print(f"layers active: {', '.join(active)}; missing: {', '.join(missing) or 'none'}")
    load = ", ".join(f"{a:.2f}->{b:.2f}" for a, b in zip(load_before, os.getloadavg(), strict=True))
    print(f"{os.cpu_count()} cores, load average {load} (other work inflates all numbers)")


if __name__ == "__main__":
    main()
