"""`FakeSandbox`: the Sandbox interface without processes, for engine tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sandbox.errors import SandboxError
from sandbox.result import Job, Limits, Result

__all__ = ["FakeSandbox"]

_DEFAULT_LIMITS = Limits()  # frozen: one shared default is safe


class FakeSandbox:
    """Answers every run with `handler(job, instances)`; `instances` is the shared data
    the job names (or None). Records the jobs it saw in `jobs`."""

    def __init__(
        self,
        handler: Callable[[Job, Mapping[str, Any] | None], Result],
        *,
        limits: Limits = _DEFAULT_LIMITS,
    ) -> None:
        self.handler, self.limits = handler, limits
        self.shared: dict[str, dict[str, Any]] = {}
        self.jobs: list[Job] = []

    def share(self, key: str, instances: Mapping[str, Any], prepare: str | None = None) -> None:
        self.shared[key] = dict(instances)

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
        if shared is not None and shared not in self.shared:
            raise SandboxError(f"no shared instances under {shared!r}; call share() first")
        job = Job(source, entry, tuple(args), harness, shared, limits or self.limits)
        self.jobs.append(job)
        return self.handler(job, self.shared.get(shared) if shared else None)

    async def arun(
        self,
        source: str,
        entry: str,
        args: Sequence[Any] = (),
        *,
        harness: str | None = None,
        shared: str | None = None,
        limits: Limits | None = None,
    ) -> Result:
        return self.run(source, entry, args, harness=harness, shared=shared, limits=limits)

    def close(self) -> None:
        pass

    def __enter__(self) -> FakeSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
