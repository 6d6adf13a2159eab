"""Published heuristics as their authors wrote them: `evolve eval --entry` and
`evolve run --seed-program FILE [--entry NAME]`."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import Archive
from evolve.exceptions import EvolveError
from evolve.programs import program_source
from problems import load
from tests.cli_helpers import evolve, evolve_json

# EoH's bin packing heuristics are called `score`; same arguments, same meaning.
EOH_SCORE = """\
import numpy as np


def score(item, bins):
    scores = 1.0 / (bins - item)  # +inf on an exact fit: it wins
    return scores
"""


def test_program_source_renames_the_authors_function(tmp_path: Path) -> None:
    problem = load("bin_packing")
    program = tmp_path / "eoh.py"
    program.write_text(EOH_SCORE)
    named = program_source(problem, program, entry="score")
    assert "def priority(item, bins):\n    scores = 1.0 / (bins - item)" in named
    assert program_source(problem, program) == named  # unambiguous: found without --entry
    with pytest.raises(
        EvolveError, match=r"no top-level function `heuristic` \(it defines: score\)"
    ):
        program_source(problem, program, entry="heuristic")
    full = tmp_path / "full.py"
    full.write_text(named.replace("def priority(", "def score("))
    assert program_source(problem, full, entry="score") == named  # a full program too


@pytest.mark.slow
def test_evolve_eval_with_entry(tmp_path: Path) -> None:
    program = tmp_path / "eoh.py"
    program.write_text(EOH_SCORE)
    result = evolve_json(
        "eval", "bin_packing", str(program), "--entry", "score", "--dataset", "or1"
    )
    assert result["status"] == "ok" and result["metrics"]["nonfinite_priorities"] > 0
    done = evolve("eval", "bin_packing", str(program), "--entry", "nosuch", "--dataset", "or1")
    assert done.returncode == 1 and "no top-level function `nosuch`" in done.stderr


@pytest.mark.slow
def test_evolve_run_starts_from_a_seed_program(tmp_path: Path, db_url: str) -> None:
    program = tmp_path / "eoh.py"
    program.write_text(EOH_SCORE)
    summary = evolve_json(
        "run", "bin_packing", "--seed-program", str(program), "--entry", "score",
        "--max-evals", "2", "--validate-top", "0", "--db", db_url, "--workers", "1",
        timeout=300,
    )  # fmt: skip
    on_train = evolve_json("eval", "bin_packing", str(program), "--split", "train")
    assert summary["seed_score"] == pytest.approx(on_train["score"])
    with Archive(db_url, create=False) as archive:
        run = archive.get_run(summary["run_name"])
        seed = next(p for p in archive.iter_programs(run.id) if p.is_seed)
    assert "def priority(item, bins):\n    scores = 1.0 / (bins - item)" in seed.source


@pytest.mark.slow
def test_seed_program_options_are_checked(tmp_path: Path, db_url: str) -> None:
    done = evolve("run", "bin_packing", "--entry", "score", "--db", db_url)
    assert done.returncode == 1 and "--entry names the function of --seed-program" in done.stderr
    program = tmp_path / "eoh.py"
    program.write_text(EOH_SCORE)
    done = evolve("run", "--resume", "r", "--seed-program", str(program), "--db", db_url)
    assert done.returncode == 1 and "--seed-program starts a new run" in done.stderr
