"""One spelling for data sets everywhere (`--dataset`; `--suite` is its old spelling), and
options that do not apply are refused rather than ignored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from evolve.cli import app

PUZZLES = [
    {
        "name": f"{cls}:0",
        "sat": f"def sat(s: str):\n    return s == {cls!r}",
        "ans_type": "str",
        "sol_header": "def sol():",
        "sol_docstring": '    """Return the right string."""',
    }
    for cls in ("Alpha", "Beta")
]


def invoke(*args: str, code: int = 0) -> Any:
    done = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert done.exit_code == code, done.output
    return done


@pytest.fixture
def p3(tmp_path: Path) -> tuple[Path, Path]:
    """A P3 file of two puzzles (split: Alpha is train, Beta test) and solutions of both."""
    (tmp_path / "puzzles.json").write_text(json.dumps(PUZZLES))
    (tmp_path / "split.json").write_text(json.dumps({"train": ["Alpha"], "test": ["Beta"]}))
    solutions = tmp_path / "sol.json"
    solutions.write_text(json.dumps({"Beta:0": "def sol():\n    return 'Beta'\n"}))
    return tmp_path / "puzzles.json", solutions


@pytest.mark.slow
def test_eval_puzzles_uses_dataset(p3: tuple[Path, Path]) -> None:
    puzzles, solutions = p3
    spec = f"p3:{puzzles}"
    report = json.loads(
        invoke("eval", "puzzles", str(solutions), "--dataset", spec, "--json").stdout
    )
    assert (report["suite"], report["solved"], report["total"]) == (spec, 1, 2)
    test_only = invoke("eval", "puzzles", str(solutions), "--dataset", spec, "--split", "test")
    assert "solved 1 / 1" in test_only.stdout
    old = invoke("eval", "puzzles", str(solutions), "--suite", spec, "--json")
    assert json.loads(old.stdout)["total"] == 2 and "--suite is now spelled --dataset" in old.stderr
    both = invoke("eval", "puzzles", str(solutions), "--suite", spec, "--dataset", "p3", code=1)
    assert "old spelling of --dataset" in both.stderr


@pytest.mark.slow
def test_run_puzzles_runs_the_dataset(p3: tuple[Path, Path], tmp_path: Path) -> None:
    puzzles, _ = p3
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    args = ["run", "puzzles", "--dataset", f"p3:{puzzles}", "--split", "test"]
    done = invoke(*args, "--max-evals", "2", "--db", db, "--json")
    result = json.loads(done.stdout)
    assert result["total"] == 1 and list(result["per_puzzle"]) == ["Beta:0"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["eval", "puzzles", "sol.json", "--test-seed", "3"], 1, "--test-seed does not apply"),
        (["eval", "puzzles", "sol.json", "--run", "r", "--db", "x.db"], 1, "--run and --db do not"),
        (["eval", "puzzles", "f.py", "--dataset", "p3"], 1, "names a puzzle suite"),
        (["eval", "tiny", "f.py", "--dataset", "d", "--split", "train"], 1, "--split does not"),
        (["eval", "tiny", "f.py", "--dataset", "d", "--test-seed", "1"], 1, "--test-seed does"),
        (["eval", "tiny", "f.py", "--db", "x.db"], 1, "--db goes with --run"),
        (["run", "bin_packing", "--dataset", "or1"], 2, "do not apply to bin_packing"),
        (["run", "bin_packing", "--suite", "or1"], 2, "do not apply to bin_packing"),
    ],
)
def test_options_that_do_not_apply_are_refused(
    args: list[str], code: int, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sol.json").write_text("{}")
    (tmp_path / "f.py").write_text("def f(x):\n    return x\n")
    done = invoke(*args, code=code)
    assert message in " ".join(done.stderr.split())
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "evolve.db").exists()
