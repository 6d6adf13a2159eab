"""builtin:mutate's steps are mutator steps, not LLM calls: in the budget, the live counters,
the archive's summary and what people read; and they store no prompt."""

from __future__ import annotations

import asyncio

import pytest
from rich.console import Console
from sqlalchemy import create_engine, text

from archive import Archive, NewLLMCall, NewProgram
from evolve.budget import Budget, BudgetLimits
from evolve.display import calls_row, program_panel, progress_line, progress_table
from evolve.exceptions import BudgetExhausted
from evolve.llm import Completion
from evolve.mutate import MutateLLM
from evolve.progress import RunProgress
from tests.test_engine import counter_replies, make_engine


def step(ok: bool = True) -> Completion:
    error = {} if ok else {"error": "no function", "error_kind": "bad_request"}
    return Completion("builtin:mutate", "```python\nx\n```" if ok else "", kind="mutator", **error)


def call(ok: bool = True) -> Completion:
    error = {} if ok else {"error": "HTTP 500", "error_kind": "server_error"}
    return Completion("m", "text" if ok else "", prompt_tokens=3, cost_usd=0.5, **error)


def test_the_call_budget_counts_mutator_steps_and_says_so() -> None:
    budget = Budget(BudgetLimits(max_llm_calls=2))
    for _ in range(2):
        budget.reserve()
        budget.record(step())
    assert (budget.calls, budget.steps) == (0, 2)
    with pytest.raises(BudgetExhausted, match=r"mutator step budget \(2, --max-llm-calls\)"):
        budget.reserve()
    mixed = Budget(BudgetLimits(max_llm_calls=3), spent_calls=1, spent_steps=1)
    mixed.reserve()
    mixed.record(call())
    assert (mixed.calls, mixed.steps) == (2, 1)
    assert mixed.exhausted() == "call budget (3 LLM calls and mutator steps) spent"


def test_progress_counts_calls_and_steps_apart() -> None:
    progress = RunProgress(1, "r", "tiny", ["builtin:mutate", "m"])
    for completion in (step(), step(), step(ok=False), call(), call(ok=False)):
        progress.count_call(completion)
    assert (progress.llm_calls, progress.llm_answers, progress.mutator_steps) == (2, 1, 3)
    assert progress.proposals == 5
    assert (progress.prompt_tokens, progress.cost_usd) == (6, 1.0)
    assert progress.errors == {"mutator:bad_request": 1, "llm:server_error": 1}
    assert progress.last_llm_error == "HTTP 500"  # a mutator's failure is no LLM error
    assert progress.as_json()["mutator_steps"] == 3


def test_a_builtin_run_counts_steps_and_stores_no_prompt(
    db_url: str, tiny_problem_path: str
) -> None:
    archive = Archive(db_url)
    run = archive.create_run("b", "tiny", {}, 0)
    mutator = MutateLLM()
    engine = make_engine(archive, run, tiny_problem_path, mutator, max_evals=8)  # type: ignore[arg-type]
    progress = asyncio.run(engine.run())
    summary = archive.summary(run.id)
    assert progress.llm_calls == summary.llm_calls == 0
    assert progress.mutator_steps == summary.mutator_steps > 0
    calls = [
        archive.get_llm_call(p.llm_call_id) for p in archive.iter_programs(run.id) if p.llm_call_id
    ]
    assert calls and all(c.kind == "mutator" and c.messages == [] and c.prompt_hash for c in calls)
    engine_ = create_engine(db_url)
    with engine_.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM prompts")).scalar_one() == 0
    engine_.dispose()
    archive.close()


def test_an_llm_run_counts_calls_and_keeps_its_prompts(db_url: str, tiny_problem_path: str) -> None:
    archive = Archive(db_url)
    run = archive.create_run("l", "tiny", {}, 0)
    progress = asyncio.run(make_engine(archive, run, tiny_problem_path, counter_replies()).run())
    summary = archive.summary(run.id)
    assert progress.llm_calls == summary.llm_calls > 0 and summary.mutator_steps == 0
    program = next(p for p in archive.iter_programs(run.id) if p.llm_call_id)
    assert archive.get_llm_call(program.llm_call_id or 0).messages  # what the LLM read
    archive.close()


def render(row: tuple[str, str]) -> str:
    console = Console(width=200, record=True)
    console.print(f"{row[0]}: {row[1]}")
    return console.export_text()


def test_people_read_mutator_steps_for_builtin_and_llm_calls_for_llms() -> None:
    assert render(calls_row(0, 811, 0, 0, 0.0)).startswith("mutator steps: 811")
    assert "LLM call" not in render(calls_row(0, 811, 0, 0, 0.0))
    assert render(calls_row(5, 0, 50, 10, 0.25)).startswith("LLM calls: 5  tokens 50+10")
    assert "· 3 mutator steps" in render(calls_row(5, 3, 50, 10, 0.25))
    progress = RunProgress(1, "r", "tiny", ["builtin:mutate"], mutator_steps=40)
    console = Console(width=200, record=True)
    console.print(progress_table(progress))
    table = console.export_text()
    assert "mutator steps" in table and "LLM calls" not in table
    assert "mutator steps 40" in progress_line(progress)
    assert "LLM calls" not in progress_line(progress)


def test_show_names_a_mutator_step_for_what_it_is(db_url: str) -> None:
    with Archive(db_url) as archive:
        run = archive.create_run("s", "tiny", {}, 0)
        made = NewLLMCall("builtin:mutate", [{"role": "user", "content": "p"}], "r", kind="mutator")
        program = archive.add_program(run.id, NewProgram("x = 1"), made)
        panel = program_panel(program, archive.get_llm_call(program.llm_call_id or 0))
    console = Console(width=200, record=True)
    console.print(panel)
    shown = console.export_text()
    assert "mutator step" in shown and "builtin:mutate (random edits, no LLM)" in shown
    assert "LLM call" not in shown
