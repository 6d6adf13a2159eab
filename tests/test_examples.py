"""The scripts of examples/ run as documented (with a small budget, in a fresh folder)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from archive import Archive

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("define_a_problem.py", "best program"),
        ("custom_strategy.py", "island "),
        ("inside_event_loop.py", "best train score"),
    ],
)
def test_example_runs(script: str, expected: str, tmp_path: Path) -> None:
    env = {**os.environ, "EVOLVE_EXAMPLE_EVALS": "8"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout
    with Archive(f"sqlite:///{tmp_path / 'examples.db'}") as archive:
        (run,) = archive.list_runs()
        assert run.status == "finished" and archive.summary(run.id).evaluations == 8
