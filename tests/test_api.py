"""The public API: `evolve.Run` with names or objects, sync or inside an event loop."""

from __future__ import annotations

import pytest

import evolve
import problems
from archive import Archive
from evolve.exceptions import ConfigError
from tests.fakes import FakeLLM, in_process_sandbox


def better_line(request: object) -> str:
    return "```python\ndef f(x):\n    return 3 * x + 1\n```"


@pytest.mark.slow
async def test_arun_works_inside_a_running_event_loop(tiny_problem_path: str, db_url: str) -> None:
    run = evolve.Run(
        problems.load(tiny_problem_path), llm=FakeLLM(better_line), db=db_url,
        sandbox=in_process_sandbox(), max_evals=3, workers=1, seed=0,
    )  # fmt: skip
    result = await run.arun()
    assert result.best is not None and "3 * x + 1" in result.best.source
    assert result.best.score == 0.0 and result.test_score == 0.0
    assert "no new program" in result.stop_reason  # the same reply each time
    with Archive(db_url) as archive:
        stored = archive.get_run(result.run_id)
    assert (stored.name, stored.status) == (result.run_name, "finished")


def test_a_given_archive_stays_open_and_an_unrun_run_is_freed(
    tiny_problem_path: str, db_url: str
) -> None:
    with Archive(db_url) as archive:
        with evolve.Run(
            tiny_problem_path, llm=FakeLLM(better_line), archive=archive,
            sandbox=in_process_sandbox(), max_evals=2, workers=1,
        ) as run:  # fmt: skip
            name = run.prepare().run.name
        (stored,) = archive.list_runs()  # still open: it is the caller's
        assert stored.name == name and stored.status != "running" and stored.lease is None
        result = evolve.Run(
            resume=name, llm=FakeLLM(better_line), archive=archive,
            sandbox=in_process_sandbox(),
        ).run()  # fmt: skip
        assert result.run_name == name and archive.get_run(name).status == "finished"


def test_bad_input_fails_before_any_work(tiny_problem_path: str, db_url: str) -> None:
    with pytest.raises(ConfigError, match="unknown strategy 'nope'"):
        evolve.Run(tiny_problem_path, strategy="nope", db=db_url).run()
    with pytest.raises(evolve.exceptions.EvolveError, match="give a problem"):
        evolve.Run()
    with Archive(db_url) as archive:
        assert archive.list_runs() == []
