"""Live counters of a run, shared by the engine (writer) and the display (reader)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evolve.llm import Completion

__all__ = ["RunProgress"]


@dataclass
class RunProgress:
    """What a person watching the run wants to know, kept up to date by the engine.

    Counters cover the whole run, earlier sessions of a resumed run included. A reply asked
    for is an LLM call (`llm_calls`: a model that reads the prompt) or a step of the
    built-in mutator (`mutator_steps`); `proposals` counts both.
    """

    run_id: int
    run_name: str
    problem: str
    models: list[str]
    evaluations: int = 0
    duplicates: int = 0
    llm_calls: int = 0
    llm_answers: int = 0  # LLM calls that returned text
    mutator_steps: int = 0
    last_llm_error: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    best_score: float | None = None
    best_program_id: int | None = None
    seed_score: float | None = None
    errors: Counter[str] = field(default_factory=Counter)
    best_history: list[tuple[float, float]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    stop_reason: str = ""
    test: dict[str, Any] = field(default_factory=dict)  # the overfit guard's verdict
    notes: list[str] = field(default_factory=list)  # what the engine changed (probe size)

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    @property
    def proposals(self) -> int:
        """Replies asked for: LLM calls and mutator steps."""
        return self.llm_calls + self.mutator_steps

    def count_call(self, completion: Completion) -> None:
        """Count one reply asked for, by the kind of model that answered (or failed)."""
        source = "mutator" if completion.kind == "mutator" else "llm"
        if source == "mutator":
            self.mutator_steps += 1
        else:
            self.llm_calls += 1
            self.llm_answers += completion.ok
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        self.cost_usd += completion.cost_usd
        if not completion.ok:
            self.errors[f"{source}:{completion.error_kind}"] += 1
            if source == "llm":
                self.last_llm_error = completion.error

    def offer_best(self, program_id: int, score: float) -> bool:
        """Record a new program's score; True when it is the run's new best."""
        if self.best_score is not None and score <= self.best_score:
            return False
        self.best_score, self.best_program_id = score, program_id
        self.best_history.append((round(self.elapsed_s, 3), score))
        return True

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "run_name": self.run_name,
            "problem": self.problem,
            "models": self.models,
            "evaluations": self.evaluations,
            "duplicates": self.duplicates,
            "best_score": self.best_score,
            "best_program_id": self.best_program_id,
            "seed_score": self.seed_score,
            "llm_calls": self.llm_calls,
            "llm_answers": self.llm_answers,
            "mutator_steps": self.mutator_steps,
            "last_llm_error": self.last_llm_error,
            "notes": self.notes,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "errors": dict(sorted(self.errors.items())),
            "elapsed_s": round(self.elapsed_s, 3),
            "stop_reason": self.stop_reason,
            # the overfit guard (evolve/overfit.py): the run's result is the best of the
            # top programs on the held-out test split, flagged if no better than the seed
            "best_test_score": (self.test.get("search_best") or {}).get("test_score"),
            "result_program_id": self.test.get("program_id"),
            "result_test_score": self.test.get("score"),
            "seed_test_score": self.test.get("seed_test_score"),
            "test_gap": self.test.get("gap"),
            "overfit": self.test.get("flagged"),
            "test": self.test,
        }
