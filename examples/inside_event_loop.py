"""Run the engine inside an application's own event loop (`await run.arun()`).

python examples/inside_event_loop.py     # EVOLVE_EXAMPLE_EVALS=20 for a short run
"""

import asyncio
import os

from line_problem import problem

import evolve


async def heartbeat(run: evolve.Run) -> None:
    """Other work of the application, going on while the run does."""
    while True:
        await asyncio.sleep(0.5)
        print(f"... {run.progress.evaluations} evaluations")


async def main() -> None:
    run = evolve.Run(
        problem,
        models=["builtin:mutate"],
        db="sqlite:///examples.db",
        max_evals=int(os.environ.get("EVOLVE_EXAMPLE_EVALS", "60")),
        seed=1,
    )
    beat = asyncio.create_task(heartbeat(run))
    try:
        result = await run.arun()
    finally:
        beat.cancel()
    print(f"best train score {result.best.score:.3f}, test score {result.test_score}")


asyncio.run(main())
