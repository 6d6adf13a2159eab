"""Opens everything a run needs (archive, problem, models, sandbox, strategy) and runs it.

`prepare_run` does all checks that can fail on bad input before any work starts, so a
typo costs a one-line error, not a half-made run. It holds the run for this process (the
lease of evolve/lease.py): a run another process runs fails at once, naming it.
`PreparedRun.aexecute` runs the loop (in the caller's event loop; `execute` is its
blocking twin) and always leaves the run's status and state in the archive, whatever
stops it, and frees the run; `close` frees it without running. Signals are the caller's
business (the CLI turns SIGTERM into a cancellation). The public entry point is
`evolve.Run` (evolve/api.py), which calls these.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import secrets
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import problems
from archive import Archive, RunRecord
from evolve.budget import Budget, BudgetLimits
from evolve.config import DEFAULT_DB, RunConfig, load_config_file, make_config
from evolve.engine import Engine, EngineLimits, scored_program
from evolve.evaluate import Evaluator
from evolve.exceptions import ConfigError, EvolveError, LLMError
from evolve.lease import LEASE_S, RunHold, hold_run, new_owner
from evolve.llm import Gateway, LLMClient, is_deterministic
from evolve.overfit import revalidate
from evolve.progress import RunProgress
from evolve.run_clients import run_clients, sandbox_notices
from evolve.strategies import Strategy, known_strategies, make_strategy
from problems.base import Problem, ProblemError
from sandbox import Sandbox

__all__ = ["Parts", "PreparedRun", "prepare_run", "secret_draws"]


@dataclass(frozen=True)
class Parts:
    """What a caller brings instead of what the config names (None: from the config).

    Attributes:
        strategy: a fresh strategy (a resumed run adds the archive's programs to it).
        clients: LLM clients with their weights, instead of `models`.
        archive: an open archive, instead of `db`; the caller closes it.
        sandbox: an open sandbox pool (or a test double), instead of one per session.
    """

    strategy: Strategy | None = None
    clients: list[tuple[LLMClient, float]] | None = None
    archive: Archive | None = None
    sandbox: Sandbox | None = None


@dataclass
class PreparedRun:
    """A run ready to go: validated config, open archive, rebuilt strategy, live progress."""

    config: RunConfig
    run: RunRecord
    problem: Problem
    archive: Archive
    clients: list[tuple[LLMClient, float]]
    strategy: Strategy
    progress: RunProgress
    hold: RunHold
    notices: list[str] = field(default_factory=list)
    sandbox: Sandbox | None = None  # the caller's (kept open); None: one per session
    owns_archive: bool = True  # False: the caller's archive, left open by `close`

    async def aexecute(self) -> RunProgress:
        """Run the loop to a stop; the run's status is stored and the run freed whatever
        happens (once: a PreparedRun runs one session).

        A cancellation (Ctrl-C, or SIGTERM as the CLI handles it) marks the run
        interrupted and propagates. A run taken over by another process (this one stopped
        renewing its lease) raises ArchiveError and writes nothing more.
        """
        if self.hold.lost:
            raise self.hold.lost_error()
        if self.hold.released:
            raise EvolveError(f"run {self.run.name!r} was released; prepare it again to run it")
        status = "failed"
        try:
            await self._run_loop()
            status = "finished"
        except (KeyboardInterrupt, asyncio.CancelledError):
            if self.hold.lost:
                raise self.hold.lost_error() from None
            status = "interrupted"
            self.progress.stop_reason = self.progress.stop_reason or "interrupted"
            raise
        finally:
            released = self.hold.release(status, self._state())
        if not released:
            raise self.hold.lost_error()
        return self.progress

    def execute(self) -> RunProgress:
        """`aexecute` in a new event loop; an interruption raises KeyboardInterrupt."""
        try:
            return asyncio.run(self.aexecute())
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None

    def close(self) -> None:
        """Free the run without running it (its status as before) and close the archive
        (unless it is the caller's)."""
        if not (self.hold.released or self.hold.lost):
            before = self.archive.get_run(self.run.id)
            self.hold.release(self.hold.status_before, before.state)
        if self.owns_archive:
            self.archive.close()

    async def _run_loop(self) -> None:
        main_task = asyncio.current_task()
        assert main_task is not None
        loop = asyncio.get_running_loop()
        self.hold.on_lost = lambda: loop.call_soon_threadsafe(main_task.cancel)
        config = self.config
        budget = Budget(
            BudgetLimits(
                config.max_llm_calls, config.max_tokens, config.budget_usd, config.time_limit
            ),
            spent_calls=self.progress.llm_calls,
            spent_steps=self.progress.mutator_steps,
            spent_tokens=self.progress.prompt_tokens + self.progress.completion_tokens,
            spent_usd=self.progress.cost_usd,
        )
        gateway = Gateway(self.clients, budget, random.Random(f"{config.seed}:models"))
        limits = EngineLimits(
            max_evals=config.max_evals,
            concurrency=config.concurrency,
            workers=config.workers,
            functional_hashing=config.functional_hashing,
            audit_rate=config.audit_rate,
            target_score=config.target_score,
            ordered=all(is_deterministic(c.model) for c, _ in self.clients)
            if config.deterministic is None
            else config.deterministic,
        )
        problem = self.problem
        with (
            nullcontext(self.sandbox)
            if self.sandbox
            else Sandbox(config.workers, preload=problem.preload, sys_path=problem.sys_path)
        ) as sandbox:
            evaluator = Evaluator(self.problem, sandbox, timeout_s=config.eval_timeout)
            engine = Engine(
                run=self.run,
                problem=self.problem,
                archive=self.archive,
                evaluator=evaluator,
                gateway=gateway,
                strategy=self.strategy,
                limits=limits,
                progress=self.progress,
                first_step=self.progress.proposals,
            )
            await engine.run()
            self._check_the_llm_answered()
            await self._guard(evaluator)

    def _check_the_llm_answered(self) -> None:
        """A run whose LLM never answered did nothing: it fails, saying why (the program
        list holds only the seed), rather than looking like a finished run."""
        p = self.progress
        if p.llm_calls and not p.llm_answers and not p.mutator_steps:
            raise LLMError(
                f"the LLM never answered ({p.llm_calls} calls to {', '.join(p.models)}); "
                f"last error: {p.last_llm_error.rstrip('. ') or 'none'}. Check --model, "
                "--api-base and the API key, or use --model builtin:mutate to try the engine "
                "offline"
            )

    async def _guard(self, evaluator: Evaluator) -> None:
        """The overfit guard (evolve/overfit.py): the top programs and the seed on the
        held-out test split, never shown in a prompt; the best there is the run's result."""
        k = self.config.validate_top
        if k == 0 or self.progress.best_program_id is None:
            return
        self.progress.test = {"pending": True, "k": k}
        verdict = await revalidate(
            self.archive,
            self.run.id,
            lambda source: evaluator.evaluate(source, "test"),
            k=k,
            draw_seed=self.run.draw_seeds.get("test"),
            concurrency=self.config.workers,
        )
        self.progress.test = verdict.as_json()

    def _state(self) -> dict[str, Any]:
        state = {
            **self.archive.get_run(self.run.id).state,  # with what the engine stored
            "last_session_end": time.time(),
            "stop_reason": self.progress.stop_reason,
        }
        if self.progress.test and not self.progress.test.get("pending"):
            state["test"] = self.progress.test  # else the last session's verdict stays
        return state


def prepare_run(
    overrides: dict[str, Any],
    *,
    config_file: Path | None = None,
    resume: str | None = None,
    problem: Problem | None = None,
    parts: Parts = Parts(),
) -> PreparedRun:
    """Validate the config, open or create the run, rebuild its strategy from the archive.

    `problem`, when given, is used instead of loading `config.problem` (a puzzle of a suite,
    a problem defined in the caller's code); `parts` are the caller's other objects.
    """
    file_values = load_config_file(config_file) if config_file else {}
    db = overrides.get("db") or file_values.get("db")
    archive = parts.archive or (Archive(str(db)) if db else None)
    if resume:
        archive = archive or Archive(DEFAULT_DB)
        run = archive.get_run(resume)
        config = _resumed_config(run, file_values, overrides, own_strategy=bool(parts.strategy))
    else:
        config = make_config(file_values, overrides).with_default_limits()
        archive = archive or Archive(config.db)
    problem = problem or problems.load(config.problem)
    if parts.clients is not None:
        clients, notices = parts.clients, list[str]()
        config = config.model_copy(update={"models": tuple(c.model for c, _ in clients)})
    else:
        asked_for_models = overrides.get("models") or file_values.get("models") or resume
        clients, notices = run_clients(config, archive, chosen=bool(asked_for_models))
    if parts.strategy is not None:
        config = config.model_copy(update={"strategy": _described(parts.strategy)})
    if resume:  # nothing was written so far: a run held by another process stays as it is
        hold, run, notice = hold_run(archive, run)
        notices.extend([notice] if notice else [])
    else:
        owner = new_owner()
        run = archive.create_run(
            config.run_name or _run_name(problem.name),
            problem.name,
            config.model_dump(mode="json"),
            config.seed,
            draw_seeds=secret_draws(problem, secret_train=config.secret_train),
            owner=owner,
            lease_s=LEASE_S,
        )
        hold = RunHold(archive, run, owner, status_before="interrupted")
        if config.run_name is None:
            config = config.model_copy(update={"run_name": run.name})
    try:
        prepared = _prepare_held(config, run, problem, archive, clients, hold, notices, parts)
    except BaseException:
        hold.release("failed" if not resume else hold.status_before, run.state)
        raise
    prepared.sandbox, prepared.owns_archive = parts.sandbox, parts.archive is None
    return prepared


def _prepare_held(
    config: RunConfig,
    run: RunRecord,
    problem: Problem,
    archive: Archive,
    clients: list[tuple[LLMClient, float]],
    hold: RunHold,
    notices: list[str],
    parts: Parts,
) -> PreparedRun:
    """The rest of `prepare_run`, once the run is held (the caller frees it on errors)."""
    if problem.draws and "test" not in run.draw_seeds:  # a run from before secret draws
        run = archive.update_run(run.id, draw_seeds={**run.draw_seeds, **secret_draws(problem)})
    if config.secret_train and not problem.draws:
        notices.append(
            f"--secret-train: {problem.name} has fixed instances (its instances(split) takes "
            "no seed); train and probe stay as they are."
        )
    if run.draw_seeds and not problem.draws:
        raise ProblemError(
            f"run {run.name!r} drew its {', '.join(run.draw_seeds)} instances from secret seeds, "
            f"but {problem.name}'s instances(split) takes no seed now"
        )
    problem = problem.with_draws(run.draw_seeds)
    strategy = parts.strategy
    if strategy is None:
        options = {k: v for k, v in config.strategy.items() if k != "name"}
        strategy = make_strategy(config.strategy["name"], options, config.seed)
    progress = _restore(archive, run, strategy, [c.model for c, _ in clients])
    notices.extend(sandbox_notices())
    return PreparedRun(config, run, problem, archive, clients, strategy, progress, hold, notices)


def secret_draws(problem: Problem, *, secret_train: bool = False) -> dict[str, int]:
    """{split: secret seed} for a new run: the held-out test split, and train and probe
    with `secret_train`; nothing for a problem whose instances are fixed. Drawn here, in
    the trusted parent, from the operating system's entropy: no candidate can know them."""
    if not problem.draws:
        return {}
    splits = ("train", "probe", "test") if secret_train else ("test",)
    return {split: secrets.randbits(63) for split in splits}


def _described(strategy: Strategy) -> dict[str, Any]:
    """What a run's config records of a strategy object: its name and its settings."""
    cls, settings = type(strategy), getattr(strategy, "config", None)
    known = cls.name in known_strategies()
    is_record = dataclasses.is_dataclass(settings) and not isinstance(settings, type)
    options = dataclasses.asdict(settings) if is_record else {}  # type: ignore[arg-type]
    return {"name": cls.name if known else f"{cls.__module__}:{cls.__qualname__}", **options}


def _resumed_config(
    run: RunRecord,
    file_values: dict[str, Any],
    overrides: dict[str, Any],
    *,
    own_strategy: bool = False,
) -> RunConfig:
    """The stored config with the allowed changes (`own_strategy`: the caller brings the
    strategy, so the stored one is not looked up)."""
    stored = dict(run.config)
    if own_strategy:
        stored.pop("strategy", None)
    asked = overrides.get("problem") or file_values.get("problem")
    if asked and asked not in (stored.get("problem"), run.problem):
        raise ConfigError(f"run {run.name!r} is a {run.problem} run; it cannot resume as {asked!r}")
    for key, default in (("seed", 0), ("secret_train", False)):
        kept = stored.get(key, default)
        if overrides.get(key) not in (None, kept):
            raise ConfigError(f"run {run.name!r} has {key} {kept}; a resumed run keeps it")
    fixed = {"problem", "seed", "run_name", "secret_train"}
    changes = {k: v for k, v in {**file_values, **overrides}.items() if k not in fixed}
    return make_config(stored, changes)


def _restore(
    archive: Archive, run: RunRecord, strategy: Strategy, models: list[str]
) -> RunProgress:
    """Rebuild the strategy and the counters from the archive (a new run has nothing)."""
    summary = archive.summary(run.id)
    progress = RunProgress(
        run.id,
        run.name,
        run.problem,
        models,
        evaluations=summary.evaluations,
        duplicates=summary.duplicates,
        llm_calls=summary.llm_calls,
        mutator_steps=summary.mutator_steps,
        prompt_tokens=summary.prompt_tokens,
        completion_tokens=summary.completion_tokens,
        cost_usd=summary.cost_usd,
    )
    progress.errors.update(summary.errors)
    for record in archive.iter_programs(run.id):
        if record.is_seed and record.status != "ok":
            raise ProblemError(f"run {run.name!r} has a failing seed program: {record.error}")
        if record.status == "ok" and record.score is not None:
            strategy.add(scored_program(record))
            progress.offer_best(record.id, record.score)
            if record.is_seed:
                progress.seed_score = record.score
    return progress


def _run_name(problem: str) -> str:
    return f"{problem}-{time.strftime('%Y%m%d-%H%M%S')}-{random.randrange(16**4):04x}"
