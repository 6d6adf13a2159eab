"""The overfit guard: a run's result is judged on instances the search never saw.

When a run stops, the top `k` programs by search score (distinct ones: a program whose
per-instance search scores repeat a better one's is skipped) and the seed program are
evaluated on the problem's held-out test split (drawn from the run's secret seed where the
problem draws its instances; never in a prompt). The run's result is the best of them by
TEST score. It is flagged when it does no better there than the seed program: whatever the
search found did not carry over to unseen instances (it memorised the search instances,
or it found nothing). Results are stored per program in the archive (`validations`) and
the verdict in the run's state, so `evolve runs`, `show` and `export` read them later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from archive import Archive, NewValidation, ProgramRecord, ValidationRecord
from evolve.evaluate import Evaluation

__all__ = ["Checked", "Verdict", "beats", "judge", "revalidate"]

TOLERANCE = 1e-9  # relative: a test score this close to the seed's is no better
CANDIDATES = 4  # programs read per re-validated one, to skip copies of the same behaviour

Evaluate = Callable[[str], Awaitable[Evaluation]]


@dataclass(frozen=True)
class Checked:
    """One re-validated program: its search score beside its held-out result."""

    program_id: int
    search_score: float | None
    status: str
    test_score: float | None
    error: str = ""
    is_seed: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.test_score is not None

    @property
    def gap(self) -> float | None:
        """Search score minus test score (positive: worse on held-out instances)."""
        if self.search_score is None or self.test_score is None:
            return None
        return self.search_score - self.test_score

    def as_json(self) -> dict[str, Any]:
        return {
            "program_id": self.program_id,
            "search_score": self.search_score,
            "test_score": self.test_score,
            "gap": self.gap,
            "status": self.status,
            "error": self.error[:300],
            "is_seed": self.is_seed,
        }


def beats(score: float | None, seed_score: float | None) -> bool:
    """Whether a held-out score is better than the seed's (a failed seed is beaten by any)."""
    if score is None:
        return False
    if seed_score is None:
        return True
    return score > seed_score + TOLERANCE * max(1.0, abs(seed_score))


@dataclass(frozen=True)
class Verdict:
    """The run's result by held-out score, beside the seed's, and whether it is flagged."""

    k: int
    draw_seed: int | None
    checked: tuple[Checked, ...]  # by search score, best first; the seed included
    result: Checked | None  # best by test score among the top k
    seed: Checked | None
    search_best: Checked | None
    flagged: bool
    reason: str

    def as_json(self) -> dict[str, Any]:
        """What the run's state, `--json` and the inspection commands read."""
        result, seed = self.result, self.seed
        gain = None
        if result is not None and result.test_score is not None and seed is not None:
            gain = None if seed.test_score is None else result.test_score - seed.test_score
        return {
            "k": self.k,
            "split": "test",
            "draw_seed": self.draw_seed,
            "program_id": None if result is None else result.program_id,
            "status": "none" if result is None else result.status,
            "score": None if result is None else result.test_score,
            "search_score": None if result is None else result.search_score,
            "gap": None if result is None else result.gap,
            "seed_program_id": None if seed is None else seed.program_id,
            "seed_test_score": None if seed is None else seed.test_score,
            "seed_search_score": None if seed is None else seed.search_score,
            "gain": gain,
            "search_best": None if self.search_best is None else self.search_best.as_json(),
            "flagged": self.flagged,
            "reason": self.reason,
            "validated": [c.as_json() for c in self.checked],
        }


def judge(
    top: list[Checked], seed: Checked | None, k: int, draw_seed: int | None = None
) -> Verdict:
    """The verdict on the re-validated top `k` (best search score first) and the seed."""
    search_best = top[0] if top else None
    valid = [c for c in top if c.ok]
    result = max(valid, key=lambda c: (c.test_score, c.search_score, -c.program_id), default=None)
    seed_test = seed.test_score if seed is not None and seed.ok else None
    flagged, reason = _flag(result, seed, search_best, seed_test, k)
    checked = tuple(top) + ((seed,) if seed is not None and seed not in top else ())
    return Verdict(k, draw_seed, checked, result, seed, search_best, flagged, reason)


