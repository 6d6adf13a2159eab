"""Values that cross the archive boundary: `New*` inputs in, frozen `*Record` snapshots out.

Records are copies: changing one never changes the database, and the archive never hands
out live ORM objects.
"""

from __future__ import annotations

import math
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from archive.hashing import prompt_hash

__all__ = [
    "CALL_KINDS",
    "COLLISION_TOLERANCE",
    "DUPLICATE_KINDS",
    "FAILED_EXCLUDES",
    "NOT_EVALUATED",
    "RUN_STATUSES",
    "LLMCallRecord",
    "LeaseOwner",
    "NewLLMCall",
    "NewProgram",
    "NewValidation",
    "ProgramRecord",
    "RunLease",
    "RunRecord",
    "RunSummary",
    "ValidationRecord",
]

RUN_STATUSES = ("running", "finished", "interrupted", "failed")
"""The stored states of a run; a resumed run goes back to "running". A "running" run
whose holder is gone reads as "died" (`RunRecord.live_status`), which is never stored."""

CALL_KINDS = ("llm", "mutator")
"""`NewLLMCall.kind`: "llm" for a model that reads the prompt (an LLM, or a replay of
one), "mutator" for a step of the built-in mutator, which does not read it."""

FAILED_EXCLUDES = ("ok", "duplicate")
"""Program statuses that are not failures (for error feedback and `RunSummary.errors`)."""

NOT_EVALUATED = ("duplicate", "patch_error")
"""Program statuses whose program never ran in the sandbox."""

DUPLICATE_KINDS = ("", "syntactic", "functional", "functional_audit")
"""`duplicate_kind` values: "" for an ordinary program; "syntactic" or "functional" for a
duplicate that was not evaluated (status "duplicate"); "functional_audit" for a functional
duplicate evaluated anyway to measure hash collisions (its own status and score)."""

COLLISION_TOLERANCE = 1e-9
"""Relative score difference above which an audited functional duplicate is a collision."""


@dataclass(frozen=True)
class LeaseOwner:
    """A process that holds (runs) a run: its host, pid and a random token that tells
    two holders with the same pid apart (see `Archive.take_run`)."""

    host: str
    pid: int
    token: str

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}"


@dataclass(frozen=True)
class RunLease:
    """A run's holder and until when its lease holds unless renewed (its heartbeat)."""

    owner: LeaseOwner
    since: datetime
    expires_at: datetime

    def stale_reason(self, now: datetime | None = None) -> str:
        """Why the holder is presumed dead, or "" while it may be alive: its lease
        expired, or it ran on this host and its process is gone (e.g. kill -9)."""
        now = now or datetime.now(UTC)
        if now >= self.expires_at:
            return f"its lease expired {(now - self.expires_at).total_seconds():.0f} s ago"
        if self.owner.host == socket.gethostname() and not _pid_running(self.owner.pid):
            return f"process {self.owner.pid} is gone"
        return ""


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


@dataclass(frozen=True)
class RunRecord:
    """One run: a search on one problem with one config and seed.

    Attributes:
        status: one of `RUN_STATUSES`, as stored (see `live_status`).
        state: free-form JSON written by the engine (e.g. the random state for --resume).
        draw_seeds: {split: seed} for the splits whose instances the run drew from a
            secret seed (the held-out "test" split; "train" and "probe" too with
            secret_train); a split not listed uses the problem's fixed instances.
        lease: the process running it now (None when none holds it).
    """

    id: int
    name: str
    problem: str
    config: dict[str, Any]
    seed: int
    status: str
    state: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    draw_seeds: dict[str, int] = field(default_factory=dict)
    lease: RunLease | None = None

    @property
    def live_status(self) -> str:
        """`status`, except "died" for a "running" run that no live process holds (its
        process was killed, or it was written by an evolve without leases)."""
        if self.status != "running":
            return self.status
        return "died" if self.lease is None or self.lease.stale_reason() else "running"


@dataclass(frozen=True)
class NewProgram:
    """A program to store (the writable fields of `ProgramRecord`).

    An empty `syntactic_hash` is computed by the archive from `source`. `score` is None
    for a program without a valid result; a number must be finite, and so must the values
    of `scores` and `metrics` (JSON has no NaN or Infinity: the archive refuses them).
    `duplicate_kind` is one of `DUPLICATE_KINDS`; a duplicate's `eval_s` is the time it
    did cost (the probe run of a functional duplicate, 0 for a syntactic one).
    """

    source: str
    parent_ids: tuple[int, ...] = ()
    island: int | None = None
    status: str = "ok"
    score: float | None = None
    scores: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    error: str = ""
    error_kind: str = ""
    syntactic_hash: str = ""
    functional_hash: str | None = None
    duplicate_of: int | None = None
    eval_s: float = 0.0
    duplicate_kind: str = ""

    def __post_init__(self) -> None:
        if self.score is not None and not math.isfinite(self.score):
            raise ValueError(f"score must be finite or None, got {self.score!r}")
        if self.duplicate_kind not in DUPLICATE_KINDS:
            raise ValueError(
                f"duplicate_kind must be one of {DUPLICATE_KINDS}, got {self.duplicate_kind!r}"
            )
        object.__setattr__(self, "parent_ids", tuple(self.parent_ids))


