"""Guided local search for the TSP, as in EoH.

Evolve `update_edge_distance(edge_distance, local_opt_tour, edge_n_used)`: after every
local search (2-opt + relocate) the harness asks it for guided edge distances, penalises
the edges it raises most and perturbs the tour around them. See README.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from problems.base import SPLITS, Baseline, Problem, ProblemError
from problems.tsp_common import DATASETS, aggregate, load_dataset, score, uniform
from problems.tsp_common.tours import farthest_insertion_tour
from problems.tsp_gls.harness import ITERATIONS, PERTURBATION_MOVES, prepare, run

__all__ = ["BASELINES", "aggregate", "instances", "prepare", "problem", "run", "score"]

TEMPLATE = (Path(__file__).parent / "template.py").read_text()

DESCRIPTION = f"""\
Guided local search (GLS) for the travelling salesman problem (TSP): find a short closed
tour through points uniform in the unit square (Euclidean distances).

The harness builds a nearest-neighbour tour from node 0 and improves it with 2-opt and
relocate moves until no move helps (a local optimum). Then, {ITERATIONS} times: it calls
`update_edge_distance(edge_distance, local_opt_tour, edge_n_used)` with the (n, n) numpy
distance matrix, the local optimum (a numpy int array of the nodes in visiting order) and
the (n, n) count of how often each edge has been penalised so far. It must return guided
distances: an (n, n) numpy array of numbers (nan and inf are allowed as numpy orders them,
and counted in the metric `nonfinite_guides`). The {PERTURBATION_MOVES} edges whose
guided distance exceeds the real distance the most are penalised one by one (their count
in edge_n_used grows) and the tour is changed by 2-opt and relocate moves around their
ends under the guided distances; then the local search runs again on the real distances.
The best tour seen is the result. The arguments are copies: changing them is harmless.

Goal: minimize the tour length. The score is minus the mean tour length of the best
tours; higher is better. The seed program is classic GLS: it raises each tour edge by its
utility distance / (1 + times penalised).
"""

# split -> (data set, GLS iterations per instance)
SPLIT_DATASETS = {
    "train": ("uniform-50:8:1", ITERATIONS),
    "probe": ("uniform-20:1:2", 2),
    "test": ("reevo-gls:test100", ITERATIONS),
}
# split -> (nodes, instances) of a draw from a seed: what a run uses for its test split
# (and, with secret_train, train and probe): the shapes of SPLIT_DATASETS, new points.
SPLIT_DRAWS = {"train": (50, 8), "probe": (20, 1), "test": (100, 64)}

LOCAL_SEARCH_ONLY = TEMPLATE.replace(
    TEMPLATE[TEMPLATE.index("    # classic GLS") : TEMPLATE.index("\n\n# EVOLVE-BLOCK-END")],
    "    return edge_distance  # no guidance: the harness is a plain local search",
)

# Off the training distribution, for `evolve generalize` (GLS is slow: small sets).
GENERALIZATION = (
    *(f"uniform-{n}:{count}" for n, count in ((20, 8), (50, 8), (100, 8), (200, 4))),
    "clustered-100:8",
    *(f"tsplib:{name}" for name in ("eil51", "kroA100", "a280")),
)

BASELINES = (
    Baseline(name="classic GLS utility (the seed)", source=TEMPLATE, published={}),
    Baseline(name="local search only (no guidance)", source=LOCAL_SEARCH_ONLY, published={}),
)


def instances(split: str, seed: int | None = None) -> dict[str, dict[str, Any]]:
    """The fixed instances of a split (SPLIT_DATASETS), or a draw from `seed` (SPLIT_DRAWS)."""
    if split not in SPLIT_DATASETS:
        raise ProblemError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    spec, iterations = SPLIT_DATASETS[split]
    data = load_dataset(spec) if seed is None else uniform(*SPLIT_DRAWS[split], seed=seed)
    return {k: {**v, "iterations": iterations} for k, v in data.items()}


problem = Problem(
    name="tsp_gls",
    description=DESCRIPTION,
    entry="update_edge_distance",
    template=TEMPLATE,
    instances=instances,
    run=run,
    score=score,
    aggregate=aggregate,
    prepare=prepare,
    timeout_s=60.0,
    memory_mb=1024,
    preload=("numpy",),
    datasets=DATASETS,
    load_dataset=load_dataset,
    baselines=BASELINES,
    generalization=GENERALIZATION,
    references={"farthest insertion": farthest_insertion_tour},
    headline=("gap_pct", "mean_length"),
)
