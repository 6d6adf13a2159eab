"""The LLM gateway, through the real litellm path against a local fake OpenAI server."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from evolve.budget import Budget, BudgetLimits
from evolve.exceptions import BudgetExhausted, ConfigError, LLMError
from evolve.llm import (
    Completion,
    Gateway,
    LLMRequest,
    ReplayLLM,
    make_client,
    parse_model_specs,
    prompt_hash,
)
from evolve.mutate import MutateLLM
from evolve.providers import LiteLLMClient, check_credentials
from tests.fake_openai import FakeOpenAI, Reply

REQUEST = LLMRequest(messages=({"role": "user", "content": "improve this"},), parent_source="")


def _client(server: FakeOpenAI, model: str = "openai/fake-model", **kw: float) -> LiteLLMClient:
    options = {"timeout_s": 5.0, "max_retries": 2, "backoff_s": 0.001, **kw}
    client = make_client(model, api_base=server.base_url, api_key="sk-test", **options)
    assert isinstance(client, LiteLLMClient)
    return client


@pytest.mark.slow
async def test_success_records_text_tokens_and_latency() -> None:
    reply = Reply("```python\ndef f():\n    return 1\n```", prompt_tokens=12, completion_tokens=34)
    with FakeOpenAI([reply]) as server:
        completion = await _client(server).complete(REQUEST)
    assert completion.ok and completion.text.startswith("```python")
    assert (completion.prompt_tokens, completion.completion_tokens) == (12, 34)
    assert completion.attempts == 1 and completion.latency_s > 0
    assert completion.cost_usd == 0.0  # litellm has no price for a local model
    assert server.requests[0]["model"] == "fake-model"
    assert server.requests[0]["messages"] == [{"role": "user", "content": "improve this"}]


async def test_known_model_is_priced_from_usage() -> None:
    reply = Reply("ok", prompt_tokens=1000, completion_tokens=1000)
    with FakeOpenAI([reply]) as server:
        completion = await _client(server, "openai/gpt-4o-mini").complete(REQUEST)
    assert completion.ok and 0 < completion.cost_usd < 0.01


async def test_rate_limit_is_retried_after_the_servers_retry_after() -> None:
    with FakeOpenAI([Reply.rate_limited(retry_after=0.2), "second time lucky"]) as server:
        completion = await _client(server).complete(REQUEST)
    assert completion.ok and completion.text == "second time lucky"
    assert completion.attempts == 2 and len(server.requests) == 2
    assert completion.latency_s >= 0.2


async def test_server_errors_exhaust_the_retries() -> None:
    with FakeOpenAI([Reply.error(500)] * 3, then="never reached") as server:
        completion = await _client(server, max_retries=2).complete(REQUEST)
    assert not completion.ok and completion.text == ""
    assert completion.error_kind == "server_error" and "500" in completion.error
    assert completion.attempts == 3 and len(server.requests) == 3


@pytest.mark.slow
async def test_slow_reply_times_out() -> None:
    with FakeOpenAI([Reply.slow(10)] * 2) as server:
        completion = await _client(server, timeout_s=0.3, max_retries=1).complete(REQUEST)
    assert completion.error_kind == "timeout" and completion.attempts == 2
    assert "0.3 s" in completion.error and completion.latency_s < 3


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (Reply.error(401, "Incorrect API key provided"), "auth"),
        (Reply.error(400, "context too long"), "bad_request"),
        (Reply.error(404, "no such model"), "bad_request"),
    ],
)
async def test_client_errors_are_not_retried(reply: Reply, kind: str) -> None:
    with FakeOpenAI([reply] * 3) as server:
        completion = await _client(server).complete(REQUEST)
    assert completion.error_kind == kind and completion.attempts == 1
    assert len(server.requests) == 1


async def test_invalid_json_and_empty_replies_are_failures_not_crashes() -> None:
    with FakeOpenAI([Reply.invalid_json(), "   "]) as server:
        completion = await _client(server, max_retries=0).complete(REQUEST)
        assert completion.error_kind == "server_error"
        empty = await _client(server, max_retries=0).complete(REQUEST)
    assert empty.error_kind == "empty_reply" and empty.text == ""


async def test_connection_refused_is_a_connection_error_and_not_retried() -> None:
    with FakeOpenAI() as server:
        base = server.base_url
    client = make_client(
        "openai/fake-model", api_base=base, api_key="sk-test", max_retries=3, backoff_s=1.0
    )
    completion = await client.complete(REQUEST)
    assert completion.error_kind == "connection" and completion.attempts == 1
    assert completion.latency_s < 1.0  # no backoff: a retry would be refused alike


async def test_local_server_needs_no_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with FakeOpenAI() as server:
        client = make_client("openai/fake-model", api_base=server.base_url)
        assert (await client.complete(REQUEST)).ok


class _Stub:
    def __init__(self, model: str, delay_s: float = 0.0) -> None:
        self.model, self.delay_s = model, delay_s

    async def complete(self, request: LLMRequest) -> Completion:
        await asyncio.sleep(self.delay_s)
        return Completion(self.model, "reply", prompt_tokens=3, completion_tokens=4, cost_usd=0.01)


async def test_gateway_picks_clients_by_weight() -> None:
    clients = [(_Stub("a"), 3.0), (_Stub("b"), 1.0)]
    gateway = Gateway(clients, Budget(BudgetLimits()), random.Random(7))
    assert gateway.models == ["a", "b"]
    counts = Counter([(await gateway.complete(REQUEST)).model for _ in range(4000)])
    assert counts["a"] / 4000 == pytest.approx(0.75, abs=0.03)
    assert gateway.budget.calls == 4000 and gateway.budget.tokens == 4000 * 7
    assert gateway.budget.usd == pytest.approx(40.0)


async def test_gateway_budget_holds_under_concurrency() -> None:
    with FakeOpenAI(lambda body: Reply.slow(0.05, "ok")) as server:
        budget = Budget(BudgetLimits(max_llm_calls=5))
        gateway = Gateway([(_client(server), 1.0)], budget, random.Random(0))
        results = await asyncio.gather(
            *(gateway.complete(REQUEST) for _ in range(20)), return_exceptions=True
        )
    done = [r for r in results if isinstance(r, Completion)]
    refused = [r for r in results if isinstance(r, BudgetExhausted)]
    assert len(done) == 5 and all(c.ok for c in done) and len(refused) == 15
    assert len(server.requests) == 5 and budget.calls == 5 and budget.in_flight == 0
    assert "llm call budget (5) spent" in str(refused[0])


async def test_gateway_releases_the_reservation_of_a_cancelled_call() -> None:
    budget = Budget(BudgetLimits(max_llm_calls=1))
    gateway = Gateway([(_Stub("slow", delay_s=10), 1.0)], budget, random.Random(0))
    task = asyncio.create_task(gateway.complete(REQUEST))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert budget.in_flight == 0 and budget.calls == 0 and budget.exhausted() is None


async def test_replay_answers_the_kth_identical_prompt_with_the_kth_reply() -> None:
    other = LLMRequest(messages=({"role": "user", "content": "other"},), parent_source="")
    recorded = {prompt_hash(REQUEST.messages): ["first", "second"]}
    client = make_client("replay:run-1", replay_lookup=lambda h: recorded.get(h, []))
    assert isinstance(client, ReplayLLM) and client.model == "replay:run-1"
    texts = [(await client.complete(REQUEST)).text for _ in range(2)]
    assert texts == ["first", "second"]
    assert (await client.complete(REQUEST)).error_kind == "replay_miss"
    assert (await client.complete(other)).error_kind == "replay_miss"


def test_prompt_hash_is_canonical() -> None:
    a = prompt_hash([{"role": "user", "content": "x"}])
    assert a == prompt_hash([{"content": "x", "role": "user"}])
    assert a != prompt_hash([{"role": "user", "content": "y"}]) and len(a) == 64


def test_make_client_kinds() -> None:
    assert isinstance(make_client("builtin:mutate"), MutateLLM)
    with pytest.raises(ConfigError, match="archive"):
        make_client("replay:run-1")
    with pytest.raises(ConfigError, match="builtin:mutate"):
        make_client("builtin:other")


def test_parse_model_specs() -> None:
    assert parse_model_specs([]) == [("builtin:mutate", 1.0)]
    assert parse_model_specs(["openai/gpt-4o-mini=0.8", " ollama/llama3 "]) == [
        ("openai/gpt-4o-mini", 0.8),
        ("ollama/llama3", 1.0),
    ]


@pytest.mark.parametrize(
    "spec", ["a=0", "a=-1", "a=x", "=2", "", "a=nan", "replay:", "builtin:nope"]
)
def test_parse_model_specs_errors(spec: str) -> None:
    with pytest.raises(ConfigError):
        parse_model_specs([spec])


def test_parse_model_specs_refuses_duplicates() -> None:
    with pytest.raises(ConfigError, match="twice"):
        parse_model_specs(["a", "a=2"])


def test_check_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LLMError, match=r"set OPENAI_API_KEY.*--api-base.*builtin:mutate"):
        check_credentials("openai/gpt-4o-mini", None)
    check_credentials("openai/gpt-4o-mini", "http://127.0.0.1:8000/v1")  # local server
    check_credentials("ollama/llama3", None)
    check_credentials("builtin:mutate", None)
    check_credentials("replay:run-1", None)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    check_credentials("openai/gpt-4o-mini", None)
    with pytest.raises(LLMError, match=r"e\.g\. openai/gpt-4o-mini"):
        check_credentials("nosuchprovider/model", None)
