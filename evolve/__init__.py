"""evolve: LLM-driven algorithm discovery, as a library and a CLI.

    import evolve
    result = evolve.Run("bin_packing", models=["builtin:mutate"], max_evals=40).run()

The public names are imported on first use, so that `import evolve` (and the CLI) stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evolve.api import Run, RunResult
    from evolve.strategies import FunSearchConfig, FunSearchStrategy, Strategy, register

__all__ = ["FunSearchConfig", "FunSearchStrategy", "Run", "RunResult", "Strategy", "register"]

_LAZY = {
    "Run": "evolve.api",
    "RunResult": "evolve.api",
    "FunSearchConfig": "evolve.strategies",
    "FunSearchStrategy": "evolve.strategies",
    "Strategy": "evolve.strategies",
    "register": "evolve.strategies",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'evolve' has no attribute {name!r}")
