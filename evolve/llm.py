"""The LLM gateway: one async `complete(request) -> Completion` for every kind of model.

    Gateway            budget check before each call, weighted choice of a client
     +-- LiteLLMClient    any litellm provider or OpenAI-compatible api_base; retries
     +-- MutateLLM        "builtin:mutate": random program edits, no LLM (evolve.mutate)
     +-- ReplayLLM        "replay:RUN": the replies recorded for each prompt hash

A client never raises for a failed call: it returns a `Completion` whose `error` and
`error_kind` say what went wrong, so the engine stores the failure as data. litellm is heavy
and fetches a price list at import unless told otherwise, so it is imported lazily, with
`LITELLM_LOCAL_MODEL_COST_MAP=True` and its logging silenced.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from archive import NewLLMCall
from archive.hashing import prompt_hash
from evolve.exceptions import ConfigError

if TYPE_CHECKING:
    from evolve.budget import Budget

__all__ = [
    "BUILTIN_MUTATE",
    "Completion",
    "Gateway",
    "LLMClient",
    "LLMRequest",
    "ReplayLLM",
    "call_record",
    "is_deterministic",
    "make_client",
    "parse_model_specs",
    "prompt_hash",
]

BUILTIN_MUTATE = "builtin:mutate"
REPLAY_PREFIX = "replay:"


@dataclass(frozen=True)
class LLMRequest:
    """What the engine asks of a model.

    Attributes:
        messages: chat messages {"role", "content"}.
        parent_source: the program to improve (full module, with EVOLVE-BLOCK markers).
        other_sources: other programs shown in the prompt (for crossover).
        entry: the evolved function's name.
        seed: makes `builtin:mutate` deterministic.
    """

    messages: tuple[dict[str, str], ...]
    parent_source: str
    other_sources: tuple[str, ...] = ()
    entry: str = ""
    seed: int = 0


@dataclass(frozen=True)
class Completion:
    """One call's outcome; `text` is "" and `error`/`error_kind` are set when it failed.

    error_kind is one of "rate_limit", "server_error", "timeout", "connection", "auth",
    "bad_request", "empty_reply", "replay_miss", "other". `latency_s` covers all attempts,
    backoff included; `attempts` counts them. `kind` is "llm" for a model that read the
    prompt (an LLM, or a replay of one) and "mutator" for a step of `builtin:mutate`: it is
    counted as a mutator step, not an LLM call, and its prompt is not stored.
    """

    model: str
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    error: str = ""
    error_kind: str = ""
    attempts: int = 1
    kind: str = "llm"

    @property
    def ok(self) -> bool:
        return not self.error_kind and not self.error


class LLMClient(Protocol):
    """A model: `model` is its spec ("openai/gpt-4o-mini", "builtin:mutate", ...)."""

    model: str

    async def complete(self, request: LLMRequest) -> Completion: ...


def parse_model_specs(specs: Sequence[str]) -> list[tuple[str, float]]:
    """["name", "name=weight", ...] -> [(name, weight)]; no spec means builtin:mutate."""
    parsed: list[tuple[str, float]] = []
    for spec in specs:
        name, weight = _parse_model_spec(spec)
        if name in (n for n, _ in parsed):
            raise ConfigError(f"model {name!r} is listed twice; give it one weight")
        parsed.append((name, weight))
    return parsed or [(BUILTIN_MUTATE, 1.0)]


def _parse_model_spec(spec: str) -> tuple[str, float]:
    name, sep, weight_text = spec.strip().rpartition("=")
    if not sep:
        name, weight_text = spec.strip(), "1"
    name = name.strip()
    try:
        weight = float(weight_text)
    except ValueError:
        raise ConfigError(
            f"bad model spec {spec!r}: the weight after '=' must be a number, "
            "e.g. openai/gpt-4o-mini=0.8"
        ) from None
    if not name:
        raise ConfigError(f"bad model spec {spec!r}: expected NAME or NAME=WEIGHT")
    if not (weight > 0 and math.isfinite(weight)):
        raise ConfigError(f"bad model spec {spec!r}: the weight must be a positive number")
    if name.startswith("builtin:") and name != BUILTIN_MUTATE:
        raise ConfigError(f"unknown builtin model {name!r}; the only one is {BUILTIN_MUTATE}")
    if name.startswith(REPLAY_PREFIX) and not name[len(REPLAY_PREFIX) :]:
        raise ConfigError(f"bad model spec {spec!r}: write replay:RUN with a run id or name")
    return name, weight


def is_deterministic(model: str) -> bool:
    """Whether a model's reply depends only on the prompt, its seed and the call order
    (builtin:mutate, replay:), so that a run with it can be reproduced."""
    return model == BUILTIN_MUTATE or model.startswith(REPLAY_PREFIX)


def make_client(
    model: str,
    *,
    api_base: str | None = None,
    api_key: str | None = None,
    timeout_s: float = 120.0,
    max_retries: int = 4,
    backoff_s: float = 1.0,
    replay_lookup: Callable[[str], Sequence[str]] | None = None,
) -> LLMClient:
    """The client for a model spec: builtin:mutate, replay:RUN or any litellm model."""
    if model == BUILTIN_MUTATE:
        from evolve.mutate import MutateLLM

        return MutateLLM()
    if model.startswith("builtin:"):
        raise ConfigError(f"unknown builtin model {model!r}; the only one is {BUILTIN_MUTATE}")
    if model.startswith(REPLAY_PREFIX):
        if replay_lookup is None:
            raise ConfigError(f"{model} needs the archive of the run to replay")
        return ReplayLLM(model, replay_lookup)
    from evolve.providers import LiteLLMClient

    return LiteLLMClient(
        model, api_base=api_base, api_key=api_key, timeout_s=timeout_s,
        max_retries=max_retries, backoff_s=backoff_s,
    )  # fmt: skip


def failure(model: str, error: str, kind: str, **extra: Any) -> Completion:
    """A failed call as data."""
    return Completion(model, "", error=error, error_kind=kind, **extra)


def describe(exc: BaseException, timeout_s: float = 0.0) -> str:
    """One line, at most 500 characters."""
    if isinstance(exc, TimeoutError) and timeout_s:
        return f"no reply within {timeout_s:g} s (timeout)"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


class ReplayLLM:
    """Answers the k-th call with a prompt with the k-th reply recorded for the prompt's
    hash in an earlier run; when none is left the call fails with "replay_miss"."""

    def __init__(self, model: str, lookup: Callable[[str], Sequence[str]]) -> None:
        self.model = model
        self._lookup = lookup
        self._used: Counter[str] = Counter()

    async def complete(self, request: LLMRequest) -> Completion:
        key = prompt_hash(request.messages)
        replies = self._lookup(key)
        index = self._used[key]
        if index >= len(replies):
            error = f"no recorded reply left for prompt {key[:12]} ({len(replies)} recorded)"
            return failure(self.model, error, "replay_miss")
        self._used[key] += 1
        return Completion(self.model, replies[index])


class Gateway:
    """The engine's one way to call models: budget first, then a client chosen by weight."""

    def __init__(
        self, clients: Sequence[tuple[LLMClient, float]], budget: Budget, rng: random.Random
    ) -> None:
        if not clients:
            raise ConfigError("the gateway needs at least one model")
        if any(not (w > 0 and math.isfinite(w)) for _, w in clients):
            raise ConfigError("model weights must be positive numbers")
        self._clients, self._weights = [c for c, _ in clients], [w for _, w in clients]
        self.budget, self._rng = budget, rng

    @property
    def models(self) -> list[str]:
        return [c.model for c in self._clients]

    def pick(self) -> LLMClient:
        """A client drawn with probability proportional to its weight."""
        return self._rng.choices(self._clients, weights=self._weights)[0]

    async def complete(self, request: LLMRequest) -> Completion:
        """Reserve budget (raises BudgetExhausted), call one model, record what it spent."""
        self.budget.reserve()
        client = self.pick()
        try:
            completion = await client.complete(request)
        except asyncio.CancelledError:
            self.budget.release()
            raise
        except Exception as exc:  # a client broke its contract: still data, not a crash
            completion = failure(client.model, describe(exc), "other")
        self.budget.record(completion)
        return completion


def call_record(request: LLMRequest, completion: Completion) -> NewLLMCall:
    """What the archive stores of one call (a mutator step: its prompt's hash only)."""
    return NewLLMCall(
        model=completion.model,
        messages=list(request.messages),
        prompt_hash=prompt_hash(request.messages),
        reply=completion.text,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        cost_usd=completion.cost_usd,
        latency_s=completion.latency_s,
        error=completion.error,
        error_kind=completion.error_kind,
        kind=completion.kind,  # a mutator step: its prompt is not stored
    )
