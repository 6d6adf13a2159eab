"""`evolve export`: a file that runs, and never over one that exists unless --force."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import evolve, evolve_json


@pytest.fixture(scope="module")
def run_db(tmp_path_factory: pytest.TempPathFactory, tiny_problem_path: str) -> str:
    db = f"sqlite:///{tmp_path_factory.mktemp('export') / 'runs.db'}"
    summary = evolve_json(
        "run", tiny_problem_path, "--db", db, "--max-evals", "8", "--run-name", "t"
    )
    assert summary["db"] == db  # where the results are, as given
    return db


@pytest.fixture(scope="module")
def tiny_problem_path() -> str:
    return str(Path(__file__).resolve().parent / "data" / "tiny")


@pytest.mark.slow
def test_export_refuses_to_overwrite_without_force(run_db: str, tmp_path: Path) -> None:
    out = tmp_path / "best.py"
    out.write_text("mine\n")
    refused = evolve("export", "t", "-o", str(out), "--db", run_db, "--allow-overfit")
    assert refused.returncode == 1 and out.read_text() == "mine\n"
    said = " ".join(refused.stderr.split())
    assert f"{out} exists; nothing was written. Overwrite it with --force" in said
    forced = evolve("export", "t", "-o", str(out), "--db", run_db, "--allow-overfit", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "def f(" in out.read_text()


@pytest.mark.slow
def test_the_exported_file_scores_itself(
    run_db: str, tmp_path: Path, tiny_problem_path: str
) -> None:
    out = tmp_path / "best.py"
    exported = evolve_json("export", "t", "--out", str(out), "--db", run_db, "--allow-overfit")
    text = out.read_text()
    assert "# EVOLVE-BLOCK-START" in text and "def f(" in text  # the problem's whole program
    assert repr(tiny_problem_path) in text  # its problem, found from anywhere
    ran = subprocess.run(
        [sys.executable, str(out), "--split", "probe", "--json"],
        capture_output=True, text=True, cwd="/", timeout=120,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    first, _, report = ran.stdout.partition("\n")
    assert first.startswith(f"program {exported['program_id']} of run 't' (tiny)")
    assert '"on": "split probe"' in report and '"status": "ok"' in report
    bare = subprocess.run(  # -S: no site-packages, so no evolve: the file says what to run
        [sys.executable, "-S", str(out)], capture_output=True, text=True, cwd="/", timeout=60
    )
    assert bare.returncode == 1
    assert f"score it with `evolve eval {tiny_problem_path} {out}`" in bare.stderr
