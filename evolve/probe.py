"""Enlarging the probe when audits show that it cannot tell programs apart.

A child whose outputs on the small `probe` instances were seen before in the run (a
functional duplicate) is not evaluated in full: it takes its twin's score. A few of them
(the audit rate) are evaluated anyway. An audit that scores differently from its twin is a
collision: the probe could not tell the two programs apart. When the collisions are too
many to be bad luck at an acceptable rate (a one-sided binomial test: a collision rate
above MAX_RATE, at significance SIGNIFICANCE), the probe grows: the first train instances
join it (a quarter of them, then half, then all), and the functional hashes start afresh
under the new probe's name, so that no hash taken on the old probe matches a new one.
Only the audits since the last enlargement count towards the next one.

The state is kept in the run's JSON state (`run.state["probe"]`), so a resumed run goes
on with the enlarged probe and `evolve stats` can say when it grew.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from archive import ProgramRecord
from archive.records import COLLISION_TOLERANCE
from evolve.evaluate import probe_split

__all__ = [
    "MAX_RATE",
    "SIGNIFICANCE",
    "ProbeGrowth",
    "collided",
    "describe_collisions",
    "too_many_collisions",
]

MAX_RATE = 0.02  # collisions per audit that the run accepts
SIGNIFICANCE = 0.01  # chance of enlarging the probe when the true rate is MAX_RATE
TRAIN_FRACTIONS = (0.25, 0.5, 1.0)  # train instances in the probe after each enlargement


def too_many_collisions(collisions: int, audits: int) -> bool:
    """Whether `collisions` in `audits` are unlikely (below SIGNIFICANCE) at a true rate
    of MAX_RATE: P(X >= collisions) for X ~ Binomial(audits, MAX_RATE). For example 2 of
    5 audits, 3 of 20 or 5 of 60 are too many; 1 of any number is not."""
    if collisions <= 0 or audits <= 0:
        return False
    below = math.fsum(_binomial(audits, k, MAX_RATE) for k in range(collisions))
    return 1.0 - below < SIGNIFICANCE


def _binomial(n: int, k: int, p: float) -> float:
    log = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return math.exp(log + k * math.log(p) + (n - k) * math.log1p(-p))


def collided(audit_status: str, audit_score: float | None, original: ProgramRecord) -> bool:
    """Whether an audited duplicate's full evaluation differs from its twin's (the same
    rule as `RunSummary.collisions`)."""
    a, o = audit_score, original.score
    if audit_status != original.status or (a is None) != (o is None):
        return True
    if a is None or o is None:
        return False
    return abs(a - o) > COLLISION_TOLERANCE * max(abs(a), abs(o))


def describe_collisions(collisions: int, audits: int, stored: Mapping[str, Any] | None) -> str:
    """One line for `evolve stats`: the audits' collisions and what they mean."""
    if not audits:
        return "no functional duplicate audited (evaluated anyway) yet"
    line = (
        f"{collisions} of {audits} audited duplicates differed on the full evaluation "
        f"({collisions / audits:.1%})"
    )
    if not collisions:
        return line + ": the probe told programs apart"
    line += ": the probe could not tell them apart"
    enlarged = ProbeState.from_json(stored).enlarged_at
    if enlarged:
        at = ", ".join(map(str, enlarged))
        return f"{line}; the probe was enlarged at evaluation{'s' * (len(enlarged) > 1)} {at}"
    return f"{line}; too few yet to enlarge the probe (more than {MAX_RATE:.0%} is too many)"


@dataclass(frozen=True)
class ProbeState:
    """How far the probe grew, as stored in `run.state["probe"]`.

    Attributes:
        train_instances: train instances added to the problem's probe (0: none).
        enlarged_at: the run's evaluation count at each enlargement.
        audits, collisions: those on the probe as it is now (since it last grew).
    """

    train_instances: int = 0
    enlarged_at: tuple[int, ...] = ()
    audits: int = 0
    collisions: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ProbeState:
        data = data or {}
        return cls(
            int(data.get("train_instances", 0)),
            tuple(int(n) for n in data.get("enlarged_at", ())),
            int(data.get("audits", 0)),
            int(data.get("collisions", 0)),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "train_instances": self.train_instances,
            "enlarged_at": list(self.enlarged_at),
            "audits": self.audits,
            "collisions": self.collisions,
        }


class ProbeGrowth:
    """Counts the audits on the current probe and says when, and to what, it grows."""

    def __init__(self, train_size: int, stored: Mapping[str, Any] | None) -> None:
        self.train_size = train_size
        self.state = ProbeState.from_json(stored)
        self.note = ""  # what the last enlargement was, for the live view

    @property
    def split(self) -> str:
        """The evaluator's split name of the probe as it is now."""
        return probe_split(self.state.train_instances)

    def audited(self, collision: bool, evaluations: int, probe: str) -> bool:
        """Count one audit whose probe outputs were taken on `probe`; True when `state`
        changed (to be stored). Too many collisions on the current probe enlarge it (and
        set `note`); an audit on an older probe (a step in flight when it grew) does not
        count."""
        if probe != self.split:
            return False
        state = self.state
        audits, collisions = state.audits + 1, state.collisions + collision
        larger = self._next_size()
        if larger is None or not too_many_collisions(collisions, audits):
            self.state = replace(state, audits=audits, collisions=collisions)
            return True
        self.state = ProbeState(larger, (*state.enlarged_at, evaluations))
        self.note = (
            f"probe enlarged at evaluation {evaluations}: {collisions} of {audits} audited "
            "functional duplicates differed on the full evaluation (the probe could not tell "
            f"them apart); it now holds {larger} of the {self.train_size} train instances too"
        )
        return True

    def _next_size(self) -> int | None:
        if not self.train_size:
            return None
        for fraction in TRAIN_FRACTIONS:
            size = max(1, math.ceil(fraction * self.train_size))
            if size > self.state.train_instances:
                return size
        return None
