"""Pass a strategy object: FunSearch's islands, logging each choice of parents.

python examples/custom_strategy.py     # EVOLVE_EXAMPLE_EVALS=20 for a short run
"""

import os
import random

from line_problem import problem

import evolve
from evolve.strategies import FunSearchConfig, FunSearchStrategy, ScoredProgram, Selection


class LoggingFunSearch(FunSearchStrategy):
    """FunSearch's programs database that prints what it picks and what fails."""

    def select(self, rng: random.Random) -> Selection:
        selection = super().select(rng)
        print(f"island {selection.island}: parents {selection.parent_ids}")
        return selection

    def add(self, program: ScoredProgram) -> int:
        print(f"  program {program.id} scores {program.score:.3f}")
        return super().add(program)

    def on_failure(self, selection: Selection, error_kind: str) -> None:
        print(f"  a child of {selection.parent_ids} failed: {error_kind}")


strategy = LoggingFunSearch(FunSearchConfig(num_islands=2, reset_period=0), seed=0)
result = evolve.Run(
    problem,
    strategy=strategy,
    db="sqlite:///examples.db",
    max_evals=int(os.environ.get("EVOLVE_EXAMPLE_EVALS", "60")),
    validate_top=0,
).run()  # run() closes the archive it opened
print(f"best score {result.best.score:.3f} after {result.progress.evaluations} evaluations")
