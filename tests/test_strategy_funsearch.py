"""FunSearch's programs database as a strategy (evolve.strategies.funsearch)."""

from __future__ import annotations

import itertools
import math
import random
import time
from collections import Counter

import pytest

from evolve.exceptions import ConfigError, EvolveError
from evolve.strategies import FunSearchConfig, FunSearchStrategy, ScoredProgram, Strategy


def program(
    id: int,
    score: float,
    island: int | None = 0,
    signature: tuple[float, ...] | None = None,
    length: int = 100,
) -> ScoredProgram:
    sig = (score,) if signature is None else tuple(signature)
    return ScoredProgram(id, score, sig, length, island)


def strategy(**config: float) -> FunSearchStrategy:
    settings = {"num_islands": 1, "reset_period": 0, **config}
    return FunSearchStrategy(FunSearchConfig(**settings), seed=1)  # type: ignore[arg-type]


def test_is_a_strategy_with_config_checks() -> None:
    assert isinstance(FunSearchStrategy(), Strategy)
    assert FunSearchStrategy().config == FunSearchConfig()
    with pytest.raises(ConfigError, match="num_islands"):
        FunSearchConfig(num_islands=0)
    with pytest.raises(ConfigError, match="temperature_init"):
        FunSearchConfig(cluster_sampling_temperature_init=0)
    with pytest.raises(ConfigError, match="reset_period"):
        FunSearchConfig(reset_period=-1)


def test_select_on_empty_database_says_what_to_do() -> None:
    with pytest.raises(EvolveError, match="seed"):
        strategy().select(random.Random(0))


def test_seed_goes_to_every_island() -> None:
    db = strategy(num_islands=4)
    assert db.add(program(7, 1.0, island=None)) == 0
    assert db.size == 1
    assert [(s.num_programs, s.best_id) for s in db.islands()] == [(1, 7)] * 4
    rng = random.Random(0)
    assert {db.select(rng).island for _ in range(200)} == {0, 1, 2, 3}
    assert all(db.select(rng).parent_ids == (7,) for _ in range(20))


def test_add_returns_the_island_and_checks_it() -> None:
    db = strategy(num_islands=3)
    db.add(program(0, 0.0, island=None))
    assert db.add(program(1, 1.0, island=2)) == 2
    assert [s.num_programs for s in db.islands()] == [1, 1, 2]
    with pytest.raises(ValueError, match="island 3"):
        db.add(program(2, 1.0, island=3))
    with pytest.raises(ValueError, match="non-finite"):
        db.add(program(3, math.nan, island=0))


def test_programs_cluster_by_signature() -> None:
    db = strategy()
    db.add(program(1, 0.5, signature=(0.4, 0.6)))
    db.add(program(2, 0.5, signature=(0.4, 0.6)))
    db.add(program(3, 0.5, signature=(0.6, 0.4)))  # same score, other signature
    db.add(program(4, 0.7, signature=()))  # no per-instance scores: clustered by score
    db.add(program(5, 0.7, signature=()))
    assert db.islands()[0].num_clusters == 3
    assert db.islands()[0].num_programs == 5


def test_select_returns_k_distinct_clusters_sorted_by_score() -> None:
    db = strategy(functions_per_prompt=2, cluster_sampling_temperature_init=100.0)
    db.add(program(1, 3.0))
    rng = random.Random(0)
    assert db.select(rng).parent_ids == (1,)  # fewer clusters than k
    for i, score in enumerate([1.0, 2.0, 5.0, 4.0], start=2):
        db.add(program(i, score))
    scores = {1: 3.0, 2: 1.0, 3: 2.0, 4: 5.0, 5: 4.0}
    seen = set()
    for _ in range(300):
        ids = db.select(rng).parent_ids
        assert len(ids) == 2 and ids[0] != ids[1]
        assert scores[ids[0]] <= scores[ids[1]]
        seen.add(ids)
    assert len(seen) == 10  # every pair of the five clusters shows up at a high temperature
    db3 = strategy(functions_per_prompt=3)
    for i in range(5):
        db3.add(program(i, float(i)))
    assert len(set(db3.select(rng).parent_ids)) == 3


def test_distinct_clusters_even_when_the_softmax_underflows() -> None:
    db = strategy(functions_per_prompt=3, cluster_sampling_temperature_init=1e-3)
    for i, score in enumerate([0.0, 100.0, 50.0, 90.0]):
        db.add(program(i, score))
    rng = random.Random(0)
    assert {db.select(rng).parent_ids for _ in range(50)} == {(2, 3, 1)}


