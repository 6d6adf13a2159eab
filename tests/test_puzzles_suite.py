"""Puzzle suites: pass@k, the budget split, `evolve eval puzzles` and `evolve run --suite`."""

from __future__ import annotations

import json
from math import comb
from pathlib import Path
from typing import Any

import pytest

from evolve.suite import mean_pass_at_k, pass_at_k, split_budget
from tests.cli_helpers import evolve, evolve_json
from tests.fake_openai import FakeOpenAI


def test_pass_at_k_matches_hand_computed_values() -> None:
    assert pass_at_k(10, 0, 1) == 0.0
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(10, 3, 2) == pytest.approx(1 - comb(7, 2) / comb(10, 2))  # 1 - 21/45
    assert pass_at_k(10, 3, 2) == pytest.approx(24 / 45)
    assert pass_at_k(5, 1, 5) == 1.0  # every draw of 5 includes the correct one
    assert pass_at_k(10, 8, 3) == 1.0  # n - c < k
    with pytest.raises(ValueError, match="1 <= k <= n"):
        pass_at_k(3, 1, 10)


def test_mean_pass_at_k_skips_puzzles_with_too_few_attempts() -> None:
    counts = [(10, 5), (10, 0), (3, 3)]
    assert mean_pass_at_k(counts, 1) == pytest.approx((0.5 + 0.0 + 1.0) / 3)
    assert mean_pass_at_k(counts, 10) == pytest.approx((1.0 + 0.0) / 2)
    assert mean_pass_at_k(counts, 100) is None


def test_the_budget_is_split_evenly() -> None:
    shares = split_budget({"max_evals": 10, "budget_usd": 1.5, "max_llm_calls": None}, 4)
    assert [s["max_evals"] for s in shares] == [3, 3, 2, 2]
    assert all(s["budget_usd"] == pytest.approx(0.375) for s in shares)
    assert all("max_llm_calls" not in s for s in shares)


@pytest.mark.slow
def test_eval_reports_solved_and_total(tmp_path: Path) -> None:
    solutions = {
        "Reverse:0": "def sol(target='dlrow olleh'):\n    return target[::-1]\n",
        "DigitSum:0": "def sol(total=25):\n    return 17\n",  # sums to 8: not solved
        "PrimeTest:0": "def sol(n=2147483647):\n    return 1\n",  # an int, not a bool
        "Queens:0": "def sol(n=8):\n    return [0, 4, 7, 5, 2, 6, 1, 3]\n",
    }
    path = tmp_path / "solutions.json"
    path.write_text(json.dumps(solutions))
    done = evolve("eval", "puzzles", str(path), "--json")
    assert done.returncode == 1, done.stderr  # not every solution solves its puzzle
    report = json.loads(done.stdout)
    assert (report["solved"], report["total"]) == (2, 13)
    status = report["per_puzzle"]
    assert status["Reverse:0"] == status["Queens:0"] == "solved"
    assert status["DigitSum:0"] == "unsolved"
    assert status["PrimeTest:0"].startswith("invalid") and "must be bool" in status["PrimeTest:0"]
    assert status["Words:0"] == "missing"


@pytest.mark.slow
def test_eval_refuses_unknown_puzzles(tmp_path: Path) -> None:
    path = tmp_path / "solutions.json"
    path.write_text(json.dumps({"Nope:0": "def sol():\n    return 1\n"}))
    done = evolve("eval", "puzzles", str(path))
    assert done.returncode != 0 and "no puzzle named 'Nope:0'" in done.stderr


SOLVERS = {  # text of a puzzle's prompt -> the reply that solves it
    "Find the string whose reverse is `target`.": "def sol(target='dlrow olleh'):\n"
    "    return target[::-1]\n",
    "Place `n` non-attacking queens": "def sol(n=8):\n    return [0, 4, 7, 5, 2, 6, 1, 3]\n",
}


WRONG = "def sol():\n    return None\n"


def _solve_two(body: dict[str, Any]) -> str:
    """A model that solves Reverse and Queens, and answers None to every other puzzle."""
    prompt = "\n".join(m["content"] for m in body["messages"])
    solution = next((s for key, s in SOLVERS.items() if key in prompt), WRONG)
    return f"```python\n{solution}\n```"


@pytest.mark.slow
def test_a_suite_run_reports_solved_and_pass_at_k(db_url: str) -> None:
    with FakeOpenAI(_solve_two) as server:
        report = evolve_json(
            "run", "puzzles", "--dataset", "builtin", "--model", "openai/fake-model",
            "--api-base", server.base_url, "--max-evals", "26", "--max-llm-calls", "39",
            "--workers", "2", "--db", db_url, "--run-name", "suite",
            env={"OPENAI_API_KEY": "sk-test"}, timeout=120,
        )  # fmt: skip
    assert report["suite"] == "builtin" and report["total"] == 13
    per_puzzle = report["per_puzzle"]
    assert [name for name, p in per_puzzle.items() if p["solved"]] == ["Reverse:0", "Queens:0"]
    assert report["solved"] == 2
    for name, puzzle in per_puzzle.items():
        assert 1 <= puzzle["attempts"] <= 3  # 3 LLM calls a puzzle
        assert puzzle["correct"] == (puzzle["attempts"] if puzzle["solved"] else 0), name
    assert set(report["pass_at_k"]) == {"1", "10", "100"}
    assert report["pass_at_k"]["1"] == pytest.approx(2 / 13)  # every reply right, or none
    assert report["pass_at_k"]["10"] is None and report["pass_at_k"]["100"] is None
    first = per_puzzle["Reverse:0"]
    assert first["run"] == "suite/Reverse:0"
    assert set(first) == {"solved", "attempts", "correct", "run", "best_program_id"}


@pytest.mark.slow
def test_suite_needs_the_puzzles_problem() -> None:
    done = evolve("run", "bin_packing", "--dataset", "builtin")
    assert done.returncode == 2 and "run puzzles --dataset" in done.stderr
