"""A real run whose LLM answers with the reply corpus: what a reference harness runs is
not thrown away (at most 5 % of it ends as an error), and the best program exports and
evaluates as FunSearch's harness scores it.

The fake model (tests/fake_openai.py, through litellm) answers each prompt with the next
bin packing reply of tests/replies that a reference harness would run and that does not
depend on the parent's text (SEARCH/REPLACE replies copy the template's lines, and the
run's parents vary: tests/test_replies.py covers them against the template).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import evolve, evolve_json
from tests.fake_openai import FakeOpenAI
from tests.replies.corpus import cases

pytestmark = pytest.mark.slow

REPLIES = [
    c.reply
    for c in cases()
    if c.problem == "bin_packing" and c.reference == "accept" and "<<<<<<< SEARCH" not in c.reply
]
FAILED = ("patch:", "sandbox:", "invalid_output")


def test_a_run_on_corpus_replies_loses_at_most_five_percent(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    with FakeOpenAI(REPLIES, then="no more ideas") as server:
        summary = evolve_json(
            "run", "bin_packing", "--model", "openai/fake-model", "--api-base", server.base_url,
            "--db", db, "--max-llm-calls", str(len(REPLIES)), "--concurrency", "1",
            "--workers", "2", "--validate-top", "0", "--run-name", "corpus",
            env={"OPENAI_API_KEY": "sk-test"}, timeout=900,
        )  # fmt: skip
    assert summary["llm_answers"] == len(REPLIES)
    failed = {k: v for k, v in summary["errors"].items() if k.startswith(FAILED)}
    assert sum(failed.values()) <= 0.05 * len(REPLIES), failed
    assert summary["best_score"] > summary["seed_score"]
    best = tmp_path / "best.py"
    done = evolve("export", "corpus", "--db", db, "-o", str(best))
    assert done.returncode == 0, done.stderr
    result = evolve_json("eval", "bin_packing", str(best), "--dataset", "or1")
    assert result["status"] == "ok"
