"""Search strategies: which programs the next prompt shows, and where the child lives."""

from evolve.strategies.base import ScoredProgram, Selection, Strategy
from evolve.strategies.funsearch import FunSearchConfig, FunSearchStrategy, IslandSummary

__all__ = [
    "FunSearchConfig",
    "FunSearchStrategy",
    "IslandSummary",
    "ScoredProgram",
    "Selection",
    "Strategy",
]
