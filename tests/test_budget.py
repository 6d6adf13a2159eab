"""Budget: limits in calls, tokens, dollars and time; reservations before calls."""

from __future__ import annotations

import pytest

from evolve.budget import Budget, BudgetLimits
from evolve.exceptions import BudgetExhausted, ConfigError
from evolve.llm import Completion


def _done(tokens: int = 0, usd: float = 0.0) -> Completion:
    return Completion(
        "m", "text", prompt_tokens=tokens // 2, completion_tokens=tokens - tokens // 2, cost_usd=usd
    )


def test_unlimited_budget_never_runs_out() -> None:
    budget = Budget(BudgetLimits())
    for _ in range(100):
        budget.reserve()
        budget.record(_done(tokens=1000, usd=1.0))
    assert budget.exhausted() is None
    assert (budget.calls, budget.tokens, budget.usd) == (100, 100_000, pytest.approx(100.0))


def test_call_limit_counts_reservations_in_flight() -> None:
    budget = Budget(BudgetLimits(max_llm_calls=2))
    budget.reserve()
    budget.reserve()
    assert budget.in_flight == 2 and budget.calls == 0
    with pytest.raises(BudgetExhausted, match=r"llm call budget \(2\) spent"):
        budget.reserve()
    budget.record(_done())
    budget.release()  # the second call was cancelled before it ran
    assert budget.calls == 1
    budget.reserve()  # the released reservation is available again
    budget.record(_done())
    assert budget.exhausted() == "llm call budget (2) spent"


def test_token_and_dollar_limits_stop_the_next_call() -> None:
    tokens = Budget(BudgetLimits(max_tokens=100))
    tokens.reserve()
    tokens.record(_done(tokens=150))  # the call that crosses the limit still counts
    with pytest.raises(BudgetExhausted, match="token budget"):
        tokens.reserve()
    dollars = Budget(BudgetLimits(max_usd=0.5))
    dollars.reserve()
    dollars.record(_done(usd=0.5))
    assert dollars.exhausted() == "dollar budget ($0.5) spent"


def test_time_limit_uses_the_clock() -> None:
    now = [100.0]
    budget = Budget(BudgetLimits(time_limit_s=60), clock=lambda: now[0])
    budget.reserve()
    now[0] = 159.0
    assert budget.exhausted() is None and budget.elapsed_s == pytest.approx(59.0)
    now[0] = 160.0
    with pytest.raises(BudgetExhausted, match=r"time limit \(60 s\) reached"):
        budget.reserve()


def test_resumed_run_starts_from_what_it_spent() -> None:
    budget = Budget(BudgetLimits(max_llm_calls=10, max_usd=2.0), spent_calls=9, spent_usd=1.0)
    budget.reserve()
    with pytest.raises(BudgetExhausted):
        budget.reserve()
    budget.record(_done(usd=0.25))
    assert (budget.calls, budget.usd) == (10, pytest.approx(1.25))


@pytest.mark.parametrize("limits", [{"max_llm_calls": 0}, {"max_usd": -1.0}])
def test_non_positive_limits_are_config_errors(limits: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="must be positive"):
        BudgetLimits(**limits)  # type: ignore[arg-type]
