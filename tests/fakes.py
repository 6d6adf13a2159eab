"""Test doubles for the engine: an LLM and a sandbox driven by plain functions."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Mapping
from typing import Any

from evolve.llm import Completion, LLMRequest
from sandbox import FakeSandbox, Result, Status
from sandbox.result import Job

__all__ = ["FakeLLM", "in_process_sandbox"]


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


def in_process_sandbox() -> FakeSandbox:
    """A FakeSandbox that runs candidates in this process: fast and trusting, for engine
    tests only. `len(sandbox.jobs)` counts the runs."""
    return FakeSandbox(_run_in_process)


def _run_in_process(job: Job, instances: Mapping[str, Any] | None) -> Result:
    namespace: dict[str, Any] = {}
    try:
        exec(compile(job.source, "<candidate>", "exec"), namespace)
        fn = namespace[job.entry]
        if job.harness and instances is not None:
            run = _resolve(job.harness)
            value = {name: run(fn, instance) for name, instance in instances.items()}
        else:
            value = fn(*job.args)
    except Exception as exc:
        return Result(Status.ERROR, error=f"{type(exc).__name__}: {exc}")
    return Result(Status.OK, value=value)


def _resolve(ref: str) -> Callable[..., Any]:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)
