"""Search strategies: which programs the next prompt shows, and where the child lives."""

from evolve.strategies.base import ScoredProgram, Selection, Strategy
from evolve.strategies.funsearch import FunSearchConfig, FunSearchStrategy, IslandSummary
from evolve.strategies.registry import (
    known_strategies,
    make_strategy,
    register,
    strategy_class,
    strategy_options,
)

__all__ = [
    "FunSearchConfig",
    "FunSearchStrategy",
    "IslandSummary",
    "ScoredProgram",
    "Selection",
    "Strategy",
    "known_strategies",
    "make_strategy",
    "register",
    "strategy_class",
    "strategy_options",
]