def test_pairs_follow_sequential_sampling_without_replacement() -> None:
    scores = [0.0, 0.1, 0.2]
    db = strategy(cluster_sampling_temperature_init=0.1, cluster_sampling_temperature_period=10**9)
    for i, score in enumerate(scores):
        db.add(program(i, score))
    weights = [math.exp(s / db.islands()[0].temperature) for s in scores]
    total = sum(weights)
    expected = {
        pair: sum(
            weights[a] / total * weights[b] / (total - weights[a])
            for a, b in itertools.permutations(pair)
        )
        for pair in itertools.combinations(range(3), 2)
    }
    rng, draws = random.Random(3), 20_000
    counts = Counter(tuple(sorted(db.select(rng).parent_ids)) for _ in range(draws))
    for pair, p in expected.items():
        assert counts[pair] / draws == pytest.approx(p, abs=0.015)


def test_shorter_programs_favoured_within_a_cluster() -> None:
    db = strategy(functions_per_prompt=1)
    db.add(program(1, 1.0, length=100))
    db.add(program(2, 1.0, length=1_000))
    rng, draws = random.Random(0), 20_000
    short = sum(db.select(rng).parent_ids == (1,) for _ in range(draws)) / draws
    # softmax(-[0, 1]) at temperature 1: e / (1 + e)
    assert short == pytest.approx(math.e / (1 + math.e), abs=0.015)


def test_temperature_decays_with_the_island_and_restarts_each_period() -> None:
    db = strategy(cluster_sampling_temperature_init=0.1, cluster_sampling_temperature_period=10)
    temperatures = []
    for i in range(11):
        db.add(program(i, float(i)))
        temperatures.append(db.islands()[0].temperature)
    assert temperatures[4] == pytest.approx(0.05)  # 5 programs: 0.1 * (1 - 5/10)
    assert temperatures[8] == pytest.approx(0.01)
    assert temperatures[9] == pytest.approx(0.1)  # 10 programs: a new period
    assert temperatures == sorted(temperatures[:9], reverse=True) + temperatures[9:]


def test_low_temperature_favours_the_best_cluster() -> None:
    def share_of_best(init: float) -> float:
        db = strategy(functions_per_prompt=1, cluster_sampling_temperature_init=init)
        for i, score in enumerate([0.0, 0.5, 1.0]):
            db.add(program(i, score))
        rng = random.Random(0)
        return sum(db.select(rng).parent_ids == (2,) for _ in range(2_000)) / 2_000

    assert share_of_best(0.1) > 0.95
    assert 0.3 < share_of_best(100.0) < 0.4


def fill_islands(db: FunSearchStrategy, bests: list[float]) -> None:
    """Island i gets a seed (score 0) then one program of score bests[i]."""
    db.add(program(0, 0.0, island=None))
    for island, score in enumerate(bests):
        db.add(program(100 + island, score, island=island))


def test_reset_empties_the_weaker_half_and_reseeds_from_survivors() -> None:
    db = strategy(num_islands=4, reset_period=6)
    fill_islands(db, [3.0, 1.0, 4.0, 2.0])
    assert db.num_resets == 0 and db.size == 5
    db.add(program(200, 0.5, island=0))  # the 6th program triggers the reset
    assert db.num_resets == 1
    after = db.islands()
    assert after[0].num_programs == 3 and after[2].num_programs == 2  # survivors kept
    for weak in (1, 3):
        assert after[weak].num_programs == 1
        assert after[weak].best_id in (100, 102)  # the best of a surviving island


def test_reset_breaks_ties_at_random_but_reproducibly() -> None:
    def losers(seed: int) -> tuple[int, ...]:
        db = FunSearchStrategy(FunSearchConfig(num_islands=4, reset_period=5), seed=seed)
        fill_islands(db, [1.0, 1.0, 1.0, 1.0])  # all tied: 5 programs, one reset
        return tuple(i for i, s in enumerate(db.islands()) if s.num_programs == 1)

    assert losers(1) == losers(1)
    assert len({losers(seed) for seed in range(20)}) > 1


def simulate(db: FunSearchStrategy, steps: int, seed: int) -> list[ScoredProgram]:
    """The engine's loop in miniature: select, make a child on that island, add it."""
    rng = random.Random(seed)
    added = [program(0, 0.0, island=None, signature=(0.0, 0.0), length=500)]
    db.add(added[0])
    for child_id in range(1, steps):
        selection = db.select(rng)
        score = round(rng.gauss(child_id / steps, 0.3), 2)
        child = program(
            child_id,
            score,
            island=selection.island,
            signature=(score, round(rng.random(), 1)),
            length=rng.randrange(100, 2_000),
        )
        db.add(child)
        added.append(child)
    return added


