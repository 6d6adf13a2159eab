"""Run budgets: LLM calls, tokens, dollars and wall time, checked before every call.

A `Budget` is shared by all the calls in flight. `reserve()` runs BEFORE a call and counts
the reservation toward the call limit at once, so N concurrent callers cannot overshoot it;
`record(completion)` runs after the call, turns the reservation into a spent call and adds
its tokens and cost. Tokens and dollars are only known after a call, so those limits stop
the next call, not the one that crosses them. A resumed run passes what it already spent.

The call limit (`--max-llm-calls`) counts every reply asked for: LLM calls and the steps
of the built-in mutator alike (a step stands in for a call, and a limit that a builtin run
ignored would never stop it). `calls` and `steps` count each kind apart, for display.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from evolve.exceptions import BudgetExhausted, ConfigError

if TYPE_CHECKING:
    from evolve.llm import Completion

__all__ = ["Budget", "BudgetLimits"]


@dataclass(frozen=True)
class BudgetLimits:
    """Limits of one run; None means unlimited.

    Attributes:
        max_llm_calls: replies asked for, failed ones included (each call, not each
            retry): LLM calls and builtin:mutate's steps together.
        max_tokens: prompt plus completion tokens.
        max_usd: dollars, as litellm prices the calls (local models cost 0).
        time_limit_s: wall-clock seconds since the budget was created.
    """

    max_llm_calls: int | None = None
    max_tokens: int | None = None
    max_usd: float | None = None
    time_limit_s: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_llm_calls", "max_tokens", "max_usd", "time_limit_s"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ConfigError(f"budget {name} must be positive (got {value}); omit it for none")


class Budget:
    """What a run may still spend; shared by every call in flight (one event loop)."""

    def __init__(
        self,
        limits: BudgetLimits,
        *,
        spent_calls: int = 0,
        spent_steps: int = 0,
        spent_tokens: int = 0,
        spent_usd: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self._calls = spent_calls
        self._steps = spent_steps
        self._tokens = spent_tokens
        self._usd = spent_usd
        self._in_flight = 0
        self._clock = clock
        self._start = clock()

    @property
    def calls(self) -> int:
        """LLM calls made (recorded), not counting those in flight."""
        return self._calls

    @property
    def steps(self) -> int:
        """Steps of the built-in mutator made (recorded)."""
        return self._steps

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def tokens(self) -> int:
        return self._tokens

    @property
    def usd(self) -> float:
        return self._usd

    @property
    def elapsed_s(self) -> float:
        return self._clock() - self._start

    @property
    def time_left_s(self) -> float | None:
        """Seconds until the time limit (None without one)."""
        limit = self.limits.time_limit_s
        return None if limit is None else max(0.0, limit - self.elapsed_s)

    def exhausted(self) -> str | None:
        """Why no further call may start, or None; calls in flight count as spent."""
        lim = self.limits
        spent = self._calls + self._steps + self._in_flight
        if lim.max_llm_calls is not None and spent >= lim.max_llm_calls:
            return self._call_budget_spent(lim.max_llm_calls)
        if lim.max_tokens is not None and self._tokens >= lim.max_tokens:
            return f"token budget ({lim.max_tokens}) spent"
        if lim.max_usd is not None and self._usd >= lim.max_usd:
            return f"dollar budget (${lim.max_usd:g}) spent"
        if lim.time_limit_s is not None and self.elapsed_s >= lim.time_limit_s:
            return f"time limit ({lim.time_limit_s:g} s) reached"
        return None

    def _call_budget_spent(self, limit: int) -> str:
        if not self._steps:
            return f"llm call budget ({limit}) spent"
        if not self._calls:
            return f"mutator step budget ({limit}, --max-llm-calls) spent"
        return f"call budget ({limit} LLM calls and mutator steps) spent"

    def reserve(self) -> None:
        """Claim one call before making it; raises BudgetExhausted when none is left."""
        if reason := self.exhausted():
            raise BudgetExhausted(reason)
        self._in_flight += 1

    def release(self) -> None:
        """Give a reservation back without a call (the call was cancelled before it ran)."""
        self._in_flight = max(0, self._in_flight - 1)

    def record(self, completion: Completion) -> None:
        """Turn a reservation into a spent call (or mutator step) and add its tokens and cost."""
        self.release()
        if completion.kind == "mutator":
            self._steps += 1
        else:
            self._calls += 1
        self._tokens += completion.prompt_tokens + completion.completion_tokens
        self._usd += completion.cost_usd