def _flag(
    result: Checked | None,
    seed: Checked | None,
    search_best: Checked | None,
    seed_test: float | None,
    k: int,
) -> tuple[bool, str]:
    if result is None:
        return True, f"none of the top {k} programs ran correctly on the held-out test split"
    if beats(result.test_score, seed_test) and not result.is_seed:
        if seed_test is None:
            return False, "the seed program failed on the held-out test split"
        note = ""
        if search_best is not None and search_best.program_id != result.program_id:
            note = (
                f"; the search's best (program {search_best.program_id}) scores "
                f"{_num(search_best.test_score)} there"
            )
        return False, f"better than the seed on held-out test instances{note}"
    seed_search = seed.search_score if seed is not None else None
    improved = search_best is not None and beats(search_best.search_score, seed_search)
    if improved and search_best is not None:
        return True, (
            f"overfit: the search's best (program {search_best.program_id}) beats the seed on "
            f"the search instances ({_num(search_best.search_score)} vs {_num(seed_search)}), "
            f"but none of the top {k} beats it on held-out test instances "
            f"({_num(result.test_score)} vs {_num(seed_test)})"
        )
    return True, "no better than the seed: the search found no improvement over it"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.6g}"


async def revalidate(
    archive: Archive,
    run_id: int,
    evaluate: Evaluate,
    *,
    k: int,
    draw_seed: int | None,
    concurrency: int = 1,
) -> Verdict:
    """Evaluate the top `k` programs and the seed on the test split, store each result,
    and judge. A program already validated on the same draw (a resumed run) is reused."""
    top = _distinct(archive.top_programs(run_id, CANDIDATES * k))[:k]
    seed = archive.seed_program(run_id)
    programs = {p.id: p for p in top}
    if seed is not None and seed.status == "ok":
        programs.setdefault(seed.id, seed)
    stored = archive.validations(run_id, list(programs))
    slots = asyncio.Semaphore(max(1, concurrency))

    async def one(program: ProgramRecord) -> ValidationRecord:
        earlier = stored.get(program.id)
        if earlier is not None and earlier.draw_seed == draw_seed and earlier.status == "ok":
            return earlier
        async with slots:
            evaluation = await evaluate(program.source)
        return archive.add_validation(run_id, _new_validation(program.id, evaluation, draw_seed))

    records = await asyncio.gather(*(one(p) for p in programs.values()))
    seed_id = None if seed is None else seed.id
    checked = {
        r.program_id: Checked(
            program_id=r.program_id,
            search_score=programs[r.program_id].score,
            status=r.status,
            test_score=r.score,
            error=r.error,
            is_seed=r.program_id == seed_id,
        )
        for r in records
    }
    seed_checked = None if seed_id is None else checked.get(seed_id)
    return judge([checked[p.id] for p in top], seed_checked, k, draw_seed)


def _distinct(programs: list[ProgramRecord]) -> list[ProgramRecord]:
    """The programs less those whose per-instance search scores repeat an earlier one's:
    most likely the same behaviour, which would spend a held-out evaluation on a copy."""
    seen: set[tuple[tuple[str, float], ...]] = set()
    kept = []
    for program in programs:
        signature = tuple(sorted(program.scores.items()))
        if signature not in seen:
            seen.add(signature)
            kept.append(program)
    return kept


def _new_validation(
    program_id: int, evaluation: Evaluation, draw_seed: int | None
) -> NewValidation:
    return NewValidation(
        program_id=program_id,
        status=evaluation.status,
        score=evaluation.score,
        scores=evaluation.scores,
        metrics=evaluation.metrics,
        error=evaluation.error,
        error_kind=evaluation.error_kind,
        eval_s=evaluation.eval_s,
        draw_seed=draw_seed,
    )
