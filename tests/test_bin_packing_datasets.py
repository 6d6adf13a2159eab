"""Bin packing's named data sets and baselines: loading, errors naming file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from problems import ProblemError, load
from problems.bin_packing import (
    BASELINES,
    DATASETS,
    SPLIT_SIZES,
    aggregate,
    instances,
    load_dataset,
    prepare,
    run,
    score,
)


def excess(source: str, data: dict[str, Any]) -> float:
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    priority = namespace["priority"]
    per = {name: score(inst, run(priority, prepare(inst))) for name, inst in data.items()}
    return aggregate(per)["excess_pct"]


def test_problem_declares_datasets_and_baselines() -> None:
    problem = load("bin_packing")
    assert set(problem.datasets) == set(DATASETS) >= {"weibull-5k", "orlib:FILE", "json:FILE"}
    assert [b.name for b in problem.baselines] == ["first fit", "best fit"]
    assert problem.baselines[1].source == problem.template  # the seed is best fit
    assert "np.arange(len(bins))" in problem.baselines[0].source


def test_weibull_sets_are_funsearch_sized() -> None:
    five = load_dataset("weibull-5k")
    assert five == instances("test")  # the held-out split is our Weibull 5k
    assert len(five) == SPLIT_SIZES["test"][0] == 5
    big = load_dataset("weibull-100k")
    assert len(big) == 1 and len(next(iter(big.values()))["items"]) == 100_000


def test_packaged_sets_load_by_name_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # packaged files never resolve from the working directory
    problem = load("bin_packing")
    or1 = problem.instances_of("or1")
    assert sorted(or1) == [f"u120_{i:02d}" for i in range(20)]
    assert {(inst["capacity"], len(inst["items"])) for inst in or1.values()} == {(150, 120)}
    assert [or1[f"u120_{i:02d}"]["best_known"] for i in range(5)] == [48, 49, 46, 49, 50]
    assert or1["u120_08"]["best_known"] == 51  # one above its L1 bound (PROVENANCE.md)
    assert problem.instances_of("or8")["t501_19"]["best_known"] == 167
    funsearch = problem.instances_of("funsearch-weibull-5k")
    assert sorted(funsearch) == [f"test_{i}" for i in range(5)]
    assert {(inst["capacity"], len(inst["items"])) for inst in funsearch.values()} == {(100, 5000)}


def test_files_load_through_the_problem(datasets: Path) -> None:
    problem = load("bin_packing")
    folder = datasets / "orlib_binpack"
    orlib = problem.instances_of(f"orlib:{folder / 'binpack1.txt'}")
    assert orlib == problem.instances_of("or1")
    funsearch = problem.instances_of(f"json:{folder / 'weibull5k_funsearch.json'}")
    assert funsearch == problem.instances_of("funsearch-weibull-5k")


@pytest.mark.parametrize("baseline", BASELINES, ids=lambda b: b.name)
def test_baselines_reproduce_published_numbers(baseline: Any) -> None:
    """FunSearch's Table 1 on its own instances: OR1 and Weibull 5k (OR2-4: test_bin_packing)."""
    assert {"or1", "or2", "or3", "or4", "funsearch-weibull-5k"} <= set(baseline.published)
    for name in ("or1", "funsearch-weibull-5k"):
        value = excess(baseline.source, load_dataset(name))
        assert round(value, 2) == baseline.published[name]["excess_pct"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("short.txt", "2\n a\n 10 2 1\n 5\n 5\n", "short.txt: file ends early"),
        ("big.txt", "1\n a\n 10 2 1\n 5\n 12\n", "big.txt:5: item size 12"),
        ("word.txt", "1\n a\n 10 2 1\n 5\n five\n", "word.txt:5: expected a number"),
        ("count.txt", "x\n", "count.txt:1: expected an integer"),
        ("extra.txt", "1\n a\n 10 1 1\n 5\n 7\n", "extra.txt:5: unexpected '7'"),
        ("few.txt", "1\n a\n 10 3 1\n 5\n", "few.txt:2: instance a has 1 items, expected 3"),
        ("empty.txt", "", "empty file"),
    ],
)
def test_malformed_orlib_files_name_file_and_line(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(ProblemError, match=message):
        load_dataset(f"orlib:{tmp_path / name}")


def test_json_errors_and_unknown_names(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": {"capacity": 10,\n "items": [1, 2,]}}')
    with pytest.raises(ProblemError, match=r"bad\.json:2: not valid JSON"):
        load_dataset(f"json:{bad}")
    bad.write_text('{"a": {"capacity": 10, "items": [1, 20]}}')
    with pytest.raises(ProblemError, match=r"bad\.json: a: item 1 has size 20"):
        load_dataset(f"json:{bad}")
    with pytest.raises(ProblemError, match=r"missing\.json: no such file"):
        load_dataset(f"json:{tmp_path / 'missing.json'}")
    with pytest.raises(ProblemError, match="unknown bin packing data set 'weibull-7k'"):
        load_dataset("weibull-7k")


def test_an_unknown_name_lists_the_names() -> None:
    with pytest.raises(ProblemError) as error:
        load_dataset("or9")
    message = str(error.value)
    assert "unknown bin packing data set 'or9'" in message
    for name in ("or1", "or8", "funsearch-weibull-5k", "weibull-5k", "orlib:FILE"):
        assert name in message
