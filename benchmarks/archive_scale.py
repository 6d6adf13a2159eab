"""The archive at scale: a run of 1,000,000 programs, and what the engine's reads cost there.

1. Generate: one run of N synthetic programs (statuses, scores, hashes, one parent each,
   some duplicates and audits), bulk-inserted in batches by a separate process.
2. Time (median of repeated calls, ms): `top_programs(k=10)`; parent selection as the
   engine does it (the records of 2 sampled ids, then `recent_failures` of them);
   `find_by_syntactic_hash` / `find_by_functional_hash`; `lineage`; and, for inspection
   only, `summary` and `best_over_time` (they scan the run). Target: ≤ 20 ms for the first.
3. Memory: the controller's RSS before opening the archive and after all the queries (the
   archive holds no programs in RAM), and the memory the FunSearch strategy holds after
   N programs were added, for growing N (flat: its clusters are capped), by tracemalloc.

    python benchmarks/archive_scale.py [--programs 1000000] [--db URL] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from archive import Archive
from archive.database import open_engine
from archive.tables import LineageRow, ProgramRow, utc_now
from evolve.strategies.base import ScoredProgram
from evolve.strategies.funsearch import FunSearchConfig, FunSearchStrategy

BATCH = 20_000
TARGET_MS = 20.0
STATUSES = ["ok"] * 70 + ["error"] * 10 + ["timeout"] * 3 + ["patch_error"] * 5 + ["dup"] * 12


def _source(i: int) -> str:
    return (
        "def priority(item: float, bins: np.ndarray) -> np.ndarray:\n"
        f'    """Variant {i}."""\n'
        f"    ratio = item / bins * {1 + i % 997 / 1000:.3f}\n"
        f"    return -(bins - item) + {i % 89} * np.log(ratio + 1e-9)\n"
    )


def _row(rng: random.Random, run_id: int, i: int, first_id: int) -> tuple[dict, dict | None]:
    """Program number i (id first_id + i) and its lineage edge."""
    source = _source(i)
    program: dict[str, Any] = {
        "run_id": run_id, "source": source, "parent_ids": [], "island": i % 10,
        "status": "ok", "score": None, "scores": {}, "metrics": {}, "error": "",
        "error_kind": "", "syntactic_hash": hashlib.sha256(source.encode()).hexdigest(),
        "functional_hash": f"{rng.getrandbits(64):016x}", "duplicate_of": None,
        "llm_call_id": None, "eval_s": rng.uniform(0.05, 2.0), "created_at": utc_now(),
        "duplicate_kind": "",
    }  # fmt: skip
    if i == 0:
        program.update(score=-5.0, island=None)
        return program, None
    parent = first_id + rng.randrange(i)
    program["parent_ids"] = [parent]
    status = rng.choice(STATUSES)
    if status == "dup":
        program.update(status="duplicate", duplicate_of=parent, eval_s=0.01)
        program["duplicate_kind"] = rng.choice(("syntactic", "functional"))
    elif status == "ok":
        program["score"] = -5.0 + 4.0 * (i / 1e6) + rng.gauss(0, 0.5)
        if rng.random() < 0.01:
            program.update(duplicate_of=parent, duplicate_kind="functional_audit")
    else:
        program.update(status=status, error=f"{status} in line 3", error_kind=f"x:{status}")
    return program, {"child_id": first_id + i, "position": 0, "parent_id": parent}


def generate(url: str, run_id: int, programs: int) -> None:
    """Bulk-insert the run's programs, BATCH per transaction (ids are assigned in order)."""
    engine = open_engine(url)
    rng = random.Random(0)
    with engine.begin() as connection:
        first_id = connection.execute(insert(ProgramRow).values(**_row(rng, run_id, 0, 0)[0]))
        seed_id = first_id.inserted_primary_key[0]
    for start in range(1, programs, BATCH):
        rows = [_row(rng, run_id, i, seed_id) for i in range(start, min(start + BATCH, programs))]
        with engine.begin() as connection:
            connection.execute(insert(ProgramRow), [program for program, _ in rows])
            connection.execute(insert(LineageRow), [edge for _, edge in rows if edge])
    engine.dispose()


