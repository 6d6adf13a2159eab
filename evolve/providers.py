"""Models reached through litellm: any provider or OpenAI-compatible server.

litellm is heavy and fetches a price list at import unless told otherwise, so it is
imported lazily, with `LITELLM_LOCAL_MODEL_COST_MAP=True` and its logging silenced.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from types import ModuleType
from typing import Any

from evolve.exceptions import ConfigError, LLMError
from evolve.llm import BUILTIN_MUTATE, REPLAY_PREFIX, Completion, LLMRequest, describe, failure

__all__ = ["LiteLLMClient", "check_credentials"]

MAX_BACKOFF_S = 60.0
# Providers that run on the user's machine and need no key (litellm's names).
LOCAL_PROVIDERS = frozenset(
    {"ollama", "ollama_chat", "hosted_vllm", "vllm", "lm_studio", "llamafile", "xinference"}
)
MODEL_EXAMPLES = "openai/gpt-4o-mini, anthropic/claude-3-5-sonnet-latest, ollama/llama3"
NO_KEY_FIX = "or pass --api-base for a local server, or --model builtin:mutate"


@cache
def _litellm() -> ModuleType:
    """Import litellm without network access, telemetry or chatter (once)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_LOG", "ERROR")
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    litellm.turn_off_message_logging = True
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return litellm


def check_credentials(model: str, api_base: str | None, api_key: str | None = None) -> None:
    """Raise LLMError, with the fix, when `model` needs an API key that is not set."""
    if model == BUILTIN_MUTATE or model.startswith(REPLAY_PREFIX) or api_base or api_key:
        return
    litellm = _litellm()
    try:
        _, provider, _, _ = litellm.get_llm_provider(model=model)
    except Exception:
        raise LLMError(
            f"unknown model {model!r}: write PROVIDER/MODEL, e.g. {MODEL_EXAMPLES}, {NO_KEY_FIX}"
        ) from None
    if provider in LOCAL_PROVIDERS:
        return
    with _blank_variables_unset():  # litellm counts OPENAI_API_KEY="" as a key
        env = litellm.validate_environment(model=model)
    if not env.get("keys_in_environment") and env.get("missing_keys"):
        keys = " or ".join(env["missing_keys"])
        raise LLMError(f"{model} needs an API key: set {keys}, {NO_KEY_FIX}")


@contextmanager
def _blank_variables_unset() -> Iterator[None]:
    blank = {k: v for k, v in os.environ.items() if not v.strip()}
    for name in blank:
        del os.environ[name]
    try:
        yield
    finally:
        os.environ.update(blank)


def _error_kind(exc: BaseException) -> tuple[str, bool]:
    """(error_kind, retry?) for an exception raised by litellm or by our own timeout."""
    import openai  # litellm's exceptions subclass openai's

    chain = _exception_chain(exc)
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else 0
    if any(isinstance(e, TimeoutError | openai.APITimeoutError) for e in chain):
        return "timeout", True
    if status in (401, 403) or isinstance(
        exc, openai.AuthenticationError | openai.PermissionDeniedError
    ):
        return "auth", False
    if status == 429 or isinstance(exc, openai.RateLimitError):
        return "rate_limit", True
    if any(isinstance(e, openai.APIConnectionError | ConnectionError) for e in chain):
        return "connection", False  # nothing listening, a wrong address: a retry won't help
    if 400 <= status < 500:
        return "bad_request", False
    if status >= 500:
        return "server_error", True
    return "other", False


def _exception_chain(exc: BaseException) -> list[BaseException]:
    """exc and the exceptions it was raised from (litellm wraps openai wraps httpx)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 16:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _retry_after_s(exc: BaseException) -> float:
    """The server's Retry-After header in seconds (litellm keeps the headers), else 0."""
    headers = getattr(exc, "litellm_response_headers", None) or {}
    try:
        return max(0.0, float(headers.get("retry-after", 0)))
    except (TypeError, ValueError):
        return 0.0


class LiteLLMClient:
    """Any litellm model, with timeout, and retries with backoff and jitter on transient errors.

    Retried: 429, 5xx, timeouts (up to `max_retries` more attempts; delay backoff_s * 2**k
    with jitter, at least the server's Retry-After, at most 60 s). Not retried, since a
    retry would fail the same way: connection errors (nothing listening, a wrong address),
    auth, bad request, not found, empty replies. Unknown (local) models cost 0.
    """

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        max_retries: int = 4,
        backoff_s: float = 1.0,
    ) -> None:
        if timeout_s <= 0 or max_retries < 0 or backoff_s < 0:
            raise ConfigError("timeout_s must be > 0, max_retries and backoff_s >= 0")
        self.model, self.api_base, self.api_key = model, api_base, api_key
        self.timeout_s, self.max_retries, self.backoff_s = timeout_s, max_retries, backoff_s
        self._jitter = random.Random()
        _litellm()  # import now (seconds), not inside the first timed call

    async def complete(self, request: LLMRequest) -> Completion:
        start = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            try:
                async with asyncio.timeout(self.timeout_s):
                    response = await self._call(request)
            except Exception as exc:
                kind, retry = _error_kind(exc)
                if not retry or attempt > self.max_retries:
                    elapsed, error = time.perf_counter() - start, describe(exc, self.timeout_s)
                    return failure(self.model, error, kind, latency_s=elapsed, attempts=attempt)
                await asyncio.sleep(self._delay_s(attempt, exc))
                continue
            return self._completion(response, attempt, time.perf_counter() - start)

    async def _call(self, request: LLMRequest) -> Any:
        litellm = _litellm()
        api_key = self.api_key
        if self.api_base and not api_key:  # local OpenAI-compatible servers need no key
            env = litellm.validate_environment(model=self.model)
            api_key = None if env.get("keys_in_environment") else "sk-no-key-needed"
        messages = [dict(m) for m in request.messages]
        return await litellm.acompletion(  # retries are ours: none in litellm or openai
            model=self.model, messages=messages, api_base=self.api_base, api_key=api_key,
            timeout=self.timeout_s, num_retries=0, max_retries=0,
        )  # fmt: skip

    def _delay_s(self, attempt: int, exc: BaseException) -> float:
        backoff = self.backoff_s * 2 ** (attempt - 1) * (0.5 + self._jitter.random())
        return min(MAX_BACKOFF_S, max(backoff, _retry_after_s(exc)))

    def _completion(self, response: Any, attempts: int, latency_s: float) -> Completion:
        usage = getattr(response, "usage", None)
        choices = getattr(response, "choices", None) or []
        text = (choices[0].message.content or "") if choices else ""
        error, kind = ("", "") if text.strip() else ("the model returned no text", "empty_reply")
        return Completion(
            self.model, text if text.strip() else "", latency_s=latency_s, attempts=attempts,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cost_usd=self._cost_usd(response), error=error, error_kind=kind,
        )  # fmt: skip

    def _cost_usd(self, response: Any) -> float:
        try:
            return float(_litellm().completion_cost(completion_response=response) or 0.0)
        except Exception:  # a model litellm has no price for (local servers): free
            return 0.0
