"""A whole run against a local OpenAI-compatible server, through the real litellm path.

The server answers with good code, prose without code, HTTP 429 and 500, a reply slower
than the timeout, invalid JSON, and programs that raise, loop forever or return garbage.
The run must finish, record every failure, and keep a valid best program.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from tests.cli_helpers import evolve, evolve_json
from tests.fake_openai import FakeOpenAI, Reply


def fenced(body: str) -> str:
    return f"Sure! Here is a better version.\n```python\n{body}\n```\n"


SCRIPT = [
    "<<<<<<< SEARCH\n    return x\n=======\n    return 2 * x + 1\n>>>>>>> REPLACE\n",
    "I am sorry, I cannot write code today.",
    Reply.rate_limited(0),  # retried: the next reply answers the same call
    fenced("def f(x):\n    raise RuntimeError('candidate blew up')"),
    Reply.error(500),
    Reply.error(500),  # retries exhausted: the call fails
    Reply.slow(3.0, fenced("def f(x):\n    return x")),  # timeout, retried
    fenced("def f(x):\n    while True:\n        pass"),
    fenced("def f(x):\n    return object()"),
    fenced("def f(x):\n    return 'seven'"),
    Reply.invalid_json(),
    fenced("def f(x):\n    return 3 * x + 1"),
]


def script_handler():  # type: ignore[no-untyped-def]
    replies = iter(SCRIPT)
    constants = itertools.count(2)
    return lambda body: (
        next(replies, None) or fenced(f"def f(x):\n    return 3 * x + {next(constants)}")
    )


@pytest.mark.slow
def test_run_survives_a_misbehaving_llm(tmp_path: Path, tiny_problem_path: str) -> None:
    config = tmp_path / "run.toml"
    config.write_text("llm_timeout = 1.0\nllm_retries = 1\nconcurrency = 1\nworkers = 1\n")
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    with FakeOpenAI(script_handler()) as server:
        summary = evolve_json(
            "run",
            tiny_problem_path,
            "--model",
            "openai/fake-model",
            "--api-base",
            server.base_url,
            "--db",
            db,
            "--config",
            str(config),
            "--max-evals",
            "12",
            "--run-name",
            "chaos",
            env={"OPENAI_API_KEY": "sk-test"},
            timeout=180,
        )
    errors = summary["errors"]
    for kind in ("patch:no_code", "sandbox:error", "sandbox:timeout", "llm:server_error"):
        assert errors.get(kind, 0) >= 1, (kind, errors)
    assert errors.get("sandbox:bad_result", 0) + errors.get("invalid_output", 0) >= 2, errors
    assert summary["best_score"] == 0.0  # 3*x + 1 was found and is valid
    best = evolve_json("show", str(summary["best_program_id"]), "--db", db)
    assert best["status"] == "ok" and "3 * x + 1" in best["source"]
    assert best["llm_call"]["model"] == "openai/fake-model"
    assert best["llm_call"]["prompt_tokens"] > 0


@pytest.mark.slow
def test_a_run_whose_llm_never_answers_fails_fast(tmp_path: Path, tiny_problem_path: str) -> None:
    with FakeOpenAI() as server:
        base = server.base_url  # nothing listens there once the server is closed
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    started = time.monotonic()
    done = evolve(
        "run", tiny_problem_path, "--model", "openai/fake-model", "--api-base", base,
        "--db", db, "--max-llm-calls", "500", "--run-name", "unreachable",
        env={"OPENAI_API_KEY": "sk-test"}, timeout=180,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    said = " ".join(done.stderr.split())
    assert "the LLM never answered" in said and "Connection" in said
    assert time.monotonic() - started < 60  # was 87 s: every refused call retried 4 times
    runs = evolve_json("runs", "--db", db)
    assert runs[0]["status"] == "failed"
