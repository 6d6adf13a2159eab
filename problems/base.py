"""The Problem contract: what a problem folder provides to the engine.

A problem is plain code a user can read alone. It gives:

- `description`: the task, written for the LLM's prompt.
- `entry`: the name of the evolved function (it must be defined in the template's
  EVOLVE-BLOCK).
- `template`: the seed program, with `# EVOLVE-BLOCK-START` / `# EVOLVE-BLOCK-END` around
  what the LLM may change.
- `instances(split)`: `{instance_name: instance}` for "train" (search), "probe" (tiny:
  functional hash, first cascade stage) and "test" (held out). Instances are JSON data,
  because they are sent to the sandbox workers once and kept there.
- `run(program, instance)`: the harness, executed INSIDE the sandbox. `program` is the
  candidate's entry function; it returns plain data (lists, numbers, strings).
- `score(instance, output)`: executed in the TRUSTED parent; validates `output` and returns
  metrics with one scalar "score" to maximize. Invalid output raises `InvalidOutput`.
- `aggregate(per_instance)`: metrics over a whole split from the per-instance metrics;
  the default is the mean of each metric.
- `prepare(instance)`: optional, run once per instance inside each sandbox worker before any
  candidate (e.g. lists to numpy arrays), so forked candidates share the result.

`run` and `prepare` must be top-level functions of an importable module: the sandbox
workers import them by name (`Problem.harness_ref`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EVOLVE_BLOCK_END",
    "EVOLVE_BLOCK_START",
    "SPLITS",
    "Baseline",
    "InvalidOutput",
    "Problem",
    "ProblemError",
    "check_int_entries",
    "function_ref",
    "mean_metrics",
]

EVOLVE_BLOCK_START = "# EVOLVE-BLOCK-START"
EVOLVE_BLOCK_END = "# EVOLVE-BLOCK-END"
SPLITS = ("train", "probe", "test")

Metrics = dict[str, float]


class ProblemError(Exception):
    """A problem cannot be loaded or does not follow the contract."""


class InvalidOutput(Exception):
    """Raised by `score` when a candidate's output breaks the problem's rules."""


def mean_metrics(per_instance: Mapping[str, Metrics]) -> Metrics:
    """Mean of every metric over the instances (the default aggregate)."""
    if not per_instance:
        raise ProblemError("cannot aggregate an empty set of instances")
    keys = set.intersection(*(set(m) for m in per_instance.values()))
    return {k: math.fsum(m[k] for m in per_instance.values()) / len(per_instance) for k in keys}


def check_int_entries(values: Sequence[Any], upper: int, label: Callable[[int], str]) -> None:
    """Every entry an int (a bool is not one) in [0, upper); else InvalidOutput naming the
    first bad entry as `label(position)`, e.g. "item 3: bin index"."""
    for position, value in enumerate(values):
        if type(value) is not int:
            raise InvalidOutput(
                f"{label(position)} must be an int, got {type(value).__name__} {value!r}"
            )
        if not 0 <= value < upper:
            raise InvalidOutput(f"{label(position)} {value} is out of range [0, {upper})")


def function_ref(fn: Callable[..., Any]) -> str:
    """'module:function' for a top-level function, as the sandbox workers import it."""
    if "." in fn.__qualname__ or fn.__module__ == "__main__":
        raise ProblemError(f"{fn.__qualname__} must be a top-level function of a module")
    return f"{fn.__module__}:{fn.__name__}"


@dataclass(frozen=True)
class Baseline:
    """A known program and the numbers a paper published for it, per dataset.

    Attributes:
        name: e.g. "best fit".
        source: the full program (the template with the baseline's entry function).
        published: {dataset: {metric: value}} as printed in the paper.
        reference: where the numbers come from, e.g. "FunSearch, Nature 2023, Table 1".
    """

    name: str
    source: str
    published: Mapping[str, Mapping[str, float]]
    reference: str = ""


@dataclass(frozen=True)
class Problem:
    """A problem the engine can evolve programs for (see the module docstring).

    Attributes:
        name: short identifier, e.g. "bin_packing".
        description: the task for the prompt.
        entry: name of the evolved function.
        template: seed program source with EVOLVE-BLOCK markers.
        instances: split -> {name: JSON instance}.
        run: harness, called in the sandbox as run(entry_function, instance).
        score: trusted check, score(instance, output) -> metrics with "score".
        aggregate: per-instance metrics -> split metrics with "score".
        prepare: optional per-instance preparation run once in each sandbox worker.
        timeout_s: wall-clock limit for one candidate on one split.
        memory_mb: memory limit for one candidate.
        preload: modules the sandbox workers import before forking (e.g. "numpy").
        sys_path: folders the workers add to sys.path to import `run` (user problems).
        datasets: named data sets beyond the built-in splits, {name or pattern: what it is},
            e.g. {"weibull-5k": "...", "orlib:FILE": "..."}; listed by `evolve problems`.
        load_dataset: dataset name -> {instance_name: instance}; raises ProblemError for an
            unknown name or a bad file (naming the file and line).
        baselines: published reference programs, for `benchmarks/problem_baselines.py`.
    """

    name: str
    description: str
    entry: str
    template: str
    instances: Callable[[str], dict[str, Any]]
    run: Callable[[Callable[..., Any], Any], Any]
    score: Callable[[Any, Any], Metrics]
    aggregate: Callable[[Mapping[str, Metrics]], Metrics] = mean_metrics
    prepare: Callable[[Any], Any] | None = None
    timeout_s: float = 30.0
    memory_mb: int = 1024
    preload: tuple[str, ...] = ("numpy",)
    sys_path: tuple[str, ...] = field(default=())
    datasets: Mapping[str, str] = field(default_factory=dict)
    load_dataset: Callable[[str], dict[str, Any]] | None = None
    baselines: tuple[Baseline, ...] = ()

    def instances_of(self, dataset: str) -> dict[str, Any]:
        """The instances of a named dataset (see `datasets`)."""
        if self.load_dataset is None:
            raise ProblemError(f"problem {self.name} has no datasets beyond its splits {SPLITS}")
        return self.load_dataset(dataset)

    @property
    def harness_ref(self) -> str:
        return function_ref(self.run)

    @property
    def prepare_ref(self) -> str | None:
        return function_ref(self.prepare) if self.prepare else None
