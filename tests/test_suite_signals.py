"""A puzzle suite run stopped with SIGTERM ends like Ctrl-C: the puzzle being run is
stored as interrupted and the command exits 130 (the library installs no handler; the
CLI does)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive import Archive


@pytest.mark.slow
def test_sigterm_interrupts_a_suite_run(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'suite.db'}"
    command = [sys.executable, "-m", "evolve", "run", "puzzles", "--dataset", "builtin"]
    command += ["--max-evals", "100000", "--workers", "1", "--db", db, "--run-name", "s"]
    suite = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not _running(tmp_path / "suite.db"):
        time.sleep(0.2)
    suite.send_signal(signal.SIGTERM)
    _, stderr = suite.communicate(timeout=60)
    assert suite.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    with Archive(db, create=False) as archive:
        runs = archive.list_runs()
    assert runs and runs[-1].status == "interrupted" and runs[-1].lease is None


def _running(path: Path) -> bool:
    """Whether the suite's first puzzle run has started (and stored a few programs)."""
    if not path.exists():
        return False
    try:
        with Archive(f"sqlite:///{path}", create=False) as archive:
            runs = archive.list_runs()
            return bool(runs) and archive.summary(runs[-1].id).evaluations >= 3
    except Exception:  # the archive is being created
        return False
