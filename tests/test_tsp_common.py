"""Shared TSP code: data sets (ReEvo recipe, EoH files, TSPLIB), tour checks, scoring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from problems import InvalidOutput, ProblemError
from problems.tsp_common import (
    aggregate,
    distance_matrix,
    load_dataset,
    load_tsplib,
    nearest_neighbour,
    read_opt_tour,
    reevo,
    score,
    tour_length,
    uniform,
)
from problems.tsp_common.datasets import tsplib_names


def nn_mean_length(data: dict[str, Any]) -> float:
    per = {}
    for name, inst in data.items():
        coords = np.asarray(inst["coords"])
        tour = nearest_neighbour(distance_matrix(coords, inst.get("metric", "euclidean")))
        per[name] = score(inst, tour.tolist())
    return aggregate(per)["mean_length"]


@pytest.mark.slow
def test_reevo_recipe_reproduces_published_nearest_neighbour() -> None:
    # ReEvo test_synthetic.ipynb: 4.446566634076893 / 6.891886602053466 / 9.650788327301203
    for split, expected in [("test20", 4.45), ("test50", 6.89), ("test100", 9.65)]:
        data = reevo(split)
        assert len(data) == 64 and len(next(iter(data.values()))["coords"]) == int(split[4:])
        assert round(nn_mean_length(data), 2) == expected
    assert nn_mean_length(reevo("test20")) == pytest.approx(4.446566634076893, abs=1e-9)


def test_eoh_sets_reproduce_published_nearest_neighbour() -> None:
    for name, expected in [("eoh-tsp10", 3.124), ("eoh-tsp20", 4.558), ("eoh-tsp50", 7.014)]:
        data = load_dataset(name)
        assert len(data) == 100
        assert round(nn_mean_length(data), 3) == expected


def test_eoh_sets_by_name_and_by_file(
    datasets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # packaged files never resolve from the working directory
    shapes = {"eoh-tsp10": (100, 10), "eoh-tsp20": (100, 20), "eoh-tsp50": (100, 50),
              "eoh-tsp50-train": (64, 50)}  # fmt: skip
    for name, (count, n_nodes) in shapes.items():
        coords = np.asarray([inst["coords"] for inst in load_dataset(name).values()])
        assert coords.shape == (count, n_nodes, 2) and 0 <= coords.min() <= coords.max() <= 1
    by_file = load_dataset(f"npy:{datasets / 'tsp_random' / 'eoh_tsp_test_n50.npy'}")
    assert by_file == load_dataset("eoh-tsp50") and "eoh_tsp_test_n50_0" in by_file


def test_tsplib_optimum_and_opt_tour(datasets: Path) -> None:
    folder = datasets / "tsplib"
    for name in ["eil51", "berlin52", "a280", "kroA100", "rd100"]:  # a280: 'DIMENSION:'
        (instance,) = load_tsplib(folder / f"{name}.tsp").values()
        assert instance["metric"] == "EUC_2D" and len(instance["coords"]) > 50
        tour = read_opt_tour(folder / f"{name}.opt.tour")
        start = tour.index(0)
        metrics = score(instance, tour[start:] + tour[:start])
        assert metrics["gap_pct"] == 0.0 and metrics["length"] == instance["optimum"]
    assert load_dataset(f"tsplib:{folder / 'eil51.tsp'}")["eil51"]["optimum"] == 426.0


def test_packaged_tsplib_instances_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (eil51,) = load_dataset("tsplib:eil51").values()
    assert eil51["optimum"] == 426.0 and len(eil51["coords"]) == 51
    names = tsplib_names()
    assert len(names) == 49 and names[0] == "eil51" and names[-1] == "pr1002"
    for name in names:  # every packaged instance loads, with its optimum
        (instance,) = load_dataset(f"tsplib:{name}").values()
        assert instance["name"] == name and instance["optimum"] > 0
    with pytest.raises(ProblemError, match=r"no packaged TSPLIB instance 'eil52'; .*eil51, "):
        load_dataset("tsplib:eil52")
    with pytest.raises(ProblemError, match=r"eil51\.tsp: cannot read"):
        load_dataset("tsplib:eil51.tsp")  # a file name is a path: none here


def test_tsplib_optimum_from_opt_tour_alone(datasets: Path, tmp_path: Path) -> None:
    for suffix in (".tsp", ".opt.tour"):
        (tmp_path / f"eil51{suffix}").write_bytes(
            (datasets / "tsplib" / f"eil51{suffix}").read_bytes()
        )
    (instance,) = load_tsplib(tmp_path / "eil51.tsp").values()
    assert instance["optimum"] == 426.0  # no optimal_lengths.json here: from the tour


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NAME: x\nTYPE: TSP\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\n", "NODE_COORD_SECTION"),
        ("DIMENSION: 3\nEDGE_WEIGHT_TYPE: GEO\nNODE_COORD_SECTION\n", "only EUC_2D"),
        (
            "DIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 1 1\nEOF\n",
            r"bad.tsp:6: file ends after 2 of 3",
        ),
        (
            "DIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 1 x\n3 1 1\n",
            r"bad.tsp:5: expected '2 x y'",
        ),
    ],
)
def test_malformed_tsplib_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.tsp"
    path.write_text(text)
    with pytest.raises(ProblemError, match=message):
        load_tsplib(path)


def test_dataset_names_and_errors(tmp_path: Path) -> None:
    data = load_dataset("uniform-10:3:7")
    assert len(data) == 3 and data == uniform(10, 3, 7) != uniform(10, 3, 8)
    assert len(load_dataset("uniform-5")) == 64
    np.save(tmp_path / "a.npy", np.zeros((2, 4, 3)))
    for spec, message in [
        ("reevo:test7", "unknown ReEvo set"),
        ("uniform-x", "unknown TSP data set"),
        ("npy:/no/such.npy", "cannot read"),
        (f"npy:{tmp_path / 'a.npy'}", r"expected shape \(instances, n, 2\)"),
        ("tsplib:/no/such.tsp", "cannot read"),
    ]:
        with pytest.raises(ProblemError, match=message):
            load_dataset(spec)


SQUARE = {"coords": [[0, 0], [1, 0], [1, 1], [0, 1]]}


def test_score_recomputes_the_length() -> None:
    assert score(SQUARE, [0, 1, 2, 3]) == {"length": 4.0, "score": -4.0}
    assert score(SQUARE, [0, 2, 1, 3])["length"] == pytest.approx(2 + 2 * 2**0.5)
    assert score({**SQUARE, "optimum": 4.0}, [0, 3, 2, 1])["gap_pct"] == 0.0
    coords = np.asarray([[0, 0], [3, 0], [3, 4.4]])
    assert tour_length(coords, np.arange(3), "EUC_2D") == 3 + 4 + 5  # 4.4 -> 4, 5.44 -> 5


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ([0, 1, 1, 3], "node 1 is visited 2 times and node 2 never"),
        ([0, 1, 2], "all 4 nodes once"),
        ([0, 1, 2, 3, 0], "all 4 nodes once"),
        ([1, 0, 2, 3], "must start at node 0"),
        ([0, 1, 2.0, 3], "must be an int"),
        ([0, 1, True, 3], "must be an int"),
        ([0, 1, np.int64(2), 3], "must be an int"),
        ([0, 1, 2, 4], "out of range"),
        ([0, 1, -2, 3], "out of range"),
        ("0123", "expected a tour"),
        (None, "expected a tour"),
    ],
)
def test_invalid_tours_are_rejected(output: Any, message: str) -> None:
    with pytest.raises(InvalidOutput, match=message):
        score(SQUARE, output)


def test_aggregate_gap_only_when_every_optimum_is_known() -> None:
    with_gap = score({**SQUARE, "optimum": 4.0}, [0, 2, 1, 3])
    plain = score(SQUARE, [0, 1, 2, 3])
    both = aggregate({"a": with_gap, "b": with_gap})
    assert both["score"] == -both["gap_pct"] and both["gap_pct"] > 0
    mixed = aggregate({"a": with_gap, "b": plain})
    assert "gap_pct" not in mixed and mixed["score"] == -mixed["mean_length"]
    with pytest.raises(ProblemError):
        aggregate({})
