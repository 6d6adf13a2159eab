"""What every search strategy provides: pick parents for the next prompt, learn new programs.

A strategy holds light `ScoredProgram` values only (no sources: those stay in the archive),
so its memory is small, and it can be rebuilt from the archive on resume.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ScoredProgram", "Selection", "Strategy"]


@dataclass(frozen=True)
class ScoredProgram:
    """What a strategy knows of an evaluated program.

    Attributes:
        id: the program's id in the archive.
        score: the aggregate score (finite; higher is better).
        signature: per-instance scores, in a fixed instance order.
        length: source length in characters (shorter programs are favoured).
        island: the island the engine assigned; None for seeds (and unknown).
    """

    id: int
    score: float
    signature: tuple[float, ...]
    length: int
    island: int | None


@dataclass(frozen=True)
class Selection:
    """The programs for one prompt.

    Attributes:
        island: where the child will live (the engine stores it as the child's island).
        parent_ids: ascending score; the last is the program to improve.
    """

    island: int
    parent_ids: tuple[int, ...]


class Strategy(ABC):
    """A search strategy: `select` parents, `add` evaluated programs."""

    @abstractmethod
    def select(self, rng: random.Random) -> Selection:
        """Programs for the next prompt; all randomness comes from `rng`."""

    @abstractmethod
    def add(self, program: ScoredProgram) -> int:
        """Register an evaluated program (status ok, finite score); return its island.

        A program with `island` None is a seed: it goes to every island.
        """

    def rebuild(self, programs: Iterable[ScoredProgram]) -> None:
        """Restore the state from the archive's programs in id order (on a fresh strategy)."""
        for program in programs:
            self.add(program)

    def on_failure(self, island: int) -> None:  # noqa: B027 - an optional hook
        """Called when a child of `island` fails; does nothing by default."""

    @property
    @abstractmethod
    def size(self) -> int:
        """Number of programs registered."""