@dataclass(frozen=True)
class ProgramRecord:
    """A stored program with its result and lineage.

    Attributes:
        parent_ids: the programs it was derived from (empty for a seed).
        status: "ok", "invalid", "error", "timeout", "memory", "crash", "output_limit",
            "bad_result", "patch_error", "duplicate", ...
        scores: per-instance scores; `score` is the aggregate to maximize.
        error_kind: a short machine-readable reason, e.g. "sandbox:timeout".
        duplicate_of: the earlier program whose result this duplicate reuses (or, for a
            "functional_audit", the program it was checked against).
        llm_call_id: the call whose reply produced it (None for seeds).
        eval_s: seconds spent evaluating it (a duplicate: its probe run, if any).
        duplicate_kind: one of `DUPLICATE_KINDS`.
    """

    id: int
    run_id: int
    source: str
    parent_ids: tuple[int, ...]
    island: int | None
    status: str
    score: float | None
    scores: dict[str, float]
    metrics: dict[str, float]
    error: str
    error_kind: str
    syntactic_hash: str
    functional_hash: str | None
    duplicate_of: int | None
    llm_call_id: int | None
    eval_s: float
    created_at: datetime
    duplicate_kind: str = ""

    @property
    def is_seed(self) -> bool:
        """True for a starting program: no parents and no LLM call."""
        return not self.parent_ids and self.llm_call_id is None


@dataclass(frozen=True)
class NewValidation:
    """A program's result on the held-out split, to store (one per run and program).

    `draw_seed` is the seed the split was drawn from (None: the problem's fixed set).
    """

    program_id: int
    status: str
    score: float | None = None
    scores: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    error: str = ""
    error_kind: str = ""
    eval_s: float = 0.0
    split: str = "test"
    draw_seed: int | None = None

    def __post_init__(self) -> None:
        if self.score is not None and not math.isfinite(self.score):
            raise ValueError(f"score must be finite or None, got {self.score!r}")


@dataclass(frozen=True)
class ValidationRecord:
    """A stored re-validation: a program of a run evaluated on the held-out split."""

    run_id: int
    program_id: int
    split: str
    draw_seed: int | None
    status: str
    score: float | None
    scores: dict[str, float]
    metrics: dict[str, float]
    error: str
    error_kind: str
    eval_s: float
    created_at: datetime


@dataclass(frozen=True)
class NewLLMCall:
    """An LLM call to store; an empty `prompt_hash` is computed from `messages`, and a
    given one must be theirs (`archive.prompt_hash`: prompts are stored by it).

    `error` is "" for a call that returned a reply. `kind` is one of `CALL_KINDS`: the
    messages of an "llm" call are stored once per prompt hash, those of a "mutator" step
    not at all (the built-in mutator does not read them; only their hash is kept, the key
    of `replay:`).
    """

    model: str
    messages: list[dict[str, str]]
    reply: str = ""
    prompt_hash: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    error: str = ""
    error_kind: str = ""
    kind: str = "llm"

    def __post_init__(self) -> None:
        if self.kind not in CALL_KINDS:
            raise ValueError(f"kind must be one of {CALL_KINDS}, got {self.kind!r}")
        digest = prompt_hash(self.messages)
        if self.prompt_hash and self.prompt_hash != digest:
            raise ValueError(
                f"prompt_hash {self.prompt_hash[:12]!r} is not the hash of the messages; "
                "leave it empty to have it computed"
            )
        object.__setattr__(self, "prompt_hash", digest)


@dataclass(frozen=True)
class LLMCallRecord:
    """A stored LLM call: prompt, reply, usage and outcome (`messages` is [] for a
    "mutator" step: no prompt was stored)."""

    id: int
    run_id: int
    model: str
    messages: list[dict[str, str]]
    prompt_hash: str
    reply: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_s: float
    error: str
    error_kind: str
    created_at: datetime
    kind: str = "llm"


@dataclass(frozen=True)
class RunSummary:
    """Counts and totals for one run.

    Attributes:
        evaluations: programs actually run in the sandbox: every program whose status is
            not in `NOT_EVALUATED` ("duplicate": result reused; "patch_error": no program).
        programs: all stored programs, whatever their status.
        duplicates: programs with status "duplicate" (syntactic and functional).
        duplicates_syntactic, duplicates_functional: those of each `duplicate_kind`.
        seconds_saved: evaluation time the duplicates saved: for each, its original's
            `eval_s` minus its own (the probe run), floored at 0.
        audits: functional duplicates evaluated anyway ("functional_audit").
        collisions: audits whose status differs from their original's, or whose score
            differs by more than `COLLISION_TOLERANCE` (relative).
        collision_rate: collisions / audits (None without audits).
        best_score, best_program_id: the best "ok" program (None when there is none).
        llm_calls: calls of kind "llm" (models that read the prompt), failed ones too.
        mutator_steps: steps of the built-in mutator (calls of kind "mutator").
        prompt_tokens, completion_tokens, cost_usd: over all calls, failed ones too.
        errors: count per error kind over failed programs (status not in
            `FAILED_EXCLUDES`) and failed LLM calls; the kind is `error_kind`, or the
            status ("llm_error" for a call) where no kind was recorded.
    """

    run_id: int
    evaluations: int
    programs: int
    duplicates: int
    best_score: float | None
    best_program_id: int | None
    llm_calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    errors: dict[str, int]
    duplicates_syntactic: int = 0
    duplicates_functional: int = 0
    seconds_saved: float = 0.0
    audits: int = 0
    collisions: int = 0
    collision_rate: float | None = None
    mutator_steps: int = 0