def rss_mib() -> float:
    """This process's resident memory (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def median_ms(function: Callable[[], object], repeat: int) -> float:
    function()  # warm the caches once
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def time_queries(archive: Archive, run_id: int, first: int, last: int) -> dict[str, float]:
    rng = random.Random(1)
    known = archive.get_programs([rng.randint(first, last) for _ in range(20)])

    def select_parents() -> None:
        ids = [rng.randint(first, last) for _ in range(2)]
        archive.get_programs(ids)
        archive.recent_failures(run_id, ids)

    def find_syntactic() -> None:
        archive.find_by_syntactic_hash(run_id, rng.choice(known).syntactic_hash)
        archive.find_by_syntactic_hash(run_id, f"{rng.getrandbits(64):x}")  # absent

    def find_functional() -> None:
        archive.find_by_functional_hash(run_id, rng.choice(known).functional_hash or "")
        archive.find_by_functional_hash(run_id, f"{rng.getrandbits(64):x}")

    return {
        "top_programs(k=10)": median_ms(lambda: archive.top_programs(run_id, 10), 50),
        "parent selection (2 records + recent failures)": median_ms(select_parents, 200),
        "find_by_syntactic_hash (hit + miss)": median_ms(find_syntactic, 200),
        "find_by_functional_hash (hit + miss)": median_ms(find_functional, 200),
        "lineage (a random program)": median_ms(
            lambda: archive.lineage(rng.randint(first, last)), 50
        ),
        "summary (scans the run; inspection only)": median_ms(lambda: archive.summary(run_id), 3),
        "best_over_time (scans; inspection only)": median_ms(
            lambda: archive.best_over_time(run_id), 3
        ),
    }


def strategy_memory_mib(count: int) -> float:
    """Memory the FunSearch strategy holds after `count` programs were added (tracemalloc).

    Programs are made on the fly, so only those the strategy keeps stay allocated.
    """
    rng = random.Random(2)
    tracemalloc.start()
    strategy = FunSearchStrategy(FunSearchConfig(num_islands=4), seed=0)
    for i in range(count):
        score = round(rng.gauss(-3, 1), 2)
        signature = tuple(round(score + rng.gauss(0, 0.1), 2) for _ in range(5))
        strategy.add(ScoredProgram(i, score, signature, rng.randrange(200, 800), i % 4))
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return held / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=1_000_000)
    parser.add_argument("--db", help="archive URL [default: a temporary SQLite file]")
    parser.add_argument("--strategy-programs", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="archive-scale-")
    url = args.db or f"sqlite:///{folder}/scale.db"
    rss_start = rss_mib()
    with Archive(url) as archive:
        run = archive.create_run(f"scale-{time.time_ns()}", "bin_packing", {}, 0)
    started = time.perf_counter()
    worker = multiprocessing.get_context("spawn").Process(
        target=generate, args=(url, run.id, args.programs)
    )
    worker.start()
    worker.join()
    print(f"generated {args.programs:,} programs in {time.perf_counter() - started:.1f} s"
          f"  ({url})")  # fmt: skip
    _report(url, run.id, rss_start, args.strategy_programs)
    if args.db is None and not args.keep:
        for path in Path(folder).iterdir():
            path.unlink()
        Path(folder).rmdir()


def _report(url: str, run_id: int, rss_start: float, strategy_programs: int) -> None:
    with Archive(url) as archive:
        summary = archive.summary(run_id)
        first = next(iter(archive.iter_programs(run_id, batch=1))).id  # the seed
        last = first + summary.programs - 1
        results = time_queries(archive, run_id, first, last)
        rss_end = rss_mib()
    print(f"archive: {summary.programs:,} programs, {summary.evaluations:,} evaluations")
    for name, ms in results.items():
        flag = "" if "inspection" in name else ("  ok" if ms <= TARGET_MS else "  OVER 20 ms")
        print(f"  {name:<48} {ms:9.2f} ms{flag}")
    print(f"controller RSS: {rss_start:.0f} MiB before opening the archive, "
          f"{rss_end:.0f} MiB after all the queries")  # fmt: skip
    sizes = sorted({strategy_programs // 100, strategy_programs // 10, strategy_programs})
    held = ", ".join(f"{n:,}: {strategy_memory_mib(n):.1f} MiB" for n in sizes if n)
    print(f"FunSearch strategy memory after N programs added (bounded by its caps): {held}")


if __name__ == "__main__":
    main()
