"""`evolve generalize`: a program beside its problem's baselines on other data sets."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import evolve, evolve_json

from evolve.generalize import PROGRAM, Entry, Report, Row, generalize
from problems import ProblemError, load
from problems.bin_packing.datasets import SHIFTED_SETS, load_dataset
from problems.tsp_common.datasets import clustered
from problems.tsp_common.tours import distance_matrix, farthest_insertion, tour_length

# Two circles on the diagonal beat the seed's grid for n = 2 (0.5858 > 0.5); for n = 4
# it is the grid; n = 3 raises.
DIAGONAL = """\
import numpy as np


def pack(n):
    if n == 3:
        raise ValueError("no idea for three")
    if n == 2:
        r = 2 ** 0.5 / (2 + 2 * 2 ** 0.5) * (1 - 1e-12)
        return np.array([[r, r], [1 - r, 1 - r]]), np.array([r, r])
    side = int(np.ceil(np.sqrt(n)))
    cells = np.arange(n)
    centres = np.stack([(cells % side + 0.5) / side, (cells // side + 0.5) / side], axis=1)
    return centres, np.full(n, 0.5 / side * (1 - 1e-12))
"""


def entry(score: float | None) -> Entry:
    return Entry(score, error="" if score is not None else "error: boom")


def test_outcomes_compare_scores_with_a_tolerance_for_ties() -> None:
    row = Row("d", 1, {PROGRAM: entry(2.0), "a": entry(1.0), "b": entry(2.0 + 1e-12),
                       "c": entry(3.0), "d": entry(None)})  # fmt: skip
    assert [row.outcome(r) for r in "abcd"] == ["win", "tie", "loss", ""]
    assert Row("d", 1, {PROGRAM: entry(None), "a": entry(1.0)}).outcome("a") == "loss"
    report = Report("p", "x", ["a", "c"], [row, row])
    assert report.tally("a") == {"win": 2, "loss": 0, "tie": 0}
    assert report.to_json()["tally"]["c"] == {"win": 0, "loss": 2, "tie": 0}


@pytest.mark.slow
def test_a_program_file_against_the_seed_on_named_data_sets(tmp_path: Path) -> None:
    program = tmp_path / "diagonal.py"
    program.write_text(DIAGONAL)
    report = evolve_json(
        "generalize", str(program), "--problem", "circle_packing",
        "--dataset", "n2", "--dataset", "n3", "--dataset", "n4", "--dataset", "n0",
    )  # fmt: skip
    rows = {row["dataset"]: row for row in report["rows"]}
    seed = "square grid (the seed)"
    assert report["rivals"] == [seed] and report["program"] == "diagonal.py"
    assert [rows[n]["outcomes"][seed] for n in ("n2", "n3", "n4")] == ["win", "loss", "tie"]
    assert rows["n2"]["entries"]["program"]["score"] == pytest.approx(2 * 0.2928932, rel=1e-6)
    assert "no idea for three" in rows["n3"]["entries"]["program"]["error"]
    assert "expected nK" in rows["n0"]["error"] and rows["n0"]["entries"] == {}
    assert report["tally"][seed] == {"win": 1, "loss": 1, "tie": 1}


@pytest.mark.slow
def test_a_program_of_the_archive_by_id(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    ran = evolve("run", "circle_packing", "--max-evals", "3", "--db", db, timeout=180)
    assert ran.returncode == 0, ran.stderr
    assert re.search(r"evolve generalize \d+ --db", ran.stderr)  # the summary offers it
    done = evolve("generalize", "1", "--db", db, "--dataset", "n5", "--dataset", "n6")
    assert done.returncode == 0, done.stderr
    assert "program 1 off its training data" in done.stdout
    assert "against square grid (the seed): 0 wins, 0 losses, 2 ties" in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["prog.py"], "give the problem of a program file with --problem"),
        (["1", "--problem", "cap_set"], "--problem and --entry go with a program file"),
        (["prog.py", "--problem", "puzzles"], "lists no data sets to generalize on"),
        (["7", "--db", "sqlite:///{tmp}/none.db"], "no archive"),
    ],
)
def test_errors_are_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text("def sol():\n    return 1\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = evolve("generalize", *args, cwd=str(tmp_path))
    assert done.returncode == 1 and message in done.stderr
    assert "Traceback" not in done.stderr


def test_references_run_beside_the_baselines() -> None:
    problem = load("tsp_construct")
    report = generalize(problem, problem.template, datasets=["tsplib:eil51"], workers=1)
    entries = report.rows[0].entries
    assert set(entries) == {PROGRAM, "nearest neighbour", "farthest insertion"}
    assert entries["farthest insertion"].metrics["gap_pct"] == pytest.approx(8.92, abs=0.01)
    assert report.rows[0].outcome("farthest insertion") == "loss"
    assert report.rows[0].outcome("nearest neighbour") == "tie"


def test_every_builtin_problem_with_baselines_lists_loadable_data_sets() -> None:
    for name in ("bin_packing", "cap_set", "circle_packing", "tsp_construct", "tsp_gls"):
        problem = load(name)
        assert problem.generalization and problem.headline
        for dataset in problem.generalization:
            if not dataset.startswith(("weibull-10k", "uniform-1000")):  # slow to draw
                assert problem.instances_of(dataset), dataset
    with pytest.raises(ProblemError, match="lists no data sets"):
        generalize(load("puzzles"), "")


def test_farthest_insertion_is_a_tour_from_node_zero() -> None:
    square = np.array([[0, 0], [1, 1], [0, 1], [1, 0]], dtype=float)
    tour = farthest_insertion(distance_matrix(square))
    assert tour[0] == 0 and sorted(tour) == [0, 1, 2, 3]
    assert tour_length(square, tour) == pytest.approx(4.0)  # the square, not a bow tie
    coords = np.random.default_rng(1).random((30, 2))
    tour = farthest_insertion(distance_matrix(coords))
    assert tour[0] == 0 and sorted(tour) == list(range(30))


def test_shifted_data_sets_are_fixed_draws_of_their_distribution() -> None:
    for name, (_, capacity, _, _) in SHIFTED_SETS.items():
        first, again = load_dataset(name), load_dataset(name)
        assert first == again and len(first) == 3
        items = list(itertools.chain.from_iterable(i["items"] for i in first.values()))
        assert all(type(x) is int and 1 <= x <= capacity for x in items)
        assert {i["capacity"] for i in first.values()} == {capacity}
    points = np.array([i["coords"] for i in clustered(100, 3, 0).values()])
    assert points.shape == (3, 100, 2) and points.min() >= 0 and points.max() <= 1
