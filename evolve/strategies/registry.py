"""Strategies by name: the built-in ones, those registered here, and those other packages
declare as entry points.

A user's package adds a strategy with one line of its pyproject.toml:

    [project.entry-points."evolve.strategies"]
    my_strategy = "my_package.my_module:MyStrategy"

(or, in a script, `evolve.strategies.register(MyStrategy)`). A run then takes
`strategy = "my_strategy"` and a `[strategy]` table validated by `MyStrategy.config_class`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from pydantic import TypeAdapter, ValidationError

from evolve.exceptions import ConfigError
from evolve.strategies.base import Strategy
from evolve.strategies.funsearch import FunSearchStrategy

__all__ = [
    "DEFAULT_STRATEGY",
    "ENTRY_POINT_GROUP",
    "known_strategies",
    "make_strategy",
    "register",
    "strategy_class",
    "strategy_options",
]

ENTRY_POINT_GROUP = "evolve.strategies"
DEFAULT_STRATEGY = FunSearchStrategy.name

_REGISTERED: dict[str, type[Strategy]] = {FunSearchStrategy.name: FunSearchStrategy}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Make `cls` known under `cls.name` in this process (usable as a class decorator)."""
    if not cls.name:
        raise ConfigError(f"strategy class {cls.__qualname__} has no `name`")
    _REGISTERED[cls.name] = cls
    return cls


def known_strategies() -> list[str]:
    """Every strategy name: registered ones and the `evolve.strategies` entry points."""
    return sorted({*_REGISTERED, *(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))})


def strategy_class(name: str) -> type[Strategy]:
    """The class registered under `name`; a ConfigError lists the known names."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    for point in entry_points(group=ENTRY_POINT_GROUP, name=name):
        cls = point.load()
        if not (isinstance(cls, type) and issubclass(cls, Strategy)):
            raise ConfigError(f"entry point {name!r} ({point.value}) is not a Strategy subclass")
        return cls
    raise ConfigError(f"unknown strategy {name!r}; known: {', '.join(known_strategies())}")


def strategy_options(name: str, table: Mapping[str, Any]) -> dict[str, Any]:
    """The `[strategy]` table of strategy `name` validated by its config class, with every
    default filled in (what a run stores, so a resumed run gets the same strategy)."""
    return dataclasses.asdict(_config(strategy_class(name), table))


def make_strategy(name: str, table: Mapping[str, Any], seed: int) -> Strategy:
    """A fresh strategy `name` configured by `table` (its `[strategy]` keys)."""
    cls = strategy_class(name)
    return cls.from_config(_config(cls, table), seed)


def _config(cls: type[Strategy], table: Mapping[str, Any]) -> Any:
    config_class = cls.config_class
    keys = [f.name for f in dataclasses.fields(config_class)]
    for key in table:
        if key not in keys:
            raise ConfigError(
                f"unknown key {key!r} in [strategy] for {cls.name}; its keys are: {', '.join(keys)}"
            )
    try:
        return TypeAdapter(config_class).validate_python(dict(table))
    except ConfigError as exc:  # the config class's own checks
        raise ConfigError(f"invalid [strategy]: {exc}") from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(part) for part in err["loc"])
        raise ConfigError(
            f"invalid [strategy] {key} for {cls.name}: {err['msg'][0].lower()}"
            f"{err['msg'][1:]} (got {err.get('input')!r})"
        ) from exc
