"""Code shared by the TSP problems (tsp_construct, tsp_gls): instances, data sets,
distances, tour checks and the trusted scoring. Not a problem itself (no template.py)."""

from problems.tsp_common.datasets import (
    DATASETS,
    REEVO_GLS_MEAN_OPTIMUM,
    REEVO_GLS_SPLITS,
    REEVO_SPLITS,
    from_coords,
    load_dataset,
    load_npy,
    load_tsplib,
    read_opt_tour,
    reevo,
    reevo_gls,
    uniform,
)
from problems.tsp_common.scoring import aggregate, score
from problems.tsp_common.tours import (
    METRICS,
    check_instance,
    checked_tour,
    distance_matrix,
    nearest_neighbour,
    tour_length,
)

__all__ = [
    "DATASETS",
    "METRICS",
    "REEVO_GLS_MEAN_OPTIMUM",
    "REEVO_GLS_SPLITS",
    "REEVO_SPLITS",
    "aggregate",
    "check_instance",
    "checked_tour",
    "distance_matrix",
    "from_coords",
    "load_dataset",
    "load_npy",
    "load_tsplib",
    "nearest_neighbour",
    "read_opt_tour",
    "reevo",
    "reevo_gls",
    "score",
    "tour_length",
    "uniform",
]
