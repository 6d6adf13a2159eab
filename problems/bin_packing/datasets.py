"""Bin packing instances: generated (Weibull, as FunSearch), packaged and read from files.

An instance is plain JSON data: `{"capacity": 100, "items": [31, 52, ...]}`, plus
`best_known` (the best known number of bins) where the file gives it. Integer instances
stay integers (capacity and items); OR-Library's triplet classes (binpack5-8) have
real-valued sizes and are kept as floats. The package ships OR-Library's binpack1-8 and
FunSearch's own Weibull 5k draw (problems/data/orlib_binpack, see its PROVENANCE.md),
addressed by name: `or1` ... `or8`, `funsearch-weibull-5k`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from problems.base import ProblemError
from problems.data import data_file

__all__ = [
    "DATASETS",
    "FUNSEARCH_SETS",
    "ORLIB_SETS",
    "WEIBULL_CAPACITY",
    "WEIBULL_SCALE",
    "WEIBULL_SETS",
    "WEIBULL_SHAPE",
    "DatasetError",
    "check_instance",
    "load_dataset",
    "load_json",
    "load_orlib",
    "weibull",
]

WEIBULL_SHAPE = 3.0
WEIBULL_SCALE = 45.0
WEIBULL_CAPACITY = 100

Instance = dict[str, Any]

# FunSearch's Weibull sets (Table 1): name -> (instances, items per instance, our seed).
# Same distribution and sizes as FunSearch's, drawn with our own seeds ("weibull-5k" is
# the held-out "test" split); FunSearch's own 5k draw is "funsearch-weibull-5k".
WEIBULL_SETS: dict[str, tuple[int, int, int]] = {
    "weibull-5k": (5, 5_000, 3),
    "weibull-10k": (5, 10_000, 4),
    "weibull-100k": (1, 100_000, 5),
}

# Distributions FunSearch did not train on, for `evolve generalize`: name -> (what it is,
# capacity, sizes(rng, shape) before flooring and clipping to 1..capacity, our seed).
# SHIFTED_SIZE instances x items each.
Sizes = Callable[[np.random.Generator, tuple[int, int]], np.ndarray]
SHIFTED_SETS: dict[str, tuple[str, int, Sizes, int]] = {
    "uniform-5k": (
        "uniform integer sizes 20-100, capacity 150 (OR-Library's u class, 5,000 items)",
        150,
        lambda rng, shape: rng.integers(20, 101, size=shape).astype(np.float64),
        11,
    ),
    "normal-5k": (
        "sizes ~ Normal(50, 15), capacity 100",
        100,
        lambda rng, shape: rng.normal(50.0, 15.0, size=shape),
        12,
    ),
    "weibull-shape1.5-5k": (
        "sizes ~ 45 * Weibull(1.5), a wider spread than FunSearch's shape 3, capacity 100",
        100,
        lambda rng, shape: WEIBULL_SCALE * rng.weibull(1.5, size=shape),
        13,
    ),
    "weibull-cap150-5k": (
        "FunSearch's Weibull sizes in bins of capacity 150",
        150,
        lambda rng, shape: WEIBULL_SCALE * rng.weibull(WEIBULL_SHAPE, size=shape),
        14,
    ),
}
SHIFTED_SIZE = (3, 5_000)

# OR-Library's files, packaged: name -> (file, what it holds). FunSearch's OR1-OR4 are
# or1-or4; or5-or8 are Falkenauer's triplets (each optimal bin holds 3 items exactly).
ORLIB_SETS: dict[str, tuple[str, str]] = {
    f"or{i}": (f"binpack{i}.txt", f"OR-Library binpack{i}.txt: 20 instances x {text}")
    for i, text in enumerate(
        [f"{n} items, capacity 150 (u{n})" for n in (120, 250, 500, 1000)]
        + [f"{n} items, capacity 100 (t{n}, triplets)" for n in (60, 120, 249, 501)],
        start=1,
    )
}
# FunSearch's own data, packaged: name -> (file, what it holds)
FUNSEARCH_SETS: dict[str, tuple[str, str]] = {
    "funsearch-weibull-5k": (
        "weibull5k_funsearch.json",
        "FunSearch's own Weibull 5k instances (5 x 5,000 items, capacity 100), as published",
    ),
}

DATASETS: dict[str, str] = {
    **{name: text for name, (_, text) in (ORLIB_SETS | FUNSEARCH_SETS).items()},
    "weibull-5k": "5 instances x 5,000 Weibull items (FunSearch's distribution, seed 3; "
    "the held-out test split)",
    "weibull-10k": "5 instances x 10,000 Weibull items (seed 4)",
    "weibull-100k": "1 instance x 100,000 Weibull items (seed 5)",
    **{
        name: f"{SHIFTED_SIZE[0]} instances x {SHIFTED_SIZE[1]:,} items: {text}"
        for name, (text, *_) in SHIFTED_SETS.items()
    },
    "orlib:FILE": "an OR-Library binpack text file, every instance in it",
    "json:FILE": 'a JSON file {name: {"capacity": C, "items": [sizes]}}',
}


class DatasetError(ProblemError, ValueError):
    """A data set name is unknown or its file is missing or malformed."""


def load_dataset(spec: str) -> dict[str, Instance]:
    """The instances of a named data set (see DATASETS); DatasetError naming the file."""
    if spec in WEIBULL_SETS:
        return weibull(*WEIBULL_SETS[spec])
    if spec in SHIFTED_SETS:
        return shifted(spec)
    if spec in ORLIB_SETS:
        return load_orlib(data_file("orlib_binpack", ORLIB_SETS[spec][0]))
    if spec in FUNSEARCH_SETS:
        return load_json(data_file("orlib_binpack", FUNSEARCH_SETS[spec][0]))
    kind, _, argument = spec.partition(":")
    if kind == "orlib" and argument:
        return load_orlib(argument)
    if kind == "json" and argument:
        return load_json(argument)
    raise DatasetError(
        f"unknown bin packing data set {spec!r}; expected one of: {', '.join(DATASETS)}"
    )


def weibull(n_instances: int, n_items: int, seed: int) -> dict[str, Instance]:
    """FunSearch's Weibull instances: sizes ~ 45 * Weibull(3), integers in 1..100.

    Sizes are truncated to integers (floor) and clipped to 1..100; bin capacity is 100.
    Floor fits FunSearch's published "Weibull 5k" items better than rounding does (see
    README). All instances come from one `numpy.random.Generator(seed)` stream, so the
    same arguments always give the same instances.
    """
    rng = np.random.default_rng(seed)
    sizes = WEIBULL_SCALE * rng.weibull(WEIBULL_SHAPE, size=(n_instances, n_items))
    items = np.clip(np.floor(sizes), 1, WEIBULL_CAPACITY).astype(np.int64)
    return {
        f"weibull{n_items}_{i}": {"capacity": WEIBULL_CAPACITY, "items": row.tolist()}
        for i, row in enumerate(items)
    }


def shifted(name: str) -> dict[str, Instance]:
    """A data set of SHIFTED_SETS: integer sizes floored and clipped to 1..capacity."""
    _, capacity, sizes, seed = SHIFTED_SETS[name]
    draw = sizes(np.random.default_rng(seed), SHIFTED_SIZE)
    items = np.clip(np.floor(draw), 1, capacity).astype(np.int64)
    return {
        f"{name}_{i}": {"capacity": capacity, "items": row.tolist()} for i, row in enumerate(items)
    }


def load_orlib(path: str | Path) -> dict[str, Instance]:
    """Every instance of an OR-Library binpack file (binpack1.txt ... binpack8.txt).

    Format (whitespace-separated): the number of instances, then per instance its name,
    `capacity n best_known`, and the n item sizes. Each instance keeps its `best_known`
    number of bins. DatasetError names the file and line.
    """
    path = Path(path)
    tokens = _tokens(path)
    if not tokens:
        raise DatasetError(f"{path}: empty file; expected an OR-Library binpack file")
    count, pos, instances = int(_number(tokens[0], path, int)), 1, {}
    for _ in range(count):
        if pos + 4 > len(tokens):
            raise DatasetError(f"{path}: file ends early; expected {count} instances")
        (name, line), capacity = tokens[pos], _number(tokens[pos + 1], path)
        n_items = int(_number(tokens[pos + 2], path, int))
        best_known = int(_number(tokens[pos + 3], path, int))
        items = _orlib_items(tokens[pos + 4 : pos + 4 + n_items], path, capacity)
        if len(items) < n_items:
            raise DatasetError(
                f"{path}:{line}: instance {name} has {len(items)} items, expected {n_items}"
            )
        pos += 4 + n_items
        instance = {"capacity": capacity, "items": items, "best_known": best_known}
        instances[name] = _checked(instance, f"{path}:{line}: instance {name}")
    if pos < len(tokens):
        raise DatasetError(
            f"{path}:{tokens[pos][1]}: unexpected {tokens[pos][0]!r} after the {count} "
            f"instances the first line announces"
        )
    return instances


def load_json(path: str | Path) -> dict[str, Instance]:
    """`{name: {"capacity": ..., "items": [...]}, ...}`, with `best_known` kept where
    given; other keys (num_items, source_file) are dropped after checking num_items."""
    path = Path(path)
    try:
        data = json.loads(_read(path))
    except json.JSONDecodeError as error:
        raise DatasetError(f"{path}:{error.lineno}: not valid JSON: {error.msg}") from None
    if not isinstance(data, dict) or not data:
        raise DatasetError(f"{path}: expected a JSON object {{name: {{capacity, items}}}}")
    instances = {}
    for name, raw in data.items():
        where = f"{path}: {name}"
        if not isinstance(raw, dict) or "capacity" not in raw or "items" not in raw:
            raise DatasetError(f"{where}: expected an object with 'capacity' and 'items'")
        if "num_items" in raw and raw["num_items"] != len(raw["items"]):
            raise DatasetError(
                f"{where}: num_items is {raw['num_items']} but there are {len(raw['items'])} items"
            )
        instance = {key: raw[key] for key in ("capacity", "items", "best_known") if key in raw}
        instances[name] = _checked(instance, where)
    return instances


def check_instance(instance: Any) -> tuple[int | float, list[int | float]]:
    """(capacity, items) of a well-formed instance; ValueError saying what is wrong."""
    _checked(instance, "bin packing instance")
    return instance["capacity"], instance["items"]


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path}: cannot read the file: {error}") from None


def _tokens(path: Path) -> list[tuple[str, int]]:
    """Every whitespace-separated token of the file with its line number."""
    return [
        (token, number)
        for number, line in enumerate(_read(path).splitlines(), start=1)
        for token in line.split()
    ]


def _orlib_items(
    tokens: list[tuple[str, int]], path: Path, capacity: int | float
) -> list[int | float]:
    """Item sizes, each checked to lie in (0, capacity] at its own line."""
    items = []
    for token in tokens:
        size = _number(token, path)
        if not (math.isfinite(size) and 0 < size <= capacity):
            raise DatasetError(
                f"{path}:{token[1]}: item size {token[0]} is not in (0, capacity={capacity}]"
            )
        items.append(size)
    return items


def _checked(instance: Any, where: str) -> Instance:
    if not isinstance(instance, dict) or "capacity" not in instance or "items" not in instance:
        raise DatasetError(f"{where}: expected {{'capacity': number, 'items': [numbers]}}")
    capacity, items = instance["capacity"], instance["items"]
    if not _is_number(capacity) or not capacity > 0:
        raise DatasetError(f"{where}: capacity must be a positive number, got {capacity!r}")
    if not isinstance(items, list) or not items:
        raise DatasetError(f"{where}: items must be a non-empty list of numbers")
    for i, size in enumerate(items):
        if not _is_number(size) or not 0 < size <= capacity:
            raise DatasetError(
                f"{where}: item {i} has size {size!r}; sizes must be numbers "
                f"in (0, capacity={capacity}]"
            )
    best_known = instance.get("best_known", 1)
    if not isinstance(best_known, int) or isinstance(best_known, bool) or best_known < 1:
        raise DatasetError(f"{where}: best_known must be a positive integer, got {best_known!r}")
    return instance


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _number(token: tuple[str, int], path: Path, kind: type = float) -> int | float:
    """The token as an int (or a float, unless kind is int); DatasetError at its line."""
    text, line = token
    try:
        return int(text)
    except ValueError:
        pass
    try:
        if kind is not int:
            return float(text)
    except ValueError:
        pass
    expected = "an integer" if kind is int else "a number"
    raise DatasetError(f"{path}:{line}: expected {expected}, found {text!r}")
