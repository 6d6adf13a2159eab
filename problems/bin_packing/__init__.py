"""Online bin packing, as in FunSearch (Romera-Paredes et al., Nature 2023).

Evolve `priority(item, bins)`: for each arriving item, the harness asks it to rank the
bins the item fits in and puts the item in the highest-ranked one. The goal is to use as
few bins as possible, measured as the excess over the L1 lower bound. See README.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from problems.base import SPLITS, Baseline, Problem, ProblemError
from problems.bin_packing.datasets import (
    DATASETS,
    DatasetError,
    load_dataset,
    load_json,
    load_orlib,
    weibull,
)
from problems.bin_packing.harness import prepare, run
from problems.bin_packing.scoring import aggregate, l1_bound, score

__all__ = [
    "BASELINES",
    "DATASETS",
    "SPLIT_SIZES",
    "DatasetError",
    "aggregate",
    "instances",
    "l1_bound",
    "load_dataset",
    "load_json",
    "load_orlib",
    "prepare",
    "problem",
    "run",
    "score",
    "weibull",
]

# split -> (instances, items per instance, fixed seed). "test" is FunSearch's "Weibull 5k"
# shape (5 x 5,000 items); "train" is small enough for a fast search (best fit: ~40 ms
# per candidate); "probe" is tiny. A run draws its test split (and, with secret_train,
# train and probe) from a secret seed instead of the fixed one: same shapes, new items.
SPLIT_SIZES: dict[str, tuple[int, int, int]] = {
    "train": (5, 1_000, 1),
    "probe": (2, 200, 2),
    "test": (5, 5_000, 3),
}

DESCRIPTION = """\
Online one-dimensional bin packing (FunSearch, Nature 2023). Items arrive one at a time
and must be placed at once, without knowing the items still to come. There are as many
bins as items, all empty at the start (capacity 100; item sizes are integers from 1 to
100, drawn from a Weibull distribution).

For each item, the harness calls `priority(item, bins)` where `item` is the item's size
(a Python int) and `bins` is a numpy array with the remaining capacity of every bin the
item fits in (every entry is >= item, so `bins - item` can be 0: an exact fit; a bin
still at full capacity is an unused bin). It returns one number per bin (a numpy array
of the same length as `bins`), and the item goes into bin `np.argmax(priorities)`: the
HIGHEST priority, the first one on ties. As in FunSearch, +inf beats every finite
number and nan beats everything (the first nan wins); a single number instead of an
array picks the first bin. The metrics `nonfinite_priorities` and `scalar_priorities`
count the items that got such priorities. Returning None, a different number of
priorities than bins, or values that are not real numbers is an error.

Goal: use as few bins as possible. The score is minus the excess, in percent, of the
bins used over the L1 lower bound ceil(sum of sizes / capacity), averaged over several
instances of 1,000 items; higher is better, 0 would be optimal. The seed program is
best fit (the bin left with the least room wins).
"""


TEMPLATE = (Path(__file__).parent / "template.py").read_text()
BEST_FIT = TEMPLATE  # the seed program is best fit
FIRST_FIT = TEMPLATE.replace("    return -(bins - item)\n", "    return -np.arange(len(bins))\n")
if FIRST_FIT == TEMPLATE:
    raise ProblemError(f"{__file__}: template.py's priority no longer returns best fit")


def _published(row: tuple[float, ...]) -> dict[str, dict[str, float]]:
    """FunSearch's Table 1 row (OR1-4, Weibull 5k, 10k, 100k) keyed by our data set names.

    or1-or4 and funsearch-weibull-5k (packaged) are the very instances of the paper; our
    weibull-5k/10k/100k are fresh draws of the same distribution and sizes.
    """
    names = [f"or{i}" for i in range(1, 5)]
    names += ["funsearch-weibull-5k", "weibull-5k", "weibull-10k", "weibull-100k"]
    values = (*row[:5], *row[4:])  # Weibull 5k is published for both 5k sets
    return {name: {"excess_pct": value} for name, value in zip(names, values, strict=True)}


BASELINES = (
    Baseline(
        name="first fit",
        source=FIRST_FIT,
        published=_published((6.42, 6.45, 5.74, 5.23, 4.23, 4.20, 4.00)),
        reference="FunSearch (Romera-Paredes et al., Nature 2023), Table 1",
    ),
    Baseline(
        name="best fit",
        source=BEST_FIT,
        published=_published((5.81, 6.06, 5.37, 4.94, 3.98, 3.90, 3.79)),
        reference="FunSearch (Romera-Paredes et al., Nature 2023), Table 1",
    ),
)


def instances(split: str, seed: int | None = None) -> dict[str, dict[str, Any]]:
    """Weibull instances for a split (see SPLIT_SIZES), from its fixed seed or `seed`."""
    if split not in SPLIT_SIZES:
        raise ProblemError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    n_instances, n_items, fixed = SPLIT_SIZES[split]
    return weibull(n_instances, n_items, fixed if seed is None else seed)


problem = Problem(
    name="bin_packing",
    description=DESCRIPTION,
    entry="priority",
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
    generalization=(
        *(f"or{i}" for i in range(1, 9)),
        "funsearch-weibull-5k",
        "weibull-10k",  # weibull-100k takes minutes a program: name it with --dataset
        "uniform-5k",
        "normal-5k",
        "weibull-shape1.5-5k",
        "weibull-cap150-5k",
    ),
    headline=("excess_pct",),
)
