"""Run the engine on a problem defined in Python (examples/line_problem.py).

python examples/define_a_problem.py     # EVOLVE_EXAMPLE_EVALS=20 for a short run
"""

import os

from line_problem import problem

import evolve

with evolve.Run(
    problem,
    models=["builtin:mutate"],  # offline: random program edits instead of an LLM
    db="sqlite:///examples.db",
    max_evals=int(os.environ.get("EVOLVE_EXAMPLE_EVALS", "100")),
    seed=0,
) as run:
    result = run.run()

print(f"run {result.run_name}: {result.stop_reason}")
print(
    f"best program {result.best.id}: train score {result.best.score:.3f}, "
    f"test score {result.test_score}"
)
print(result.best.source)
