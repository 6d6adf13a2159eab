"""Running a problem's harness in the trusted host, against a candidate in another process.

The harness is an ordinary loop `run(program, instance)` that calls `program(...)`. Here
`program` is a stand-in (`CandidateFunction`) that sends the call to the candidate's
child over a `CallPort` and returns what the child's function returned. The instances of
a split run in lockstep: each harness loop runs in its own greenlet; when every loop is
waiting on a call (or finished), the pending calls go to the child as one message, so
one round trip serves one call per instance. `program.map(arg_tuples)` sends many
independent calls at once (e.g. cap set's priority of every vector).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sandbox.calls import CALLS, CALLS_KW, END, RESULTS, CallPort, CandidateGone

__all__ = ["CandidateFunction", "HarnessFailed", "run_harness"]

Call = tuple[tuple[Any, ...], dict[str, Any] | None]


class HarnessFailed(Exception):
    """The harness raised (usually about what the candidate returned)."""


class BadReply(Exception):
    """What the child sent back is not an answer to the calls (a hostile or broken child)."""


class CandidateFunction:
    """Stands for the candidate's function inside a harness: calls go to the child."""

    def __init__(self, name: str, switch: Callable[[list[Call], bool], Any]) -> None:
        self.__name__ = self.__qualname__ = name
        self._switch = switch

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._switch([(args, kwargs or None)], False)

    def map(self, arg_tuples: Sequence[Sequence[Any]]) -> list[Any]:
        """The function's value for each tuple of positional arguments, in one round trip."""
        return self._switch([(tuple(args), None) for args in arg_tuples], True)

    def __repr__(self) -> str:
        return f"<candidate function {self.__name__}>"


def run_harness(
    port: CallPort,
    entry: str,
    harness: Callable[..., Any] | None,
    instances: Mapping[str, Any] | None,
    args: Sequence[Any],
    deadline: float,
) -> Any:
    """The job's value: entry(*args) without a harness; harness(program, *args); or
    {name: harness(program, instance)} over the instances, in lockstep. Raises
    CandidateGone, HarnessFailed or BadReply; the caller ends the child either way."""
    import greenlet

    main = greenlet.getcurrent()
    program = CandidateFunction(entry, lambda calls, many: main.switch((calls, many)))
    if harness is None:
        tasks = {"": functools.partial(program, *args)}
    elif instances is None:
        tasks = {"": functools.partial(harness, program, *args)}
    else:
        tasks = {name: functools.partial(harness, program, x) for name, x in instances.items()}
    outputs = _Lockstep(port, deadline).run(tasks, greenlet.greenlet)
    return outputs if instances is not None and harness is not None else outputs[""]


class _Lockstep:
    def __init__(self, port: CallPort, deadline: float) -> None:
        self.port, self.deadline = port, deadline
        self.outputs: dict[str, Any] = {}
        self.waiting: dict[Any, tuple[str, list[Call], bool]] = {}

    def run(
        self, tasks: Mapping[str, Callable[[], Any]], make: Callable[..., Any]
    ) -> dict[str, Any]:
        for name, task in tasks.items():
            self._step(make(task), name, ())
        while self.waiting:
            batch = list(self.waiting.items())
            self.waiting.clear()
            results = self._call([call for _, (_, calls, _) in batch for call in calls])
            done = 0
            for task, (name, calls, many) in batch:
                answer = results[done : done + len(calls)]
                done += len(calls)
                self._step(task, name, (answer if many else answer[0],))
        return self.outputs

    def _step(self, task: Any, name: str, value: tuple[Any, ...]) -> None:
        """Resume `task` with `value` until it calls the candidate again or finishes."""
        try:
            message = task.switch(*value)
        except (CandidateGone, BadReply):
            raise
        except Exception as exc:
            raise HarnessFailed(f"{type(exc).__name__}: {exc}") from exc
        if task.dead:
            self.outputs[name] = message
        else:
            calls, many = message
            self.waiting[task] = (name, calls, many)

    def _call(self, calls: list[Call]) -> list[Any]:
        if time.monotonic() > self.deadline:
            raise CandidateGone("the deadline passed")
        if any(kwargs for _, kwargs in calls):
            self.port.send(CALLS_KW, [(args, kwargs or {}) for args, kwargs in calls])
        else:
            self.port.send(CALLS, [args for args, _ in calls])
        try:
            kind, rows = self.port.receive(self.deadline)
        except ValueError as exc:  # WireError
            raise BadReply(f"the program's process sent a malformed answer ({exc})") from None
        if kind != RESULTS:
            raise CandidateGone("the program's process stopped answering")
        if rows is None or len(rows) != len(calls) or any(len(row) != 1 for row in rows):
            raise BadReply("the program's process answered with the wrong number of values")
        return [row[0] for row in rows]


def end_child(port: CallPort) -> None:
    """Tell the child there are no more calls (it reports and exits)."""
    port.send(END)
