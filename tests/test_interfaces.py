"""Other papers' interfaces of a problem: their published heuristics run unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from problems import Problem, ProblemError, load
from problems.tsp_construct import instances, prepare, run
from tests.cli_helpers import evolve_json

# ReEvo's published constructive TSP heuristic style: a set, keyword arguments, set algebra.
REEVO = """\
import numpy as np


def select_next_node(
    current_node: int, destination_node: int, unvisited_nodes: set, distance_matrix: np.ndarray
) -> int:
    scores = {}
    for node in unvisited_nodes:
        others = unvisited_nodes - {node}
        spread = np.mean([distance_matrix[node][i] for i in others]) if others else 0.0
        scores[node] = distance_matrix[current_node][node] - 0.3 * spread
    next_node = min(scores, key=scores.get)
    return next_node
"""

# EoH's style: the candidates come nearest first, so the first is the nearest neighbour.
EOH = """\
def select_next_node(current_node, destination_node, unvisited_nodes, distance_matrix):
    next_node = unvisited_nodes[0]
    return next_node
"""


def evaluate(problem: Problem, source: str, data: dict[str, Any]) -> dict[str, float]:
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    entry = namespace[problem.entry]
    assert problem.prepare is not None
    per = {k: problem.score(v, problem.run(entry, problem.prepare(v))) for k, v in data.items()}
    return problem.aggregate(per)


def test_interfaces_load_by_name_and_keep_instances_and_scoring() -> None:
    plain, reevo, eoh = (
        load(n) for n in ("tsp_construct", "tsp_construct:reevo", "tsp_construct:eoh")
    )
    assert reevo.name == "tsp_construct:reevo" and reevo.harness_ref.endswith(":run_reevo")
    assert (
        eoh.harness_ref.endswith(":run_eoh")
        and "nearest to `current_node` first" in eoh.description
    )
    assert "Python set" in reevo.description and reevo.template != plain.template
    assert reevo.instances is plain.instances and reevo.score is plain.score
    with pytest.raises(ProblemError, match="no interface 'aco'; its interfaces: reevo, eoh"):
        load("tsp_construct:aco")
    with pytest.raises(ProblemError, match="no interface"):
        load("bin_packing:reevo")


def test_each_interfaces_seed_is_nearest_neighbour() -> None:
    data = dict(list(instances("test").items())[:8])
    lengths = {
        name: evaluate(load(name), load(name).template, data)["mean_length"]
        for name in ("tsp_construct", "tsp_construct:reevo", "tsp_construct:eoh")
    }
    assert len({round(v, 9) for v in lengths.values()}) == 1, lengths


def test_published_styles_run_unchanged_under_their_interface() -> None:
    data = dict(list(instances("probe").items()))
    reevo = evaluate(load("tsp_construct:reevo"), REEVO, data)
    with pytest.raises(TypeError):  # set algebra on the default interface's numpy array
        evaluate(load("tsp_construct"), REEVO, data)
    nearest = evaluate(load("tsp_construct"), load("tsp_construct").template, data)
    assert evaluate(load("tsp_construct:eoh"), EOH, data) == nearest
    assert evaluate(load("tsp_construct"), EOH, data) != nearest  # lowest index first there
    assert reevo["mean_length"] > 0


@pytest.mark.slow
def test_evolve_eval_runs_a_reevo_heuristic_through_the_sandbox(tmp_path: Path) -> None:
    program = tmp_path / "reevo.py"
    program.write_text(REEVO)
    result = evolve_json("eval", "tsp_construct:reevo", str(program), "--split", "probe")
    expected = evaluate(load("tsp_construct:reevo"), REEVO, instances("probe"))
    assert result["status"] == "ok" and result["score"] == pytest.approx(expected["score"])


def test_an_integral_float_is_a_node_as_in_eohs_harness() -> None:
    instance = prepare(next(iter(instances("probe").values())))
    as_float = run(lambda cur, dst, unvisited, d: float(unvisited[0]), instance)
    assert as_float == run(lambda cur, dst, unvisited, d: int(unvisited[0]), instance)


@pytest.mark.slow
def test_evolve_problems_lists_the_interfaces() -> None:
    rows = {row["name"]: row for row in evolve_json("problems")}
    assert set(rows["tsp_construct"]["interfaces"]) == {"reevo", "eoh"}
    assert "ReEvo" in rows["tsp_construct"]["interfaces"]["reevo"]
    assert rows["bin_packing"]["interfaces"] == {}
