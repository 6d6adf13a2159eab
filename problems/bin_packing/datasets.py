"""Bin packing instances: generated (Weibull, as FunSearch) and read from files.

An instance is plain JSON data: `{"capacity": 100, "items": [31, 52, ...]}`. Integer
instances stay integers (capacity and items); OR-Library's triplet classes (binpack5-8)
have real-valued sizes and are kept as floats.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "WEIBULL_CAPACITY",
    "WEIBULL_SCALE",
    "WEIBULL_SHAPE",
    "check_instance",
    "load_json",
    "load_orlib",
    "weibull",
]

WEIBULL_SHAPE = 3.0
WEIBULL_SCALE = 45.0
WEIBULL_CAPACITY = 100

Instance = dict[str, Any]


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


def load_orlib(path: str | Path) -> dict[str, Instance]:
    """Every instance of an OR-Library binpack file (binpack1.txt ... binpack8.txt).

    Format (whitespace-separated): the number of instances, then per instance its name,
    `capacity n best_known`, and the n item sizes.
    """
    path = Path(path)
    tokens = path.read_text().split()
    if not tokens:
        raise ValueError(f"{path}: empty file; expected an OR-Library binpack file")
    count, pos, instances = int(tokens[0]), 1, {}
    for _ in range(count):
        if pos + 4 > len(tokens):
            raise ValueError(f"{path}: file ends early; expected {count} instances")
        name, capacity, n_items = tokens[pos], _number(tokens[pos + 1]), int(tokens[pos + 2])
        items = [_number(t) for t in tokens[pos + 4 : pos + 4 + n_items]]
        pos += 4 + n_items
        instances[name] = _checked({"capacity": capacity, "items": items}, f"{path}: {name}")
    return instances


def load_json(path: str | Path) -> dict[str, Instance]:
    """`{name: {"capacity": ..., "items": [...]}, ...}`; other keys (num_items,
    best_known, source_file) are dropped after checking num_items."""
    path = Path(path)
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{path}: expected a JSON object {{name: {{capacity, items}}}}")
    instances = {}
    for name, raw in data.items():
        where = f"{path}: {name}"
        if not isinstance(raw, dict) or "capacity" not in raw or "items" not in raw:
            raise ValueError(f"{where}: expected an object with 'capacity' and 'items'")
        if "num_items" in raw and raw["num_items"] != len(raw["items"]):
            raise ValueError(
                f"{where}: num_items is {raw['num_items']} but there are {len(raw['items'])} items"
            )
        instances[name] = _checked({"capacity": raw["capacity"], "items": raw["items"]}, where)
    return instances


def check_instance(instance: Any) -> tuple[int | float, list[int | float]]:
    """(capacity, items) of a well-formed instance; ValueError saying what is wrong."""
    _checked(instance, "bin packing instance")
    return instance["capacity"], instance["items"]


def _checked(instance: Any, where: str) -> Instance:
    if not isinstance(instance, dict) or "capacity" not in instance or "items" not in instance:
        raise ValueError(f"{where}: expected {{'capacity': number, 'items': [numbers]}}")
    capacity, items = instance["capacity"], instance["items"]
    if not _is_number(capacity) or not capacity > 0:
        raise ValueError(f"{where}: capacity must be a positive number, got {capacity!r}")
    if not isinstance(items, list) or not items:
        raise ValueError(f"{where}: items must be a non-empty list of numbers")
    for i, size in enumerate(items):
        if not _is_number(size) or not 0 < size <= capacity:
            raise ValueError(
                f"{where}: item {i} has size {size!r}; sizes must be numbers "
                f"in (0, capacity={capacity}]"
            )
    return instance


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _number(token: str) -> int | float:
    try:
        return int(token)
    except ValueError:
        return float(token)
