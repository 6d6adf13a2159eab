"""Acceptance rate of realistic LLM replies (tests/replies), per reply style.

Each reply of the corpus goes through the engine's parsing and patching path
(`evolve.patches.apply_reply`) against its problem's template; the children of replies
that a reference harness would run are then evaluated in this process on the problem's
probe instances. Per style: how many replies, how many gave a child, how many gave what
the corpus expects (the intended child, or the expected refusal), and how many of the
replies a reference harness runs were lost (refused, or a child that fails to run).

    python benchmarks/replies.py [--style SUBSTRING] [--show-lost]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.replies

from evolve.patches import evolve_block
from tests.replies.corpus import Case, Outcome, cases, evaluate, patch


@dataclass
class Tally:
    replies: int = 0
    children: int = 0
    as_expected: int = 0
    runnable: int = 0  # a reference harness would run the reply's code
    lost: list[str] = field(default_factory=list)  # runnable, but no working child
    patch_s: list[float] = field(default_factory=list)


def expected(case: Case, outcome: Outcome) -> bool:
    if outcome.child is None:
        return outcome.kind == case.expect and case.message in outcome.message
    block = evolve_block(outcome.child)[1]
    return (
        case.expect == "ok"
        and all(text in block for text in case.contains)
        and not any(text in block for text in case.lacks)
    )


def tally(chosen: list[Case]) -> dict[str, Tally]:
    by_style: dict[str, Tally] = defaultdict(Tally)
    for case in chosen:
        row = by_style[case.style]
        started = time.perf_counter()
        outcome = patch(case)
        row.patch_s.append(time.perf_counter() - started)
        row.replies += 1
        row.children += outcome.child is not None
        row.as_expected += expected(case, outcome)
        if case.reference == "accept":
            row.runnable += 1
            failure = outcome.message if outcome.child is None else evaluate(case, outcome.child)
            if failure:
                row.lost.append(f"{case.id}: {outcome.kind}: {failure.splitlines()[0]}")
    return by_style


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--style", default="", help="only styles containing this")
    parser.add_argument("--show-lost", action="store_true", help="list the lost replies")
    args = parser.parse_args()
    chosen = [c for c in cases() if args.style in c.style]
    by_style = tally(chosen)
    head = f"{'style':28} {'replies':>7} {'child':>6} {'accepted':>8} {'expected':>8}"
    print(head, f"{'runnable':>8} {'lost':>5}   patch ms (median)")
    for style, row in sorted(by_style.items()):
        median_ms = 1000 * statistics.median(row.patch_s)
        rate = 100 * row.children / row.replies
        print(
            f"{style:28} {row.replies:7d} {row.children:6d} {rate:7.1f}% {row.as_expected:8d} "
            f"{row.runnable:8d} {len(row.lost):5d}   {median_ms:.2f}"
        )
    runnable = sum(r.runnable for r in by_style.values())
    lost = [line for r in by_style.values() for line in r.lost]
    total = sum(r.replies for r in by_style.values())
    accepted = sum(r.children for r in by_style.values())
    matching = sum(r.as_expected for r in by_style.values())
    print(f"\n{total} replies: {accepted} gave a child ({100 * accepted / total:.1f} %), "
          f"{matching} as expected ({100 * matching / total:.1f} %)")  # fmt: skip
    share = 100 * len(lost) / runnable if runnable else 0.0
    print(f"of the {runnable} replies a reference harness runs, {len(lost)} lost ({share:.1f} %)")
    if args.show_lost:
        print("\n".join(f"  {line}" for line in lost))


if __name__ == "__main__":
    main()
