"""`replay:RUN` reproduces a run exactly: same prompts, same replies, same programs."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import Archive
from tests.cli_helpers import evolve_json


def programs_of(db: str, run: str) -> list[tuple[str, str, float | None]]:
    with Archive(db) as archive:
        run_id = archive.get_run(run).id
        return [(p.source, p.status, p.score) for p in archive.iter_programs(run_id)]


@pytest.mark.slow
def test_replay_reproduces_a_run(tmp_path: Path, tiny_problem_path: str) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    common = ["--db", db, "--max-evals", "25", "--concurrency", "1", "--workers", "1"]
    original = evolve_json(
        "run", tiny_problem_path, "--run-name", "original", "--seed", "7", *common
    )
    replayed = evolve_json(
        "run",
        tiny_problem_path,
        "--run-name",
        "again",
        "--seed",
        "7",
        "--model",
        "replay:original",
        *common,
    )
    assert replayed["models"] == ["replay:original"]
    assert replayed["best_score"] == original["best_score"]
    assert programs_of(db, "again") == programs_of(db, "original")
    assert "llm:replay_miss" not in replayed["errors"]


@pytest.mark.slow
def test_replay_of_another_seed_misses(tmp_path: Path, tiny_problem_path: str) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    common = ["--db", db, "--concurrency", "1", "--workers", "1"]
    evolve_json("run", tiny_problem_path, "--run-name", "original", "--max-evals", "10", *common)
    replayed = evolve_json(
        "run",
        tiny_problem_path,
        "--run-name",
        "other",
        "--seed",
        "99",
        "--model",
        "replay:original",
        "--max-llm-calls",
        "30",
        *common,
    )
    assert replayed["errors"].get("llm:replay_miss", 0) >= 1
