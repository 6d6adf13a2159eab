"""Constructive TSP, as in AEL, EoH and ReEvo.

Evolve `select_next_node(current_node, destination_node, unvisited_nodes,
distance_matrix)`: starting at node 0, the harness asks it for the next node until every
node is visited; the tour closes back at node 0. The goal is a short tour. See README.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from problems.base import SPLITS, Baseline, Interface, Problem, ProblemError
from problems.tsp_common import DATASETS, aggregate, load_dataset, reevo, score, uniform
from problems.tsp_common.tours import farthest_insertion_tour
from problems.tsp_construct.harness import prepare, run, run_eoh, run_reevo

__all__ = ["BASELINES", "aggregate", "instances", "prepare", "problem", "run", "score"]

TEMPLATE = (Path(__file__).parent / "template.py").read_text()


_INTERFACE = """\
Constructive heuristic for the travelling salesman problem (TSP): visit every node once
and return to the start, as short a closed tour as possible. Nodes are points uniform in
the unit square; distances are Euclidean.

The tour starts at node 0. At each step the harness calls
{call}.
`current_node` is the node the tour is at (an int) and `destination_node` is node 0
(where the tour ends); {unvisited}; `distance_matrix` is the (n, n) numpy float array of
distances (read-only: copy it before changing it). It must return one of
`unvisited_nodes`; the tour moves there. Returning a visited or non-existent node is an
error.

Goal: minimize the tour length. The score is minus the mean tour length over 64
instances of 50 nodes; higher is better. The seed program is nearest neighbour (mean
length about 7.0 on 50 nodes).
"""
DESCRIPTION = _INTERFACE.format(
    call="`select_next_node(current_node, destination_node, unvisited_nodes, distance_matrix)`",
    unvisited="`unvisited_nodes` is a numpy int array of the\nnodes not visited yet, in "
    "increasing order",
)

# Other papers' interfaces (`evolve run tsp_construct:reevo`), so their heuristics run as
# published: the same instances and scoring, their way of calling select_next_node.
INTERFACES = {
    "reevo": Interface(
        run=run_reevo,
        description=_INTERFACE.format(
            call="`select_next_node(current_node=..., destination_node=..., "
            "unvisited_nodes=...,\ndistance_matrix=...)` (keyword arguments, as in ReEvo)",
            unvisited="`unvisited_nodes` is a Python set of\nthe nodes not visited yet",
        ),
        template=(Path(__file__).parent / "template_reevo.py").read_text(),
        reference="ReEvo (Ye et al., NeurIPS 2024), problems/tsp_constructive/eval.py",
    ),
    "eoh": Interface(
        run=run_eoh,
        description=_INTERFACE.format(
            call="`select_next_node(current_node, destination_node, unvisited_nodes, "
            "distance_matrix)`",
            unvisited="`unvisited_nodes` is a numpy int array of the\nnodes not visited "
            "yet, the nearest to `current_node` first (at most the 50 nearest, as in\n"
            "EoH; the last node is added without a call)",
        ),
        template=(Path(__file__).parent / "template_eoh.py").read_text(),
        reference="EoH (Liu et al., ICML 2024), examples/tsp_construct",
    ),
}

# split -> how its instances are made; "test" is ReEvo's test50 set (nearest neighbour 6.89).
SPLIT_DATASETS = {"train": "reevo:train50", "probe": "uniform-20:2:2", "test": "reevo:test50"}
# split -> (nodes, instances) of a draw from a seed: what a run uses for its test split
# (and, with secret_train, train and probe): the shapes of SPLIT_DATASETS, new points.
SPLIT_DRAWS = {"train": (50, 64), "probe": (20, 2), "test": (50, 64)}

NEAREST_NEIGHBOUR = TEMPLATE  # the seed program is nearest neighbour

# Off the training distribution, for `evolve generalize`: other sizes, clustered points,
# and TSPLIB instances with known optima.
GENERALIZATION = (
    *(
        f"uniform-{n}:{count}"
        for n, count in ((20, 32), (50, 32), (100, 32), (200, 16), (500, 8), (1000, 4))
    ),
    "clustered-100",
    "clustered-500:4",
    *(f"tsplib:{name}" for name in ("eil51", "kroA100", "ch150", "a280", "pcb442", "pr1002")),
)

BASELINES = (
    Baseline(
        name="nearest neighbour",
        source=NEAREST_NEIGHBOUR,
        published={
            "reevo:test20": {"mean_length": 4.45},
            "reevo:test50": {"mean_length": 6.89},
            "reevo:test100": {"mean_length": 9.65},
            "eoh-tsp20": {"mean_length": 4.558},  # EoH's test sets, packaged
            "eoh-tsp50": {"mean_length": 7.014},
        },
        reference="ReEvo (Ye et al., NeurIPS 2024) test_synthetic.ipynb; "
        "EoH (Liu et al., ICML 2024) examples/tsp_construct/results.txt",
    ),
)


def instances(split: str, seed: int | None = None) -> dict[str, dict[str, Any]]:
    """The fixed instances of a split (SPLIT_DATASETS), or a draw from `seed` (SPLIT_DRAWS)."""
    if split not in SPLIT_DATASETS:
        raise ProblemError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    if seed is not None:
        return uniform(*SPLIT_DRAWS[split], seed=seed)
    spec = SPLIT_DATASETS[split]
    return reevo(spec.partition(":")[2]) if spec.startswith("reevo:") else load_dataset(spec)


problem = Problem(
    name="tsp_construct",
    description=DESCRIPTION,
    entry="select_next_node",
    template=TEMPLATE,
    instances=instances,
    run=run,
    score=score,
    aggregate=aggregate,
    prepare=prepare,
    timeout_s=30.0,
    memory_mb=1024,
    preload=("numpy",),
    datasets=DATASETS,
    load_dataset=load_dataset,
    baselines=BASELINES,
    generalization=GENERALIZATION,
    references={"farthest insertion": farthest_insertion_tour},
    headline=("gap_pct", "mean_length"),
    interfaces=INTERFACES,
)
