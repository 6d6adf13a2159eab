"""Pluggable strategies: the registry (entry points), the `[strategy]` table, on_failure."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import evolve
from evolve.config import make_config
from evolve.exceptions import ConfigError
from evolve.strategies import FunSearchStrategy, Selection, known_strategies, strategy_class
from tests.cli_helpers import evolve as evolve_cli
from tests.fakes import FakeLLM, in_process_sandbox

PLUGIN = '''
from evolve.strategies import FunSearchStrategy

class CountingStrategy(FunSearchStrategy):
    """FunSearch that counts its selections (a strategy from another package)."""

    name = "counting"
    selections = 0

    def select(self, rng):
        type(self).selections += 1
        return super().select(rng)
'''


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A package on sys.path that declares a strategy as an `evolve.strategies` entry point."""
    (tmp_path / "counting_plugin.py").write_text(PLUGIN)
    info = tmp_path / "counting_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: counting-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[evolve.strategies]\ncounting = counting_plugin:CountingStrategy\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "counting_plugin", raising=False)
    return "counting"


def reply(source: str) -> str:
    return f"```python\n{source}\n```"


@pytest.mark.slow
def test_a_strategy_registered_by_entry_point_is_used_by_a_run(
    plugin: str, tiny_problem_path: str, db_url: str
) -> None:
    assert plugin in known_strategies()
    llm = FakeLLM(lambda request: reply("def f(x):\n    return 3 * x"))
    run = evolve.Run(
        tiny_problem_path, strategy=plugin, strategy_options={"num_islands": 2}, db=db_url,
        llm=llm, sandbox=in_process_sandbox(), max_evals=5, workers=1, validate_top=0,
    )  # fmt: skip
    result = run.run()
    cls = strategy_class(plugin)
    assert cls.selections >= 4  # type: ignore[attr-defined]
    with evolve.Run(resume=result.run_name, db=db_url, llm=llm) as resumed:
        stored = resumed.prepare().config.strategy
        assert isinstance(resumed.prepare().strategy, cls)
    assert stored["name"] == "counting" and stored["num_islands"] == 2


@pytest.mark.slow
def test_unknown_strategy_lists_the_known_ones(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    result = evolve_cli("run", "bin_packing", "--strategy", "nope", "--db", db)
    assert result.returncode == 1
    assert "unknown strategy 'nope'; known: funsearch" in result.stderr


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({"num_islands": "many"}, "[strategy] num_islands"),
        ({"num_islands": 0}, "num_islands must be at least 1"),
        ({"islandz": 3}, "unknown key 'islandz' in [strategy] for funsearch"),
        ({"reset_period": -1}, "reset_period must be 0 (no resets) or more"),
    ],
)
def test_a_bad_strategy_value_names_its_key(table: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config({"problem": "bin_packing", "strategy": table}, {})
    assert named in str(caught.value)


def test_the_table_is_validated_and_the_old_flat_keys_still_work(tmp_path: Path) -> None:
    config = make_config(
        {"problem": "tsp", "islands": 10, "reset_period": 0, "functions_per_prompt": 3}, {}
    )
    assert config.strategy["name"] == "funsearch"
    assert (config.strategy["num_islands"], config.strategy["reset_period"]) == (10, 0)
    default = make_config({"problem": "tsp"}, {}).strategy
    assert default["num_islands"] == FunSearchStrategy.config_class().num_islands
    file_table = {"problem": "tsp", "strategy": {"name": "funsearch", "num_islands": 7}}
    kept = make_config(file_table, {"strategy": "funsearch"}).strategy  # --strategy funsearch
    assert kept["num_islands"] == 7
    with pytest.raises(ConfigError, match=r"'islands' .* differ"):
        make_config({"problem": "tsp", "islands": 2, "strategy": {"num_islands": 3}}, {})


class FailureLog(FunSearchStrategy):
    """FunSearch that records the failures the engine reports."""

    def __init__(self) -> None:
        super().__init__(FunSearchStrategy.config_class(num_islands=2), seed=0)
        self.failures: list[tuple[Selection, str]] = []

    def on_failure(self, selection: Selection, error_kind: str) -> None:
        self.failures.append((selection, error_kind))


def test_the_engine_reports_failed_children(tiny_problem_path: str, db_url: str) -> None:
    replies = iter(["no code here", reply("def f(x):\n    return 1 / 0")])
    llm = FakeLLM(lambda request: next(replies, reply("def f(x):\n    return x + 1")))
    strategy = FailureLog()
    evolve.Run(
        tiny_problem_path, strategy=strategy, llm=llm, sandbox=in_process_sandbox(),
        db=db_url, max_evals=3, concurrency=1, workers=1, validate_top=0,
    ).run()  # fmt: skip
    kinds = [kind for _, kind in strategy.failures]
    assert kinds == ["patch:no_code", "sandbox:error"]
    for selection, _ in strategy.failures:
        assert selection.parent_ids and selection.island in (0, 1)


def test_scored_programs_carry_their_metrics(tiny_problem_path: str, db_url: str) -> None:
    seen = []

    class Recording(FunSearchStrategy):
        def add(self, program):  # type: ignore[no-untyped-def]
            seen.append(program)
            return super().add(program)

    evolve.Run(
        tiny_problem_path, strategy=Recording(), llm=FakeLLM(lambda r: "nothing"),
        sandbox=in_process_sandbox(), db=db_url, max_evals=1, workers=1, validate_top=0,
    ).run()  # fmt: skip
    (seed,) = seen
    assert set(seed.metrics) == {"error", "score"} and seed.metrics["score"] == seed.score
