"""The Problem contract: what a problem folder provides to the engine.

A problem is plain code a user can read alone. It gives:

- `description`: the task, written for the LLM's prompt.
- `entry`: the name of the evolved function (it must be defined in the template's
  EVOLVE-BLOCK).
- `template`: the seed program, with `# EVOLVE-BLOCK-START` / `# EVOLVE-BLOCK-END` around
  what the LLM may change.
- `instances(split)`: `{instance_name: instance}` for "train" (search), "probe" (tiny:
  functional hash, first cascade stage) and "test" (held out). Instances are JSON data,
  because they are sent to the sandbox workers once and kept there. A problem whose
  instances are generated accepts `instances(split, seed)` too (detected from the
  signature, or declared with `seeded=True`): `seed=None` gives its fixed, public sets;
  an int gives a fresh draw of the same kind. A run draws its test split from a secret
  seed (and, with `secret_train`, its train and probe splits too), stores the seed in
  the archive and never shows it to a candidate (see `Problem.draw`).
- `run(program, instance)`: the harness, an ordinary loop that calls `program` and returns
  plain data (lists, numbers, strings). It runs in the sandbox worker's TRUSTED host
  process, which never executes candidate code: `program` stands for the candidate's
  function, which runs in another, confined process that receives only the arguments of
  each call and returns only its value (plain data and numpy arrays). The instances of a
  split run in lockstep, one round trip per step of all of them. Calls that do not depend
  on each other can go in one round trip with `program.map([args, ...])` (see cap set).
- `score(instance, output)`: executed in the TRUSTED parent; validates `output` and returns
  metrics with one scalar "score" to maximize. Invalid output raises `InvalidOutput`.
- `aggregate(per_instance)`: metrics over a whole split from the per-instance metrics;
  the default is the mean of each metric.
- `prepare(instance)`: optional, run once per instance in each worker's trusted host before
  any candidate (e.g. lists to numpy arrays).

`run` and `prepare` must be top-level functions of an importable module: the sandbox
workers import them by name (`Problem.harness_ref`).

A problem may also offer `interfaces`: other papers' ways of calling the evolved function
(another harness, description and template, same instances and scoring), so that their
published heuristics run unchanged; `load("tsp_construct:reevo")` picks one
(`Problem.with_interface`).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EVOLVE_BLOCK_END",
    "EVOLVE_BLOCK_START",
    "SPLITS",
    "Baseline",
    "Interface",
    "InvalidOutput",
    "Problem",
    "ProblemError",
    "check_int_entries",
    "function_ref",
    "mean_metrics",
    "takes_seed",
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


def takes_seed(instances: Callable[..., Any]) -> bool:
    """Whether `instances` accepts `(split, seed)`: a second positional parameter or `*args`."""
    try:
        kinds = [p.kind for p in inspect.signature(instances).parameters.values()]
    except (TypeError, ValueError):  # no signature to read: assume the plain contract
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(k in positional for k in kinds) >= 2 or inspect.Parameter.VAR_POSITIONAL in kinds


def _drawn_instances(problem: Problem, seeds: dict[str, int], split: str) -> dict[str, Any]:
    return problem.draw(split, seeds.get(split))


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
class Interface:
    """Another paper's protocol for a problem's evolved function (same entry name).

    Attributes:
        run: its harness, a top-level function like `Problem.run`.
        description: the task as the prompt states it under this interface.
        template: its seed program (the same heuristic, written for this interface).
        reference: whose protocol it is, e.g. "ReEvo (Ye et al., NeurIPS 2024)".
    """

    run: Callable[[Callable[..., Any], Any], Any]
    description: str
    template: str
    reference: str = ""


@dataclass(frozen=True)
class Problem:
    """A problem the engine can evolve programs for (see the module docstring).

    Attributes:
        name: short identifier, e.g. "bin_packing".
        description: the task for the prompt.
        entry: name of the evolved function.
        template: seed program source with EVOLVE-BLOCK markers.
        instances: split -> {name: JSON instance}; or (split, seed) -> the same, drawn
            from `seed` (None: the fixed public sets). See `seeded` and `draw`.
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
        seeded: whether `instances` takes a seed, `instances(split, seed)`; None (the
            default) detects it from the signature (a second positional parameter).
        interfaces: {name: Interface}, other papers' protocols (see `with_interface`).
        generalization: the data sets `evolve generalize` evaluates a program on, beside
            the baselines: off the training distribution (other sizes, distributions).
        references: {name: solver}, trusted classic algorithms `evolve generalize` shows
            beside the program: solver(instance) -> an output, as the harness returns
            one, scored by `score` (e.g. farthest insertion for the TSP).
        headline: the metrics people quote, in order of preference (e.g. "excess_pct"):
            `evolve generalize` shows the first one a data set has, beside the score.
    """

    name: str
    description: str
    entry: str
    template: str
    instances: Callable[..., dict[str, Any]]
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
    seeded: bool | None = None
    interfaces: Mapping[str, Interface] = field(default_factory=dict)
    generalization: tuple[str, ...] = ()
    references: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    headline: tuple[str, ...] = ()

    @property
    def draws(self) -> bool:
        """Whether the splits can be drawn from a seed: `instances(split, seed)`."""
        return self.seeded if self.seeded is not None else takes_seed(self.instances)

    def draw(self, split: str, seed: int | None) -> dict[str, Any]:
        """The instances of `split` drawn from `seed` (None: the problem's fixed sets)."""
        if seed is None:
            return self.instances(split)
        if not self.draws:
            raise ProblemError(
                f"problem {self.name} has fixed instances: its instances(split) takes no seed"
            )
        return self.instances(split, seed)

    def with_draws(self, seeds: Mapping[str, int]) -> Problem:
        """This problem with `instances(split)` drawing each split of `seeds` from its seed
        (the other splits stay fixed). What a run gives its evaluator: the seeds stay in
        the trusted parent, only the instances go to the sandbox."""
        if not seeds:
            return self
        bound = functools.partial(_drawn_instances, self, dict(seeds))
        return dataclasses.replace(self, instances=bound, seeded=False)

    def with_interface(self, name: str) -> Problem:
        """This problem as named `NAME:interface`, evolved and scored under that
        interface's harness, description and template (baselines do not carry over)."""
        if name not in self.interfaces:
            offered = ", ".join(self.interfaces) or "none"
            raise ProblemError(
                f"problem {self.name} has no interface {name!r}; its interfaces: {offered}"
            )
        interface = self.interfaces[name]
        return dataclasses.replace(
            self,
            name=f"{self.name}:{name}",
            run=interface.run,
            description=interface.description,
            template=interface.template,
            baselines=(),
            interfaces={},
        )

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
