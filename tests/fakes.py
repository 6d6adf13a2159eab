"""Test doubles for the engine: an LLM and a sandbox driven by plain functions."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from evolve.llm import Completion, LLMRequest
from sandbox import Limits, Result, Status

__all__ = ["FakeLLM", "InProcessSandbox"]


class FakeLLM:
    """An LLMClient whose reply is `handler(request)`: a string or a ready Completion."""

    def __init__(
        self,
        handler: Callable[[LLMRequest], str | Completion],
        *,
        model: str = "fake",
        latency_s: float = 0.0,
    ) -> None:
        self.model = model
        self.handler = handler
        self.latency_s = latency_s
        self.requests: list[LLMRequest] = []

    async def complete(self, request: LLMRequest) -> Completion:
        self.requests.append(request)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        reply = self.handler(request)
        if isinstance(reply, Completion):
            return reply
        return Completion(
            model=self.model,
            text=reply,
            prompt_tokens=10,
            completion_tokens=5,
            cost_usd=0.001,
            latency_s=self.latency_s,
        )


class InProcessSandbox:
    """Runs candidates in this process: fast and trusting, for engine tests only."""

    def __init__(self, *_: Any, **__: Any) -> None:
        self.shared: dict[str, dict[str, Any]] = {}
        self.runs = 0

    def share(self, key: str, instances: Mapping[str, Any], prepare: str | None = None) -> None:
        prep = _resolve(prepare) if prepare else (lambda x: x)
        self.shared[key] = {name: prep(value) for name, value in instances.items()}

    def run(
        self,
        source: str,
        entry: str,
        args: Sequence[Any] = (),
        *,
        harness: str | None = None,
        shared: str | None = None,
        limits: Limits | None = None,
    ) -> Result:
        self.runs += 1
        namespace: dict[str, Any] = {}
        try:
            exec(compile(source, "<candidate>", "exec"), namespace)
            fn = namespace[entry]
            if harness and shared:
                run = _resolve(harness)
                value = {name: run(fn, inst) for name, inst in self.shared[shared].items()}
            else:
                value = fn(*args)
        except Exception as exc:
            return Result(Status.ERROR, error=f"{type(exc).__name__}: {exc}")
        return Result(Status.OK, value=value)

    async def arun(self, *args: Any, **kwargs: Any) -> Result:
        return self.run(*args, **kwargs)

    def close(self) -> None:
        pass


def _resolve(ref: str) -> Callable[..., Any]:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)
