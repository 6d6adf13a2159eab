"""Constructive TSP, as in AEL, EoH and ReEvo.

Evolve `select_next_node(current_node, destination_node, unvisited_nodes,
distance_matrix)`: starting at node 0, the harness asks it for the next node until every
node is visited; the tour closes back at node 0. The goal is a short tour. See README.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from problems.base import SPLITS, Baseline, Problem, ProblemError
from problems.tsp_common import DATASETS, aggregate, load_dataset, reevo, score, uniform
from problems.tsp_construct.harness import prepare, run

__all__ = ["BASELINES", "EOH_DATA", "aggregate", "instances", "prepare", "problem", "run", "score"]

TEMPLATE = (Path(__file__).parent / "template.py").read_text()

DESCRIPTION = """\
Constructive heuristic for the travelling salesman problem (TSP): visit every node once
and return to the start, as short a closed tour as possible. Nodes are points uniform in
the unit square; distances are Euclidean.

The tour starts at node 0. At each step the harness calls
`select_next_node(current_node, destination_node, unvisited_nodes, distance_matrix)`:
`current_node` is the node the tour is at (an int), `destination_node` is node 0 (where
the tour ends), `unvisited_nodes` is a numpy int array of the nodes not visited yet (in
increasing order) and `distance_matrix` is the (n, n) numpy float array of distances
(read-only: copy it before changing it). It must return one of `unvisited_nodes`; the
tour moves there. Returning a visited or non-existent node is an error.

Goal: minimize the tour length. The score is minus the mean tour length over 64
instances of 50 nodes; higher is better. The seed program is nearest neighbour (mean
length about 7.0 on 50 nodes).
"""

# split -> how its instances are made; "test" is ReEvo's test50 set (nearest neighbour 6.89).
SPLIT_DATASETS = {"train": "reevo:train50", "probe": "uniform-20:2:2", "test": "reevo:test50"}
# split -> (nodes, instances) of a draw from a seed: what a run uses for its test split
# (and, with secret_train, train and probe): the shapes of SPLIT_DATASETS, new points.
SPLIT_DRAWS = {"train": (50, 64), "probe": (20, 2), "test": (50, 64)}

# EoH's n20 / n50 test sets, relative to the repository root (see PROVENANCE.md there).
EOH_DATA = "../shared/datasets/tsp_random"

NEAREST_NEIGHBOUR = TEMPLATE  # the seed program is nearest neighbour

BASELINES = (
    Baseline(
        name="nearest neighbour",
        source=NEAREST_NEIGHBOUR,
        published={
            "reevo:test20": {"mean_length": 4.45},
            "reevo:test50": {"mean_length": 6.89},
            "reevo:test100": {"mean_length": 9.65},
            f"npy:{EOH_DATA}/eoh_tsp_test_n20.npy": {"mean_length": 4.558},
            f"npy:{EOH_DATA}/eoh_tsp_test_n50.npy": {"mean_length": 7.014},
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
)
