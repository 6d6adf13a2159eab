"""The `evolve` command end to end: a real run, inspection, and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import evolve, evolve_json


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    db = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'runs.db'}"
    summary = evolve_json(
        "run", "bin_packing", "--db", db, "--max-evals", "25", "--run-name", "bp", "--workers", "2"
    )
    return db, summary


@pytest.mark.slow
def test_builtin_run_reports_json(finished_run: tuple[str, dict]) -> None:
    _, summary = finished_run
    assert summary["run_name"] == "bp" and summary["evaluations"] == 25
    assert summary["models"] == ["builtin:mutate"]
    for key in ("run_id", "best_score", "best_program_id", "llm_calls", "errors"):
        assert key in summary
    assert summary["best_score"] >= summary["seed_score"]
    # the overfit guard re-validated the top programs and the seed on the held-out test
    # split, drawn from the run's secret seed, and reports the best there as the result
    test = summary["test"]
    assert test["search_best"]["program_id"] == summary["best_program_id"]
    assert test["status"] == "ok" and summary["best_test_score"] < 0
    assert summary["result_test_score"] == test["score"] >= summary["best_test_score"]
    assert test["seed_test_score"] is not None and test["k"] == 5
    assert summary["overfit"] is test["flagged"] and isinstance(test["flagged"], bool)
    assert set(summary["draw_seeds"]) == {"test"}  # train stays fixed: runs stay comparable
    assert test["draw_seed"] == summary["draw_seeds"]["test"]


@pytest.mark.slow
def test_runs_top_show_export(finished_run: tuple[str, dict], tmp_path: Path) -> None:
    db, summary = finished_run
    runs = evolve_json("runs", "--db", db)
    assert [r["name"] for r in runs] == ["bp"] and runs[0]["status"] == "finished"
    assert runs[0]["draw_seeds"] == summary["draw_seeds"]
    assert runs[0]["overfit"] == summary["overfit"]
    assert runs[0]["result_program_id"] == summary["result_program_id"]
    top = evolve_json("top", "bp", "-n", "3", "--db", db)
    assert top[0]["id"] == summary["best_program_id"] and len(top) <= 3
    assert [p["score"] for p in top] == sorted((p["score"] for p in top), reverse=True)
    shown = evolve_json("show", str(top[0]["id"]), "--db", db)
    assert "def priority" in shown["source"] and shown["metrics"]["excess_pct"] >= 0
    assert shown["held_out"]["test_score"] == summary["best_test_score"]
    assert shown["held_out"]["seed_test_score"] == summary["seed_test_score"]
    out = tmp_path / "best.py"
    # the result is the best on held-out instances; whether it beats the seed there
    # depends on the secret draw, so let export write it either way (a flagged run's
    # search best, with --allow-overfit)
    exported = evolve_json("export", "bp", "--out", str(out), "--db", db, "--allow-overfit")
    assert exported["overfit"] == summary["overfit"]
    if not summary["overfit"]:
        assert exported["program_id"] == summary["result_program_id"]
        assert exported["test_score"] == summary["result_test_score"]
    else:
        assert exported["program_id"] == summary["best_program_id"]
    namespace: dict = {}
    exec(compile(out.read_text(), str(out), "exec"), namespace)  # the file runs as it is
    assert callable(namespace["priority"])


@pytest.mark.slow
def test_human_output_of_inspection(finished_run: tuple[str, dict]) -> None:
    db, summary = finished_run
    assert "bp" in evolve("runs", "--db", db).stdout
    shown = evolve("show", str(summary["best_program_id"]), "--db", db).stdout
    assert "priority" in shown and "score" in shown


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no_such_problem"], "unknown problem"),
        (["run", "bin_packing", "--model", "nosuchprovider/x"], "provider"),
        (["run", "bin_packing", "--config", "/nonexistent.toml"], "cannot read config file"),
        (["run", "bin_packing", "--db", "nosuchdb://x"], "nosuchdb"),
        (["run", "bin_packing", "--model", "openai/gpt-4o-mini"], "OPENAI_API_KEY"),
        (["run", "--resume", "ghost"], "ghost"),
        (["show", "999999"], "no archive at"),  # (and nothing is created)
        (["run", "bin_packing", "--model", "builtin:mutate=-1"], "weight"),
    ],
)
def test_bad_input_is_one_line_error(tmp_path: Path, args: list[str], message: str) -> None:
    env = {"OPENAI_API_KEY": ""}
    done = evolve(
        *args,
        *(["--db", f"sqlite:///{tmp_path}/x.db"] if "--db" not in args else []),
        env=env,
        cwd=str(tmp_path),
    )
    assert done.returncode != 0
    assert message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 3


@pytest.mark.slow
def test_user_problem_folder(tmp_path: Path, tiny_problem_path: str) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    summary = evolve_json("run", tiny_problem_path, "--db", db, "--max-evals", "15")
    assert summary["problem"] == "tiny" and summary["evaluations"] == 15


@pytest.mark.slow
def test_python_dash_m_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "evolve", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "run" in done.stdout


@pytest.mark.slow
def test_version_and_a_negative_top_count() -> None:
    from importlib.metadata import version

    done = evolve("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"evolve {version('evolve-engine')}"
    refused = evolve("top", "x", "-n", "-3")
    assert refused.returncode == 2 and "-n" in refused.stderr


@pytest.mark.slow
def test_the_no_llm_note_only_when_no_model_was_chosen(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    quiet = evolve("run", "bin_packing", "--model", "builtin:mutate", "--max-evals", "2",
                   "--db", db, "--json", timeout=300)  # fmt: skip
    assert quiet.returncode == 0 and "No LLM configured" not in quiet.stderr
    noted = evolve("run", "bin_packing", "--max-evals", "2", "--db", db, "--json", timeout=300)
    assert noted.returncode == 0 and "No LLM configured" in " ".join(noted.stderr.split())
