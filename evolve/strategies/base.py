"""What every search strategy provides: pick parents for the next prompt, learn new programs.

A strategy holds light `ScoredProgram` values only (no sources: those stay in the archive),
so its memory is small; on resume the engine adds the archive's programs again, in id
order, to a fresh strategy, so `add` must be deterministic given `seed`.

A new strategy is one module with a `Strategy` subclass (a `name`, a frozen `config_class`
whose fields are the `[strategy]` table's keys) and one registration: an entry point in the
`evolve.strategies` group, or `evolve.strategies.register` (see evolve/strategies/registry.py).
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = ["ScoredProgram", "Selection", "Strategy"]


@dataclass(frozen=True)
class ScoredProgram:
    """What a strategy knows of an evaluated program.

    Attributes:
        id: the program's id in the archive.
        score: the aggregate score (finite; higher is better).
        signature: per-instance scores, in a fixed instance order.
        length: source length in characters (shorter programs are favoured).
        island: the island (group) the engine assigned; None for seeds (and unknown).
        metrics: the aggregate metrics of the evaluation (`score` among them): behaviour
            descriptors for a strategy that wants them (MAP-Elites).
    """

    id: int
    score: float
    signature: tuple[float, ...]
    length: int
    island: int | None
    metrics: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Selection:
    """The programs for one prompt.

    Attributes:
        island: where the child will live (the engine stores it as the child's island);
            None for a strategy without islands or groups.
        parent_ids: ascending score; the last is the program to improve.
    """

    island: int | None
    parent_ids: tuple[int, ...]


class Strategy(ABC):
    """A search strategy: `select` parents, `add` evaluated programs; `on_failure` is an
    optional hook.

    Attributes:
        name: the name it is registered under (`strategy = "NAME"` in a config).
        config_class: a frozen dataclass whose fields are the `[strategy]` table's keys;
            it validates its values (raising ConfigError) in `__post_init__`.
    """

    name: ClassVar[str] = ""
    config_class: ClassVar[type[Any]]

    @classmethod
    def from_config(cls, config: Any, seed: int) -> Strategy:
        """The strategy for a run: `config` is an instance of `config_class`, `seed` the
        run's seed. The default passes both to the constructor."""
        return cls(config, seed=seed)  # type: ignore[call-arg]

    @abstractmethod
    def select(self, rng: random.Random) -> Selection:
        """Programs for the next prompt; all randomness comes from `rng`."""

    @abstractmethod
    def add(self, program: ScoredProgram) -> int | None:
        """Register an evaluated program (status ok, finite score); return its island
        (None for a strategy without islands).

        A program with `island` None is a seed (or was stored by a strategy without
        islands).
        """

    def on_failure(self, selection: Selection, error_kind: str) -> None:  # noqa: B027
        """Called when the child of `selection` fails (a patch that does not apply, an
        error, a timeout, an invalid output; `error_kind` says which, e.g.
        "sandbox:timeout"); does nothing by default."""

    @property
    @abstractmethod
    def size(self) -> int:
        """Number of programs registered."""
