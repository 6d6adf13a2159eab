"""Prompts stored once by hash, none for the built-in mutator, and the upgrade of a schema 3
archive (each call's messages in its own row), on every backend of the `archive` fixture."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, text

from archive import SCHEMA_VERSION, Archive, NewLLMCall, NewProgram, prompt_hash
from tests import test_archive_storage as backends
from tests.test_archive_duplicates import _real_url, downgrade_to_v3

archive = backends.archive  # the same backend-parametrized fixtures
run_id = backends.run_id

A = [{"role": "system", "content": "You improve programs."}, {"role": "user", "content": "A"}]
B = [{"role": "user", "content": "B"}]


def scalar(url: str, sql: str) -> object:
    engine = create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(text(sql)).scalar_one()
    engine.dispose()
    return value


def test_identical_prompts_are_stored_once(archive: Archive, run_id: int) -> None:
    calls = [NewLLMCall("m", A, "r1"), NewLLMCall("m", A, "r2"), NewLLMCall("m", B, "r3")]
    ids = [archive.add_llm_call(run_id, call).id for call in calls]
    ids.append(archive.add_program(run_id, NewProgram("x = 1"), NewLLMCall("m", A)).llm_call_id)
    with Archive(_real_url(archive)) as other:  # another process stores the same prompt
        other.add_llm_call(other.create_run("r2", "tsp", {}, 0).id, NewLLMCall("m", B, "r4"))
    assert scalar(_real_url(archive), "SELECT COUNT(*) FROM prompts") == 2
    stored = [archive.get_llm_call(i or 0) for i in ids]
    assert [c.messages for c in stored] == [A, A, B, A]
    assert {c.kind for c in stored} == {"llm"}
    assert archive.replies_for(run_id, prompt_hash(A)) == ["r1", "r2", ""]


def test_a_mutator_step_stores_no_prompt(archive: Archive, run_id: int) -> None:
    step = NewLLMCall("builtin:mutate", A, "```python\ndef f(): ...\n```", kind="mutator")
    program = archive.add_program(run_id, NewProgram("x = 2"), step)
    stored = archive.get_llm_call(program.llm_call_id or 0)
    assert (stored.kind, stored.messages, stored.model) == ("mutator", [], "builtin:mutate")
    assert stored.prompt_hash == prompt_hash(A)  # still the key of replay:
    assert archive.replies_for(run_id, prompt_hash(A)) == [step.reply]
    assert scalar(_real_url(archive), "SELECT COUNT(*) FROM prompts") == 0
    archive.add_llm_call(run_id, NewLLMCall("m", B, "r"))
    summary = archive.summary(run_id)
    assert (summary.llm_calls, summary.mutator_steps) == (1, 1)


V3_CALL = (
    "INSERT INTO llm_calls (run_id, model, messages, prompt_hash, reply, prompt_tokens, "
    "completion_tokens, cost_usd, latency_s, error, error_kind, created_at) VALUES "
    "(:run, :model, :messages, :hash, :reply, 10, 5, 0.5, 1.0, '', '', CURRENT_TIMESTAMP)"
)


def test_a_version_3_archive_keeps_each_prompt_once_and_drops_the_mutators(
    archive: Archive, run_id: int
) -> None:
    url = _real_url(archive)
    archive.close()
    downgrade_to_v3(url)
    engine = create_engine(url)
    rows = [("m", A, "r1"), ("m", A, "r2"), ("m", B, "r3")]
    rows += [
        ("builtin:mutate", A, "m1"),
        ("builtin:mutate", [{"role": "user", "content": "C"}], "m2"),
    ]
    with engine.begin() as connection:  # as evolve with schema 3 wrote them
        for model, messages, reply in rows:
            values = {"model": model, "messages": json.dumps(messages), "reply": reply}
            connection.execute(
                text(V3_CALL), {"run": run_id, "hash": prompt_hash(messages), **values}
            )
        connection.execute(text("UPDATE runs SET status = 'running'"))  # killed under v3
    engine.dispose()
    with Archive(url) as upgraded:
        calls = [upgraded.get_llm_call(i) for i in range(1, 6)]
        assert [c.messages for c in calls] == [A, A, B, [], []]
        assert [c.kind for c in calls] == ["llm"] * 3 + ["mutator"] * 2
        assert [c.reply for c in calls] == ["r1", "r2", "r3", "m1", "m2"]
        assert upgraded.replies_for(run_id, prompt_hash(A)) == ["r1", "r2", "m1"]
        summary = upgraded.summary(run_id)
        assert (summary.llm_calls, summary.mutator_steps, summary.prompt_tokens) == (3, 2, 50)
        run = upgraded.get_run(run_id)
        assert (run.lease, run.live_status) == (None, "died")
        upgraded.add_llm_call(run_id, NewLLMCall("m", B, "after"))  # no second copy of B
    assert scalar(url, "SELECT COUNT(*) FROM prompts") == 2
    assert scalar(url, "SELECT value FROM meta WHERE key = 'schema_version'") == str(SCHEMA_VERSION)
