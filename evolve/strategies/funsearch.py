"""FunSearch's programs database (Romera-Paredes et al., Nature 2023) as a strategy.

Programs live on islands that evolve apart. Within an island, programs with the same
signature (per-instance scores) form a cluster. A prompt's parents come from one island
chosen uniformly: `functions_per_prompt` distinct clusters sampled by a softmax of their
scores, whose temperature decays with the island's program count, then one program per
cluster, shorter ones favoured. Every `reset_period` programs, the weaker half of the
islands is emptied and each is re-seeded with the best program of a surviving island.

Unlike FunSearch (wall-clock resets, numpy's global random state), resets count programs
and draw from `random.Random(f"{seed}:{reset_index}")`, so rebuilding from the archive in
id order gives back exactly the same state. The cluster softmax uses raw scores, as
FunSearch does: the temperature is on the scale of the problem's score.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass
from typing import ClassVar

from pydantic import ConfigDict

from evolve.exceptions import ConfigError, EvolveError
from evolve.strategies.base import ScoredProgram, Selection, Strategy

__all__ = ["FunSearchConfig", "FunSearchStrategy", "IslandSummary"]


@dataclass(frozen=True)
class FunSearchConfig:
    """Settings of the programs database (FunSearch's, resets by count): the keys of a
    run's `[strategy]` table when `strategy = "funsearch"`, and their only defaults.

    Attributes:
        num_islands: islands evolving apart (FunSearch: 10; 4 suits the runs of a few
            hundred evaluations that this engine defaults to).
        functions_per_prompt: programs shown per prompt (clusters sampled per selection).
        cluster_sampling_temperature_init: softmax temperature at the start of a period.
        cluster_sampling_temperature_period: programs per island after which it restarts.
        reset_period: programs added (all islands) between resets of the weaker half;
            0 disables resets.
        max_clusters_per_island: beyond it, the lowest-scoring cluster is dropped (the
            cluster softmax gives it next to no weight); keeps memory flat as runs grow.
        max_programs_per_cluster: beyond it, a cluster keeps its shortest programs (those
            its sampling favours); with the cap above, the database's memory is bounded
            whatever the archive's size. FunSearch keeps everything in RAM instead.
    """

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    num_islands: int = 4
    functions_per_prompt: int = 2
    cluster_sampling_temperature_init: float = 0.1
    cluster_sampling_temperature_period: int = 30_000
    reset_period: int = 400
    max_clusters_per_island: int = 256
    max_programs_per_cluster: int = 32

    def __post_init__(self) -> None:
        rules = {
            "num_islands": (self.num_islands >= 1, "at least 1"),
            "functions_per_prompt": (self.functions_per_prompt >= 1, "at least 1"),
            "cluster_sampling_temperature_init": (
                self.cluster_sampling_temperature_init > 0,
                "positive",
            ),
            "cluster_sampling_temperature_period": (
                self.cluster_sampling_temperature_period >= 1,
                "at least 1",
            ),
            "reset_period": (self.reset_period >= 0, "0 (no resets) or more"),
            "max_clusters_per_island": (self.max_clusters_per_island >= 1, "at least 1"),
            "max_programs_per_cluster": (self.max_programs_per_cluster >= 1, "at least 1"),
        }
        for name, (ok, expected) in rules.items():
            if not ok:
                raise ConfigError(f"FunSearch {name} must be {expected}, got {getattr(self, name)}")


@dataclass(frozen=True)
class IslandSummary:
    """A snapshot of one island, for displays and tests."""

    num_programs: int
    num_clusters: int
    temperature: float
    best_id: int | None
    best_score: float


class _Cluster:
    """Programs with one signature; samples shorter programs more often."""

    __slots__ = ("_cumulative", "_high", "_low", "capacity", "key", "programs", "score")

    def __init__(self, key: tuple[float, ...], score: float, capacity: int) -> None:
        self.key, self.score, self.capacity = key, score, capacity
        self.programs: list[ScoredProgram] = []
        self._low = self._high = 0
        self._cumulative: list[float] = []

    def register(self, program: ScoredProgram) -> None:
        """Add `program`; the weights are only recomputed when the length range grows.

        A full cluster keeps its shortest programs: `program` replaces the longest one
        if it is shorter, and is left out otherwise.
        """
        if len(self.programs) >= self.capacity:
            longest = max(range(len(self.programs)), key=lambda i: self.programs[i].length)
            if program.length < self.programs[longest].length:
                self.programs[longest] = program
                self._cumulative = []
            return
        self.programs.append(program)
        if self._cumulative and self._low <= program.length <= self._high:
            self._cumulative.append(self._cumulative[-1] + self._weight(program.length))
        else:
            self._cumulative = []

    def _weight(self, length: int) -> float:
        return math.exp(-(length - self._low) / (self._high - self._low + 1e-6))

    def sample(self, rng: random.Random) -> ScoredProgram:
        """FunSearch's `Cluster.sample_program`: softmax of minus the normalized length."""
        if len(self.programs) == 1:
            return self.programs[0]
        if not self._cumulative:
            self._low = min(p.length for p in self.programs)
            self._high = max(p.length for p in self.programs)
            weights = (self._weight(p.length) for p in self.programs)
            self._cumulative = list(itertools.accumulate(weights))
        index = bisect.bisect_right(self._cumulative, rng.random() * self._cumulative[-1])
        return self.programs[min(index, len(self.programs) - 1)]


class _Island:
    """Clusters keyed by signature, and the cached softmax over their scores."""

    def __init__(self, config: FunSearchConfig) -> None:
        self._config = config
        self.clusters: dict[tuple[float, ...], _Cluster] = {}
        self._order: list[_Cluster] = []  # the clusters in creation order...
        self._scores: list[float] = []  # ...and their scores, which never change
        self.num_programs = 0
        self.best: ScoredProgram | None = None
        self._softmax: tuple[list[float], list[float]] | None = None

    def register(self, program: ScoredProgram) -> None:
        key = program.signature or (program.score,)
        cluster = self.clusters.get(key)
        if cluster is None:
            capacity = self._config.max_programs_per_cluster
            cluster = self.clusters[key] = _Cluster(key, program.score, capacity)
            self._order.append(cluster)
            self._scores.append(program.score)
        cluster.register(program)
        if len(self._order) > self._config.max_clusters_per_island:
            self._drop_weakest_cluster()
        self.num_programs += 1
        self._softmax = None
        if self.best is None or program.score > self.best.score:
            self.best = program

    def _drop_weakest_cluster(self) -> None:
        """Forget the lowest-scoring cluster (the oldest among equals)."""
        index = min(range(len(self._scores)), key=lambda i: self._scores[i])
        del self.clusters[self._order[index].key]
        del self._order[index], self._scores[index]

    @property
    def temperature(self) -> float:
        period = self._config.cluster_sampling_temperature_period
        init = self._config.cluster_sampling_temperature_init
        return init * (1 - (self.num_programs % period) / period)

    def sample(self, rng: random.Random, k: int) -> list[ScoredProgram]:
        """One program from each of min(k, clusters) distinct clusters."""
        weights, cumulative = self._weights()
        chosen: list[int] = []
        for _ in range(min(k, len(self._order))):
            chosen.append(_draw_excluding(weights, cumulative, self._scores, sorted(chosen), rng))
        return [self._order[i].sample(rng) for i in chosen]

    def _weights(self) -> tuple[list[float], list[float]]:
        """Softmax weights of the clusters' scores and their running sums (cached)."""
        if self._softmax is None:
            top, inverse = max(self._scores), 1 / self.temperature
            weights = [math.exp((s - top) * inverse) for s in self._scores]
            self._softmax = weights, list(itertools.accumulate(weights))
        return self._softmax

    def summary(self) -> IslandSummary:
        best = self.best
        return IslandSummary(
            self.num_programs,
            len(self.clusters),
            self.temperature,
            best.id if best else None,
            best.score if best else -math.inf,
        )


def _draw_excluding(
    weights: list[float],
    cumulative: list[float],
    scores: list[float],
    chosen: list[int],
    rng: random.Random,
) -> int:
    """An index drawn in proportion to `weights`, never one of `chosen` (sorted).

    A uniform draw over the remaining mass is mapped past the chosen intervals, so this is
    O(k log n). Where the remaining mass underflows to zero (a very low temperature), the
    best-scored remaining index is taken: the softmax's own limit.
    """
    mass = cumulative[-1] - math.fsum(weights[i] for i in chosen)
    if mass > 0:
        point = rng.random() * mass
        for i in chosen:
            if point >= cumulative[i] - weights[i]:
                point += weights[i]
        index = min(bisect.bisect_right(cumulative, point), len(weights) - 1)
        if index not in chosen and weights[index] > 0:
            return index
    remaining = (i for i in range(len(weights)) if i not in chosen)
    return max(remaining, key=lambda i: (weights[i], scores[i]))


class FunSearchStrategy(Strategy):
    """FunSearch's islands of clusters (see the module docstring)."""

    name = "funsearch"
    config_class = FunSearchConfig

    def __init__(self, config: FunSearchConfig | None = None, seed: int = 0) -> None:
        self.config = config or FunSearchConfig()
        self.seed = seed
        self._clear()

    def _clear(self) -> None:
        self._islands = [_Island(self.config) for _ in range(self.config.num_islands)]
        self._num_added = 0
        self._num_resets = 0

    @property
    def size(self) -> int:
        return self._num_added

    @property
    def num_resets(self) -> int:
        return self._num_resets

    def islands(self) -> tuple[IslandSummary, ...]:
        return tuple(island.summary() for island in self._islands)

    def select(self, rng: random.Random) -> Selection:
        occupied = [i for i, island in enumerate(self._islands) if island.num_programs]
        if not occupied:
            raise EvolveError("the FunSearch database is empty: add the evaluated seed first")
        index = occupied[rng.randrange(len(occupied))]
        programs = self._islands[index].sample(rng, self.config.functions_per_prompt)
        programs.sort(key=lambda p: p.score)
        return Selection(index, tuple(p.id for p in programs))

    def add(self, program: ScoredProgram) -> int:
        """Register `program` on its island (a seed on every island); return that island.

        For a seed the answer is 0, though it lives everywhere: keep its `island` None in
        the archive so that a resumed run seeds every island again.
        """
        if not math.isfinite(program.score):
            raise ValueError(f"program {program.id} has a non-finite score {program.score}")
        if program.island is None:
            for island in self._islands:
                island.register(program)
        elif 0 <= program.island < len(self._islands):
            self._islands[program.island].register(program)
        else:
            raise ValueError(
                f"program {program.id} is on island {program.island}, but there are "
                f"{len(self._islands)} islands; resume with the run's `islands` setting"
            )
        self._num_added += 1
        period = self.config.reset_period
        if period and self._num_added % period == 0:
            self._reset_islands()
        return program.island or 0

    def _reset_islands(self) -> None:
        """Empty the weaker half of the islands; re-seed each from a random survivor."""
        self._num_resets += 1
        rng = random.Random(f"{self.seed}:{self._num_resets}")
        ties = [rng.random() for _ in self._islands]
        ranked = sorted(range(len(self._islands)), key=lambda i: (self._best_score(i), ties[i]))
        half = len(ranked) // 2
        losers, survivors = ranked[:half], ranked[half:]
        for index in losers:
            founder = self._islands[rng.choice(survivors)].best
            self._islands[index] = _Island(self.config)
            if founder is not None:
                self._islands[index].register(founder)

    def _best_score(self, index: int) -> float:
        best = self._islands[index].best
        return best.score if best else -math.inf
