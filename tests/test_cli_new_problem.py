"""`evolve new-problem --from START`: every starting point is a folder that runs at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import evolve, evolve_json


@pytest.mark.slow
@pytest.mark.parametrize("start", ["minimal", "cap_set", None])
def test_a_new_problem_runs_at_once(tmp_path: Path, start: str | None) -> None:
    made = evolve("new-problem", "mine", *(["--from", start] if start else []), cwd=str(tmp_path))
    assert made.returncode == 0, made.stderr
    assert f"created ./mine/ from {start or 'curve-fit'}" in made.stdout
    summary = evolve_json(
        "run", "./mine", "--max-evals", "5", "--db", "runs.db", cwd=str(tmp_path), timeout=300
    )
    assert summary["problem"] == "mine" and summary["evaluations"] == 5


@pytest.mark.slow
def test_an_unknown_start_lists_the_choices(tmp_path: Path) -> None:
    done = evolve("new-problem", "mine", "--from", "nope", cwd=str(tmp_path))
    assert done.returncode == 1 and "curve-fit, minimal or a built-in problem" in done.stderr
    assert list(tmp_path.iterdir()) == []
