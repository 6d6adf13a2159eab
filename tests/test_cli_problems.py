"""`evolve eval`, `evolve problems` and `evolve new-problem`, run as a user would."""

from __future__ import annotations

from pathlib import Path

import pytest

from evolve.cli_problems import program_source
from evolve.exceptions import EvolveError
from problems import ProblemError, load
from tests.cli_helpers import evolve, evolve_json

FIRST_FIT = "import numpy as np\n\ndef priority(item, bins):\n    return -np.arange(len(bins))\n"


def test_program_source_accepts_full_programs_and_bare_functions(tmp_path: Path) -> None:
    problem = load("bin_packing")
    full = tmp_path / "full.py"
    full.write_text(problem.template)
    assert program_source(problem, full) == problem.template
    bare = tmp_path / "bare.py"
    bare.write_text(FIRST_FIT)
    child = program_source(problem, bare)
    assert "-np.arange(len(bins))" in child and "# EVOLVE-BLOCK-START" in child
    bare.write_text("def other(x):\n    return x\n")
    with pytest.raises(EvolveError, match=r"bare\.py: .*defines priority"):
        program_source(problem, bare)
    full.write_text(problem.template.replace("def priority(", "def priority(("))
    with pytest.raises(ProblemError, match=r"full\.py:\d+: syntax error"):
        program_source(problem, full)
    with pytest.raises(EvolveError, match="no such file"):
        program_source(problem, tmp_path / "missing.py")


@pytest.mark.slow
def test_eval_a_function_on_a_dataset(tmp_path: Path, datasets: Path) -> None:
    program = tmp_path / "first_fit.py"
    program.write_text(FIRST_FIT)
    data = evolve_json("eval", "bin_packing", str(program), "--dataset", "or1", cwd=str(tmp_path))
    assert data["status"] == "ok" and round(data["metrics"]["excess_pct"], 2) == 6.42
    assert len(data["scores"]) == 20 and data["on"] == "dataset or1"
    orlib = datasets / "orlib_binpack" / "binpack1.txt"  # the same file, by its path
    by_file = evolve_json("eval", "bin_packing", str(program), "--dataset", f"orlib:{orlib}")
    assert by_file["scores"] == data["scores"]
    done = evolve("eval", "bin_packing", str(program), "--dataset", "or9")
    assert done.returncode == 1 and "unknown bin packing data set 'or9'" in done.stderr
    assert "or1, or2" in done.stderr and "funsearch-weibull-5k" in done.stderr
    done = evolve("eval", "cap_set", str(program), "--dataset", "n5")
    assert done.returncode == 1
    assert "cap_set on dataset n5: error" in done.stderr and "Traceback" not in done.stdout
    done = evolve("eval", "bin_packing", str(program), "--dataset", "json:nope.json")
    assert done.returncode == 1 and done.stderr.strip() == "error: nope.json: no such file"


@pytest.mark.slow
def test_problems_lists_the_packaged_data_sets() -> None:
    rows = {row["name"]: row for row in evolve_json("problems")}
    bin_packing = rows["bin_packing"]["datasets"]
    assert {f"or{i}" for i in range(1, 9)} | {"funsearch-weibull-5k"} <= set(bin_packing)
    assert "20 instances x 120 items, capacity 150" in bin_packing["or1"]
    for name in ("tsp_construct", "tsp_gls"):
        sets = rows[name]["datasets"]
        assert {"eoh-tsp10", "eoh-tsp20", "eoh-tsp50", "eoh-tsp50-train"} <= set(sets)
        assert "100 instances of 50 points" in sets["eoh-tsp50"]
        assert "eil51, berlin52" in sets["tsplib:NAME"] and "pr1002" in sets["tsplib:NAME"]
    assert {"builtin", "p3", "p3:train", "p3:test"} <= set(rows["puzzles"]["datasets"])
    assert "1,715 puzzles" in rows["puzzles"]["datasets"]["p3"]
    table = evolve("problems")
    assert table.returncode == 0, table.stderr
    for name in ("or1", "funsearch-weibull-5k", "eoh-tsp50", "tsplib:NAME", "p3:train"):
        assert name in table.stdout, name


@pytest.mark.slow
def test_problems_and_new_problem(tmp_path: Path) -> None:
    rows = {row["name"]: row for row in evolve_json("problems")}
    assert {"bin_packing", "cap_set"} <= set(rows)
    assert rows["cap_set"]["entry"] == "priority" and "n8" in rows["cap_set"]["datasets"]
    assert rows["bin_packing"]["splits"] == {"train": 5, "probe": 2, "test": 5}
    done = evolve("new-problem", "fresh_one", cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    data = evolve_json("eval", "./fresh_one", "fresh_one/template.py", cwd=str(tmp_path))
    assert data["status"] == "ok" and data["on"] == "split test (secret draw)"


@pytest.mark.slow
def test_a_bug_in_the_problems_score_stops_the_run(tmp_path: Path) -> None:
    """Only InvalidOutput is the candidate's fault: a KeyError in score() is the problem's
    bug; the run stops at once, says where, and exits non-zero."""
    folder = tmp_path / "buggy"
    folder.mkdir()
    tiny = Path(__file__).parent / "data" / "tiny"
    (folder / "template.py").write_text((tiny / "template.py").read_text())
    code = (tiny / "__init__.py").read_text()
    buggy = code.replace(
        '    error = abs(output - (3 * instance["x"] + 1))\n',
        '    if output != instance["x"]:\n'
        '        return {}["missing"]  # a bug of the problem\'s own check\n'
        '    error = abs(output - (3 * instance["x"] + 1))\n',
    )
    assert buggy != code
    (folder / "__init__.py").write_text(buggy)
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    done = evolve("run", str(folder), "--max-evals", "30", "--db", db, "--json", timeout=300)
    assert done.returncode != 0
    said = " ".join(done.stderr.split())
    assert "tiny's score() raised KeyError: 'missing'" in said
    assert f"{folder / '__init__.py'}:" in done.stderr.replace("\n", "")
    runs = evolve_json("runs", "--db", db)
    assert runs[0]["status"] == "failed"
