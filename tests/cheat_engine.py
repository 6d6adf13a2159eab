"""The engine path of the cheat battery: a real `evolve run` whose LLM (a local
OpenAI-compatible server) answers every prompt with the next cheat."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive import Archive, ProgramRecord
from problems import load
from tests.cheat_battery import (
    BATTERY,
    DATA_PROBLEM,
    ON_DATA,
    PROBLEMS,
    Cheat,
    clear_left_state,
    program,
)
from tests.cli_helpers import evolve
from tests.fake_openai import FakeOpenAI

# --- the engine path ------------------------------------------------------------------------


@dataclass
class EngineRun:
    returncode: int
    stdout: str
    stderr: str
    db: str
    name: str

    @property
    def summary(self) -> dict[str, Any]:
        assert self.returncode == 0, f"the run failed ({self.returncode}):\n{self.stderr[-4000:]}"
        return json.loads(self.stdout)

    def programs(self) -> list[ProgramRecord]:
        with Archive(self.db) as archive:
            return list(archive.iter_programs(archive.get_run(self.name).id))

    def status(self) -> str:
        with Archive(self.db) as archive:
            return archive.get_run(self.name).status

    def find(self, name: str) -> ProgramRecord:
        """The program a cheat became (the archive holds it even if the run then failed)."""
        source = program(name)
        found = [p for p in self.programs() if p.source == source]
        assert found, f"{name} is not in the archive of run {self.name}:\n{self.stderr[-3000:]}"
        assert found[0].status != "patch_error", found[0].error
        return found[0]

    def seed_score(self) -> float | None:
        return next(p.score for p in self.programs() if p.is_seed)


def fenced(source: str) -> str:
    return f"Here is an improved program.\n```python\n{source}```\n"


def run_engine(
    problem: str, cheats: list[str], folder: Path, name: str, *, keep: str = "", **config: Any
) -> EngineRun:
    """`evolve run PROBLEM --json`, one worker, one LLM call at a time, each reply the next
    cheat: the recorder of a pair runs just before its replayer, on the same worker. Every
    functional duplicate is evaluated anyway (audit_rate 1): a cheat whose probe outputs
    happen to equal the seed's still gets its own score on train. State left by earlier
    candidates is removed before and after, except where `keep` says "before"/"after"."""
    replies = iter([fenced(program(cheat)) for cheat in cheats])
    settings = {"concurrency": 1, "workers": 1, "llm_timeout": 120, "llm_retries": 0,
                "audit_rate": 1.0, **config}  # fmt: skip
    (folder / f"{name}.toml").write_text(
        "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items())
    )
    db = f"sqlite:///{folder / Path(problem).name}.db"
    prefix = next((prefix for prefix, full in PROBLEMS.items() if full == problem), "")
    if prefix and "before" not in keep:
        clear_left_state(prefix)
    try:
        with FakeOpenAI(lambda _body: next(replies, "No more ideas.")) as server:
            done = evolve(
                "run", problem, "--model", "openai/fake-cheater", "--api-base", server.base_url,
                "--db", db, "--run-name", name, "--config", str(folder / f"{name}.toml"),
                "--max-llm-calls", str(len(cheats)), "--json",
                env={"OPENAI_API_KEY": "sk-test"}, timeout=600,
            )  # fmt: skip
    finally:
        if prefix and "after" not in keep:
            clear_left_state(prefix)
    return EngineRun(done.returncode, done.stdout, done.stderr, db, name)


# The cheats' runs re-validate only their best on the test split (the overfit guard is
# tested on its own in test_sandbox_cheats.py).
QUICK_GUARD: dict[str, Any] = {"validate_top": 1}


class Engines:
    """One engine run per problem with all of its cheats (class 7 aside), made on demand."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.runs: dict[str, EngineRun] = {}
        self.donor: EngineRun | None = None  # the puzzles run before the cheats' run

    def get(self, problem: str) -> EngineRun:
        if problem not in self.runs:
            cheats = [c.name for c in BATTERY if c.problem == problem and c.name not in ON_DATA]
            keep = ""
            if problem == "puzzles":  # a donor run first: a solution in the archive, and its
                cheats.remove("pz_state_record")  # answer left behind in shared state
                donor = ["pz_state_record"]
                self.donor = run_engine(problem, donor, self.folder, "donor", keep="after")
                keep = "before"
            self.runs[problem] = run_engine(
                problem, cheats, self.folder, f"{problem}-cheats", keep=keep, **QUICK_GUARD
            )
        return self.runs[problem]

    def on_data(self, cheat: Cheat) -> EngineRun:
        """A run of the cheat alone on a problem folder whose splits are published data."""
        if cheat.name not in self.runs:
            name = f"{cheat.problem}_on_data"
            folder = self.folder / name
            folder.mkdir()
            (folder / "template.py").write_text(load(cheat.problem).template)
            splits = ON_DATA[cheat.name]
            text = DATA_PROBLEM.format(problem=cheat.problem, splits=splits, name=name)
            (folder / "__init__.py").write_text(text)
            self.runs[cheat.name] = run_engine(
                str(folder), [cheat.name], self.folder, name, **QUICK_GUARD
            )
        return self.runs[cheat.name]
