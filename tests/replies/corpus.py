"""The reply corpus: realistic LLM replies, each with what must come of it.

Each `tests/replies/STYLE.yaml` is a list of cases (see README.md here). `patch` runs a
case through the engine's parsing and patching path (`apply_reply`) against its
problem's template; `evaluate` runs a child in this process on the problem's probe
instances (prepare, harness, trusted score), as the engine's first cascade stage would.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from evolve.exceptions import PatchError
from evolve.patches import apply_reply
from problems import InvalidOutput, load

__all__ = ["FOLDER", "Case", "Outcome", "cases", "evaluate", "patch"]

FOLDER = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Case:
    """One reply and what must come of it (see README.md)."""

    id: str
    style: str
    family: str
    problem: str
    reference: str  # "accept": a reference harness would run the reply's code; "refuse"
    expect: str  # "ok" or the PatchError kind
    reply: str
    contains: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()
    message: str = ""
    note: str = ""


@dataclass(frozen=True)
class Outcome:
    """The child program, or the kind and message of the PatchError."""

    child: str | None
    kind: str = "ok"
    message: str = ""
    notes: list[str] = field(default_factory=list)


def cases() -> Iterator[Case]:
    """Every case of every style file, in file order."""
    for path in sorted(FOLDER.glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text()):
            raw = dict(raw)
            for key in ("contains", "lacks"):
                raw[key] = tuple(raw.get(key, ()))
            yield Case(style=path.stem, **raw)


def patch(case: Case) -> Outcome:
    """The reply applied to its problem's template."""
    problem = load(case.problem)
    try:
        return Outcome(apply_reply(problem.template, case.reply, problem.entry))
    except PatchError as error:
        return Outcome(None, error.kind, str(error))


def evaluate(case: Case, child: str) -> str:
    """ "" when the child runs on the probe instances and scores, else what went wrong."""
    problem = load(case.problem)
    namespace: dict[str, Any] = {"__name__": "candidate"}
    try:
        exec(compile(child, "<candidate>", "exec"), namespace)
        function = namespace[problem.entry]
        per = {}
        for name, instance in problem.instances("probe").items():
            prepared = problem.prepare(instance) if problem.prepare else instance
            with np.errstate(all="ignore"):
                output = problem.run(function, prepared)
            per[name] = problem.score(instance, _plain(output))
        problem.aggregate(per)
    except (Exception, InvalidOutput) as error:  # the candidate's failure, reported
        return f"{type(error).__name__}: {error}"
    return ""


def _plain(value: Any) -> Any:
    """What the sandbox's JSON would give the trusted score: plain lists and numbers."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def with_reply(case: Case, reply: str) -> Case:
    return dataclasses.replace(case, reply=reply)
