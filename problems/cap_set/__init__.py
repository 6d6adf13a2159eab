"""Cap sets in F_3^n, as in FunSearch (Romera-Paredes et al., Nature 2023).

Evolve `priority(el, n)`: the harness ranks every vector of F_3^n by it and builds a cap
set greedily (no three vectors on a line). The goal is a large cap set. See README.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from problems.base import SPLITS, Baseline, Problem, ProblemError
from problems.cap_set.harness import prepare, run
from problems.cap_set.scoring import check_cap_set, score

__all__ = [
    "BASELINES",
    "BEST_KNOWN",
    "DATASETS",
    "SPLIT_DIMENSIONS",
    "check_cap_set",
    "instances",
    "load_dataset",
    "prepare",
    "problem",
    "run",
    "score",
]

TEMPLATE = (Path(__file__).parent / "template.py").read_text()

# Largest known cap sets (n = 8: FunSearch's discovery; n = 9: the earlier best known).
BEST_KNOWN = {1: 2, 2: 4, 3: 9, 4: 20, 5: 45, 6: 112, 7: 236, 8: 512, 9: 1082}

# split -> dimensions; "train" is FunSearch's n = 8, "probe" is tiny. The construction is
# deterministic, so a held-out test on n = 8 again would only repeat the search score: the
# test split asks the same priority function for other dimensions, n = 7 and n = 9 (best
# known 236 and 1082; the constant seed gets 128 and 512), which a program that only
# encodes an n = 8 answer does not carry over to.
SPLIT_DIMENSIONS: dict[str, tuple[int, ...]] = {"train": (8,), "probe": (4,), "test": (7, 9)}

DATASETS = {
    f"n{n}": f"F_3^{n} ({3**n:,} vectors; best known cap set {BEST_KNOWN[n]})" for n in range(3, 10)
}

DESCRIPTION = """\
Cap sets (FunSearch, Nature 2023). A cap set is a set of vectors of F_3^n (each of the n
coordinates is 0, 1 or 2) with no three distinct vectors on a line, i.e. no distinct
a, b, c with a + b + c = 0 coordinate-wise mod 3. The goal is a cap set as large as
possible in n = 8 dimensions (the largest known has 512 vectors).

The harness calls `priority(el, n)` once for each of the 3^n vectors `el` (a tuple of n
ints in {0, 1, 2}) and must get back a number. Then it builds the cap set greedily: it
goes through the vectors from the HIGHEST priority to the lowest (lexicographic order on
ties) and adds each vector that does not complete a line with two vectors already added.
A priority of -inf means never add the vector; as in FunSearch's np.argmax, a nan
priority comes before every number (the metric `nan_priorities` counts them).

The score is the size of the cap set; higher is better. The seed program (constant
priority) takes the vectors in lexicographic order and finds {0, 1}^n: 2^n = 256 vectors.
"""

BASELINES = (
    Baseline(
        name="constant priority",
        source=TEMPLATE,
        published={f"n{n}": {"size": 2.0**n} for n in range(3, 10)},
        reference="FunSearch (Romera-Paredes et al., Nature 2023), cap_set/cap_set.ipynb "
        "in google-deepmind/funsearch: the skeleton with the trivial priority",
    ),
)


def load_dataset(name: str) -> dict[str, dict[str, Any]]:
    """`nK` for K = 3..9: the one instance F_3^K."""
    if name not in DATASETS:
        raise ProblemError(
            f"unknown cap set data set {name!r}; expected one of: {', '.join(DATASETS)}"
        )
    return {name: {"n": int(name[1:])}}


def instances(split: str) -> dict[str, dict[str, Any]]:
    """One instance per dimension of the split (see SPLIT_DIMENSIONS)."""
    if split not in SPLIT_DIMENSIONS:
        raise ProblemError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    return {f"n{n}": {"n": n} for n in SPLIT_DIMENSIONS[split]}


problem = Problem(
    name="cap_set",
    description=DESCRIPTION,
    entry="priority",
    template=TEMPLATE,
    instances=instances,
    run=run,
    score=score,
    prepare=prepare,
    timeout_s=30.0,
    memory_mb=1024,
    preload=("numpy",),
    datasets=DATASETS,
    load_dataset=load_dataset,
    baselines=BASELINES,
    generalization=tuple(DATASETS),
    headline=("size",),
)
