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


class HarnessFailed(Exception):
    """The harness raised (usually about what the candidate returned)."""


class BadReply(Exception):
    """What the child sent back is not an answer to the calls (a hostile or broken child)."""


class _Many(list):  # type: ignore[type-arg]
    """A harness's `program.map(...)`: a list of positional argument tuples."""


class _Keywords(tuple):  # type: ignore[type-arg]
    """A call with keyword arguments: (args, kwargs)."""


class CandidateFunction:
    """Stands for the candidate's function inside a harness: calls go to the child.
    Each call suspends the harness's greenlet with a message for the lockstep loop: the
    argument tuple itself (the common case), a `_Keywords` or a `_Many`."""

    def __init__(self, name: str, main: Any) -> None:
        self.__name__ = self.__qualname__ = name
        self._main = main

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            return self._main.switch(_Keywords((args, kwargs)))
        return self._main.switch(args)

    def map(self, arg_tuples: Sequence[Sequence[Any]]) -> list[Any]:
        """The function's value for each tuple of positional arguments, in one round trip."""
        return self._main.switch(_Many(tuple(args) for args in arg_tuples))

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

    program = CandidateFunction(entry, greenlet.getcurrent())
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
        self.names: dict[Any, str] = {}
        self.waiting: list[tuple[Any, Any]] = []  # (task, its message)

    def run(
        self, tasks: Mapping[str, Callable[[], Any]], make: Callable[..., Any]
    ) -> dict[str, Any]:
        for name, function in tasks.items():
            task = make(function)
            self.names[task] = name
            self._step(task)
        while self.waiting:
            batch, self.waiting = self.waiting, []
            if all(type(message) is tuple for _, message in batch):  # one call each
                results = self._call(CALLS, [message for _, message in batch])
                for (task, _), result in zip(batch, results, strict=True):
                    self._step(task, result)
            else:
                self._mixed(batch)
        return self.outputs

    def _mixed(self, batch: list[tuple[Any, Any]]) -> None:
        """A round trip for a batch with keyword calls or maps."""
        calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        for _, message in batch:
            if type(message) is _Many:
                calls.extend((args, {}) for args in message)
            else:
                calls.append(message if type(message) is _Keywords else (message, {}))
        results = self._call(CALLS_KW, calls)
        done = 0
        for task, message in batch:
            size = len(message) if type(message) is _Many else 1
            answer = results[done : done + size]
            done += size
            self._step(task, answer if type(message) is _Many else answer[0])

    def _step(self, task: Any, *value: Any) -> None:
        """Resume `task` with `value` until it calls the candidate again or finishes."""
        try:
            message = task.switch(*value)
        except (CandidateGone, BadReply):
            raise
        except Exception as exc:
            raise HarnessFailed(f"{type(exc).__name__}: {exc}") from exc
        if task.dead:
            self.outputs[self.names[task]] = message
        else:
            self.waiting.append((task, message))

    def _call(self, kind: int, rows: list[Any]) -> list[Any]:
        if time.monotonic() > self.deadline:
            raise CandidateGone("the deadline passed")
        self.port.send(kind, rows)
        try:
            reply, answers = self.port.receive(self.deadline, count=len(rows))
        except ValueError as exc:  # WireError
            raise BadReply(f"the program's process sent a malformed answer ({exc})") from None
        if reply != RESULTS:
            raise CandidateGone("the program's process stopped answering")
        if answers is None or len(answers) != len(rows) or any(len(a) != 1 for a in answers):
            raise BadReply("the program's process answered with the wrong number of values")
        return [answer[0] for answer in answers]


def end_child(port: CallPort) -> None:
    """Tell the child there are no more calls (it reports and exits)."""
    port.send(END)
