"""Problem definitions: the Problem contract, the built-in problems and the loader.

from problems import load
problem = load("bin_packing")          # a built-in, by name
problem = load("path/to/my_problem")   # a folder with __init__.py, template.py, README.md
problem = load("tsp_construct:reevo")  # a problem under another paper's interface
"""

from problems.base import (
    EVOLVE_BLOCK_END,
    EVOLVE_BLOCK_START,
    SPLITS,
    Baseline,
    Interface,
    InvalidOutput,
    Problem,
    ProblemError,
    function_ref,
    mean_metrics,
)
from problems.loader import available, check_template, load, read_template

__all__ = [
    "EVOLVE_BLOCK_END",
    "EVOLVE_BLOCK_START",
    "SPLITS",
    "Baseline",
    "Interface",
    "InvalidOutput",
    "Problem",
    "ProblemError",
    "available",
    "check_template",
    "function_ref",
    "load",
    "mean_metrics",
    "read_template",
]
