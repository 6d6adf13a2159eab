"""Writing and reading LLM calls with their prompts, stored once by hash.

An "llm" call's messages go to `prompts` keyed by their hash, with an insert that does
nothing when the hash is there already (`ON CONFLICT DO NOTHING`: safe when two processes
store the same prompt at once, on SQLite and PostgreSQL alike). A "mutator" step stores no
messages: the built-in mutator does not read them, and they were most of an archive's size.
Each function runs inside the caller's session (transaction).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from archive.records import LLMCallRecord, NewLLMCall
from archive.tables import LLMCallRow, PromptRow, call_record, call_row

__all__ = ["add_call", "read_call"]

_INSERTS: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def add_call(session: Session, run_id: int, call: NewLLMCall) -> LLMCallRow:
    """Store the call (and its prompt, if new and of an "llm" call); the row has its id."""
    row = call_row(run_id, call)
    if call.kind == "llm":
        _store_prompt(session, row.prompt_hash, call.messages)
    session.add(row)
    session.flush()
    return row


def read_call(session: Session, row: LLMCallRow) -> LLMCallRecord:
    """The call's record with its messages ([] when none were stored)."""
    prompt = session.get(PromptRow, row.prompt_hash) if row.kind == "llm" else None
    return call_record(row, None if prompt is None else prompt.messages)


def _store_prompt(session: Session, digest: str, messages: list[dict[str, str]]) -> None:
    insert = _INSERTS[session.get_bind().dialect.name]
    values = {"hash": digest, "messages": [dict(m) for m in messages]}
    session.execute(insert(PromptRow).values(values).on_conflict_do_nothing())