def test_adding_the_archive_again_reproduces_the_same_state() -> None:
    config = FunSearchConfig(num_islands=5, reset_period=50)
    live = FunSearchStrategy(config, seed=11)
    archive = simulate(live, 1_000, seed=5)
    assert live.num_resets == 20
    resumed = FunSearchStrategy(config, seed=11)  # as a resumed run rebuilds it
    for scored in archive:
        resumed.add(scored)
    assert resumed.islands() == live.islands()
    assert resumed.size == live.size and resumed.num_resets == live.num_resets
    for seed in range(50):
        assert resumed.select(random.Random(seed)) == live.select(random.Random(seed))


@pytest.mark.slow
def test_select_is_fast_with_100k_programs() -> None:
    db = FunSearchStrategy(FunSearchConfig(num_islands=10, reset_period=0), seed=0)
    rng = random.Random(0)
    db.add(program(0, 0.0, island=None))
    start = time.perf_counter()
    for i in range(1, 100_000):
        score = round(rng.random(), 3)  # ~1,000 distinct signatures per island
        db.add(program(i, score, island=i % 10, length=rng.randrange(100, 3_000)))
    added = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(1_000):
        db.select(rng)  # the caches are warm: the steady state between additions
    warm = (time.perf_counter() - start) / 1_000
    start = time.perf_counter()
    for i in range(200):
        db.add(program(100_000 + i, rng.random(), island=i % 10, length=500))
        db.select(rng)  # each addition invalidates one island's and one cluster's cache
    steady = (time.perf_counter() - start) / 200
    print(
        f"\n100k programs: add {added / 100_000 * 1e6:.1f} us each; "
        f"select {warm * 1e6:.0f} us warm, add+select {steady * 1e3:.2f} ms"
    )
    assert db.size == 100_200


def test_cluster_weights_stay_right_as_lengths_arrive() -> None:
    """Lengths inside the known range extend the cached weights; others recompute them."""
    db = strategy(functions_per_prompt=1)
    rng = random.Random(0)
    for i, length in enumerate([500, 100, 300, 1_000, 200, 5_000, 50, 400]):
        db.add(program(i, 1.0, length=length))
        db.select(rng)  # builds the cache between additions
    lengths = [500, 100, 300, 1_000, 200, 5_000, 50, 400]
    low, span = min(lengths), max(lengths) - min(lengths) + 1e-6
    weights = [math.exp(-(n - low) / span) for n in lengths]
    draws = 40_000
    counts = Counter(db.select(rng).parent_ids[0] for _ in range(draws))
    for i, weight in enumerate(weights):
        assert counts[i] / draws == pytest.approx(weight / sum(weights), abs=0.01)


def _held(strategy: FunSearchStrategy) -> int:
    """Programs the strategy keeps in memory, over all islands and clusters."""
    return sum(
        len(cluster.programs)
        for island in strategy._islands
        for cluster in island.clusters.values()
    )


def test_memory_is_bounded_whatever_the_number_of_programs() -> None:
    config = FunSearchConfig(
        num_islands=2, reset_period=0, max_clusters_per_island=16, max_programs_per_cluster=4
    )
    strategy = FunSearchStrategy(config, seed=0)
    rng = random.Random(1)
    for i in range(20_000):
        score = float(rng.randrange(100))
        strategy.add(ScoredProgram(i, score, (score, float(i % 7)), rng.randrange(50, 500), i % 2))
    assert strategy.size == 20_000
    assert _held(strategy) <= 2 * 16 * 4
    for island in strategy._islands:  # the best clusters are the ones kept
        assert min(c.score for c in island.clusters.values()) >= 90
    strategy.select(random.Random(0))


def test_full_cluster_keeps_its_shortest_programs() -> None:
    config = FunSearchConfig(num_islands=1, reset_period=0, max_programs_per_cluster=3)
    strategy = FunSearchStrategy(config, seed=0)
    for i, length in enumerate([50, 40, 60, 10, 70, 20]):
        strategy.add(ScoredProgram(i, 1.0, (1.0,), length, 0))
    (cluster,) = strategy._islands[0].clusters.values()
    assert sorted(p.length for p in cluster.programs) == [10, 20, 40]


def test_bad_caps_are_refused() -> None:
    with pytest.raises(ConfigError, match="max_programs_per_cluster"):
        FunSearchConfig(max_programs_per_cluster=0)
