"""The engine as a library: `Run` prepares a run, runs it and returns its result.

    import evolve

    with evolve.Run("bin_packing", models=["builtin:mutate"], max_evals=40) as run:
        result = run.run()          # or, inside an event loop: await run.arun()
    print(result.best.score, result.test_score)

The problem, the strategy, the LLM clients, the sandbox and the archive can each be given
as objects instead of names (the CLI's `evolve run` is one caller of this class). A `Run`
closes what it opened when it has run (or on leaving `with`); what the caller passed in
stays open. It installs no signal handler: a cancelled `arun` marks the run interrupted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from archive import Archive, ProgramRecord
from evolve.exceptions import EvolveError
from evolve.llm import LLMClient
from evolve.progress import RunProgress
from evolve.runner import Parts, PreparedRun, prepare_run
from evolve.strategies import Strategy
from problems.base import Problem
from sandbox import Sandbox

__all__ = ["Run", "RunResult"]

LLMs = LLMClient | Sequence[LLMClient | tuple[LLMClient, float]]


@dataclass(frozen=True)
class RunResult:
    """What a run found.

    Attributes:
        run_id, run_name: the run in the archive (`evolve show RUN`, `--resume RUN`).
        best: the run's result: the best of the top programs on the held-out test split
            when they were re-validated (`validate_top`), else the best on train; None
            when nothing was evaluated.
        test_score: `best`'s score on the test split (None when not re-validated).
        stop_reason: why the run stopped, e.g. "evaluation budget (40) reached".
        progress: the run's counters (evaluations, LLM calls, cost, errors ...).
    """

    run_id: int
    run_name: str
    best: ProgramRecord | None
    test_score: float | None
    stop_reason: str
    progress: RunProgress


class Run:
    """One run of the engine (a new one, or `resume=` an archived one).

    Args:
        problem: a built-in problem's name ("bin_packing", "tsp_construct:reevo", a
            folder path) or a `Problem` object (its harness must be a top-level function
            of an importable module: the sandbox workers import it by name).
        models: model specs ("builtin:mutate", "openai/gpt-4o-mini:3" ...).
        strategy: a registered strategy's name ("funsearch") or a `Strategy` object.
        strategy_options: the `[strategy]` table for a named strategy.
        db: the archive's URL, e.g. "sqlite:///runs.db".
        llm: LLM client objects (with weights) instead of `models`.
        sandbox: an open sandbox pool instead of one started per run.
        archive: an open `Archive` instead of `db`.
        config_file: a TOML or YAML file of `evolve run` options (the arguments win).
        options: any other `evolve run` option: max_evals, seed, workers, concurrency,
            time_limit, budget_usd, validate_top ...
    """

    def __init__(
        self,
        problem: str | Problem | None = None,
        *,
        models: Sequence[str] | str | None = None,
        strategy: str | Strategy | None = None,
        strategy_options: dict[str, Any] | None = None,
        db: str | None = None,
        resume: str | None = None,
        llm: LLMs | None = None,
        sandbox: Sandbox | None = None,
        archive: Archive | None = None,
        config_file: str | Path | None = None,
        **options: Any,
    ) -> None:
        if problem is None and resume is None:
            raise EvolveError("give a problem (e.g. 'bin_packing') or resume=RUN")
        named: str | dict[str, Any] | None = strategy if isinstance(strategy, str) else None
        if strategy_options is not None:
            named = {"name": named, **strategy_options} if named else strategy_options
        self._overrides: dict[str, Any] = {
            **options,
            "problem": problem.name if isinstance(problem, Problem) else problem,
            "models": [models] if isinstance(models, str) else models,
            "strategy": named,
            "db": db,
        }
        self._problem = problem if isinstance(problem, Problem) else None
        own_strategy = strategy if isinstance(strategy, Strategy) else None
        self._parts = Parts(own_strategy, _weighted(llm), archive, sandbox)
        self._resume = resume
        self._config_file = Path(config_file) if config_file is not None else None
        self._prepared: PreparedRun | None = None
        self._closed = False

    def prepare(self) -> PreparedRun:
        """Validate everything and open the run (done by `run`/`arun` if not before):
        bad input fails here with a one-line EvolveError, before any work starts."""
        if self._closed:
            raise EvolveError("this Run is closed; make a new one (resume=RUN to continue)")
        if self._prepared is None:
            self._prepared = prepare_run(
                self._overrides,
                config_file=self._config_file,
                resume=self._resume,
                problem=self._problem,
                parts=self._parts,
            )
        return self._prepared

    @property
    def notices(self) -> list[str]:
        """Remarks for the user (no LLM configured, a missing sandbox layer ...)."""
        return self.prepare().notices

    @property
    def progress(self) -> RunProgress:
        """The live counters, for a display while the run goes on."""
        return self.prepare().progress

    async def arun(self) -> RunResult:
        """Run to a stop in the running event loop; then close what this Run opened."""
        prepared = self.prepare()
        try:
            progress = await prepared.aexecute()
            return _result(prepared, progress)
        finally:
            self.close()

    def run(self) -> RunResult:
        """`arun` in a new event loop (not from inside a running one: use `arun` there)."""
        try:
            return asyncio.run(self.arun())
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None

    def close(self) -> None:
        """Free the run and close the archive if this Run opened it (idempotent)."""
        if self._prepared is not None and not self._closed:
            self._prepared.close()
        self._closed = True

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _weighted(llm: LLMs | None) -> list[tuple[LLMClient, float]] | None:
    if llm is None:
        return None
    items = llm if isinstance(llm, Sequence) else [llm]
    return [item if isinstance(item, tuple) else (item, 1.0) for item in items]


def _result(prepared: PreparedRun, progress: RunProgress) -> RunResult:
    best_id = progress.test.get("program_id") or progress.best_program_id
    best = prepared.archive.get_programs([best_id])[0] if best_id is not None else None
    test_score = progress.test.get("score") if progress.test.get("program_id") else None
    return RunResult(
        prepared.run.id, prepared.run.name, best, test_score, progress.stop_reason, progress
    )
