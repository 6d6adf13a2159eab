"""`evolve new-problem`: scaffolds that work at once, and bugs reported by file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evolve.cli_problems import evaluate_file
from evolve.scaffold import FILES, MINIMAL_FILES, scaffold
from problems import ProblemError, available, load


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_scaffold_is_a_working_problem(tmp_path: Path) -> None:
    folder = scaffold(tmp_path / "curve_fit")
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    problem = load(folder)
    assert problem.name == "curve_fit" and problem.entry == "f"
    assert problem.sys_path == (str(tmp_path),)
    evaluation, label = evaluate_file(problem, folder / "template.py", split="probe")
    assert evaluation.ok and label == "split probe" and evaluation.score is not None


def test_from_builtin_copies_and_renames(tmp_path: Path) -> None:
    folder = scaffold(tmp_path / "my_packing", from_problem="bin_packing")
    sources = "".join(p.read_text() for p in folder.glob("*.py"))
    assert not re.search(r"problems\.bin_packing\b", sources)
    problem = load(folder)
    assert problem.name == "my_packing" and problem.harness_ref == "my_packing.harness:run"
    assert problem.instances_of("weibull-5k") == load("bin_packing").instances("test")


@pytest.mark.parametrize(
    ("name", "message"),
    [("1st", "not a Python identifier"), ("json", "name of the module"), ("taken", "not empty")],
)
def test_refuses_bad_targets(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("")
    with pytest.raises(ProblemError, match=message):
        scaffold(tmp_path / name)
    with pytest.raises(ProblemError, match=r"unknown starting point 'nope'.*minimal"):
        scaffold(tmp_path / "fresh", from_problem="nope")


def test_minimal_start_is_the_smallest_working_problem(tmp_path: Path) -> None:
    folder = scaffold(tmp_path / "tiniest", from_problem="minimal")
    assert sorted(p.name for p in folder.iterdir()) == sorted(MINIMAL_FILES)
    problem = load(folder)
    assert problem.name == "tiniest" and problem.harness_ref == "tiniest:run"
    evaluation, _ = evaluate_file(problem, folder / "template.py", split="probe")
    assert evaluation.ok and evaluation.score == -9.0  # f(x) = x against 3x + 1 at 1 and 7
    assert sorted(scaffold(tmp_path / "named", from_problem="curve-fit").iterdir()) == sorted(
        (tmp_path / "named" / name) for name in FILES
    )


@pytest.mark.parametrize("builtin", available())
def test_every_builtin_copies_under_its_new_name(tmp_path: Path, builtin: str) -> None:
    folder = scaffold(tmp_path / f"my_{builtin}", from_problem=builtin)
    problem = load(folder)
    assert problem.name == f"my_{builtin}" and problem.entry == load(builtin).entry


def test_loader_names_file_and_line_of_bugs(tmp_path: Path) -> None:
    folder = scaffold(tmp_path / "buggy")
    edit(folder / "template.py", "# EVOLVE-BLOCK-START\n", "")
    with pytest.raises(ProblemError, match=r"buggy/template\.py: expected one line"):
        load(folder)
    edit(folder / "template.py", "# EVOLVE-BLOCK-END", "# EVOLVE-BLOCK-START\n# EVOLVE-BLOCK-END")
    edit(folder / "scoring.py", "def score(", "def score((")
    line = line_of(folder / "scoring.py", "def score((")
    with pytest.raises(ProblemError, match=rf"buggy/scoring\.py:{line}: .*SyntaxError"):
        load(folder)


def test_runtime_bugs_name_file_and_line(tmp_path: Path) -> None:
    folder = scaffold(tmp_path / "buggy")
    edit(folder / "scoring.py", "    mse = math.fsum", "    1 / 0\n    mse = math.fsum")
    edit(
        folder / "datasets.py",
        '        raise ProblemError(f"unknown split',
        '        0 / 0  # bug\n        raise ProblemError(f"unknown split',
    )
    problem = load(folder)
    line = line_of(folder / "scoring.py", "1 / 0")
    # a bug of the problem's own score(), not the candidate's invalid output
    with pytest.raises(ProblemError, match=rf"ZeroDivisionError.*buggy/scoring\.py:{line}\)"):
        evaluate_file(problem, folder / "template.py", split="probe")
    line = line_of(folder / "datasets.py", "0 / 0  # bug")
    with pytest.raises(ProblemError, match=rf"datasets\.py:{line}: problem\.instances\('nope'\)"):
        problem.instances("nope")


def test_dataset_files_missing_or_malformed(tmp_path: Path) -> None:
    problem = load(scaffold(tmp_path / "with_data"))
    bad = tmp_path / "bad.json"
    bad.write_text('{"a":\n {"xs": [1]')
    with pytest.raises(ProblemError, match=r"bad\.json:2: not valid JSON"):
        problem.instances_of(f"json:{bad}")
    with pytest.raises(ProblemError, match=r"missing\.json: no such file"):
        problem.instances_of(f"json:{tmp_path / 'missing.json'}")
