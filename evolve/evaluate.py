"""Evaluate one candidate: untrusted harness in the sandbox, trusted scoring in this process."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from problems.base import InvalidOutput, Problem, ProblemError
from sandbox import Limits, Result, Sandbox

__all__ = ["FLOAT_DIGITS", "Evaluation", "Evaluator", "functional_hash", "probe_split"]

ERROR_TEXT_LIMIT = 2000
FLOAT_DIGITS = 9  # significant digits kept when hashing outputs
ENLARGED_PROBE = "probe+"  # "probe+K": the probe and the first K train instances


def probe_split(train_instances: int) -> str:
    """The split name of the probe enlarged by its problem's first `train_instances` train
    instances ("probe" itself for 0); see `evolve.probe`."""
    return f"{ENLARGED_PROBE}{train_instances}" if train_instances else "probe"


@dataclass(frozen=True)
class Evaluation:
    """The outcome of evaluating a candidate on one split.

    Attributes:
        status: "ok", "invalid" (output broke the problem's rules) or a sandbox status
            ("error", "timeout", "memory", "crash", "output_limit", "bad_result").
        score: the aggregate score to maximize (None unless status is "ok").
        scores: per-instance scores, the program's signature.
        metrics: aggregate metrics of the split.
        error, error_kind: what went wrong ("" when ok); error_kind is e.g. "sandbox:timeout".
        eval_s: wall time of the evaluation.
        outputs_hash: the functional hash of what the candidate returned ("" unless ok).
    """

    status: str
    score: float | None = None
    scores: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    error: str = ""
    error_kind: str = ""
    eval_s: float = 0.0
    outputs_hash: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class Evaluator:
    """Runs candidates of one problem on a sandbox pool that holds the problem's instances."""

    def __init__(self, problem: Problem, sandbox: Sandbox, *, timeout_s: float | None = None):
        self.problem = problem
        self.sandbox = sandbox
        self.limits = Limits(timeout_s=timeout_s or problem.timeout_s, memory_mb=problem.memory_mb)
        self._instances: dict[str, dict[str, Any]] = {}

    def share(self, split: str) -> None:
        """Send a split's instances to every sandbox worker once (they stay there)."""
        if split not in self._instances:
            instances = self._split_instances(split)
            self.sandbox.share(split, instances, prepare=self.problem.prepare_ref)
            self._instances[split] = instances

    def _split_instances(self, split: str) -> dict[str, Any]:
        """A split's instances; an enlarged probe adds train instances, named "train/NAME"."""
        if not split.startswith(ENLARGED_PROBE):
            return self.problem.instances(split)
        count = int(split.removeprefix(ENLARGED_PROBE))
        train = list(self.problem.instances("train").items())[:count]
        return {**self.problem.instances("probe"), **{f"train/{k}": v for k, v in train}}

    async def evaluate(self, source: str, split: str = "train") -> Evaluation:
        self.share(split)
        started = time.perf_counter()
        result = await self.sandbox.arun(
            source,
            self.problem.entry,
            harness=self.problem.harness_ref,
            shared=split,
            limits=self.limits,
        )
        if result.ok:
            evaluation = await asyncio.to_thread(self.score, split, result.value)
        else:
            evaluation = _sandbox_failure(result)
        return _with_time(evaluation, time.perf_counter() - started)

    def score(self, split: str, outputs: Any) -> Evaluation:
        """Trusted check of the harness outputs of every instance of `split`."""
        instances = self._instances[split]
        if not isinstance(outputs, Mapping) or set(outputs) != set(instances):
            return _invalid("harness returned outputs for the wrong set of instances")
        per_instance: dict[str, dict[str, float]] = {}
        for name, instance in instances.items():
            try:
                per_instance[name] = self.problem.score(instance, outputs[name])
            except InvalidOutput as exc:  # the candidate's fault, and only this
                return _invalid(f"instance {name}: {exc}")
            except Exception as exc:
                raise self._bug("score", exc, f" on instance {name!r}") from exc
        try:
            metrics = self.problem.aggregate(per_instance)
        except Exception as exc:
            raise self._bug("aggregate", exc) from exc
        score = metrics.get("score")
        if score is None or not math.isfinite(score):
            return _invalid(f"aggregate score is {score!r}, not a finite number")
        scores = {name: float(m["score"]) for name, m in per_instance.items()}
        digest = functional_hash(outputs, "" if split in ("probe", "train") else split)
        return Evaluation("ok", float(score), scores, dict(metrics), outputs_hash=digest)

    def _bug(self, function: str, error: Exception, where: str = "") -> ProblemError:
        """A bug of the problem's own trusted code: it stops the run (only InvalidOutput
        is a candidate's fault), naming the file and line."""
        at = _raised_at(error, getattr(self.problem, function))
        return ProblemError(
            f"{self.problem.name}'s {function}() raised {type(error).__name__}: {error}"
            f"{where}{at}; this is a bug of the problem, not of the candidate (raise "
            "problems.base.InvalidOutput for output that breaks the rules)"
        )


def functional_hash(outputs: Any, namespace: str = "") -> str:
    """sha256 of the outputs as canonical JSON, floats rounded to FLOAT_DIGITS significant
    digits, so programs that compute the same thing hash alike however they are written.
    A `namespace` (an enlarged probe's split name) starts the hashes afresh: none of them
    matches a hash taken without it."""
    canonical = json.dumps(_rounded(outputs), sort_keys=True, separators=(",", ":"))
    prefix = f"{namespace}\n" if namespace else ""
    return hashlib.sha256((prefix + canonical).encode()).hexdigest()


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.{FLOAT_DIGITS}g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _raised_at(error: BaseException, score: Any) -> str:
    """' (at file:line)' of the deepest frame of the traceback in the score function's
    folder (the problem's own code), else of the deepest frame."""
    frames = traceback.extract_tb(error.__traceback__)
    code = getattr(score, "__code__", None)
    folder = os.path.dirname(code.co_filename) if code is not None else None
    own = [f for f in frames if folder and os.path.dirname(f.filename) == folder]
    if not (own or frames):
        return ""
    frame = (own or frames)[-1]
    return f" (at {frame.filename}:{frame.lineno})"


def _invalid(message: str) -> Evaluation:
    return Evaluation("invalid", error=message[:ERROR_TEXT_LIMIT], error_kind="invalid_output")


def _sandbox_failure(result: Result) -> Evaluation:
    error = result.error or f"candidate ended with status {result.status.value}"
    if result.stderr.strip():
        error += "\n--- stderr (tail) ---\n" + result.stderr[-500:]
    status = result.status.value
    return Evaluation(status, error=error[:ERROR_TEXT_LIMIT], error_kind=f"sandbox:{status}")


def _with_time(evaluation: Evaluation, seconds: float) -> Evaluation:
    return replace(evaluation, eval_s=seconds)
