"""Scratch roots left by a killed run are swept when the next sandbox starts."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import Sandbox
from sandbox.scratch import ROOT_PREFIX, make_root, sweep_stale_roots


@pytest.fixture
def tmpdir_for_sandboxes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary directory, as tempfile sees it, is a fresh one."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.fixture
def live_pid() -> Iterator[int]:
    """The id of a process that runs for the whole test."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process.pid
    process.kill()
    process.wait()


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def left_root(directory: Path, pid: int, name: str = "k2j4_x9z") -> Path:
    """A scratch root as a run of process `pid` leaves it: a job's folder, unreadable."""
    root = directory / f"{ROOT_PREFIX}{pid}-{name}"
    job = root / "job-3"
    job.mkdir(parents=True)
    (job / "out.txt").write_text("candidate output")
    job.chmod(0)  # a candidate may lock its own folder
    return root


def test_make_root_names_its_process(tmpdir_for_sandboxes: Path) -> None:
    root = Path(make_root())
    assert root.parent == tmpdir_for_sandboxes
    assert root.name.startswith(f"{ROOT_PREFIX}{os.getpid()}-")
    assert sweep_stale_roots() == [] and root.is_dir()  # this process is alive


def test_starting_a_sandbox_sweeps_dead_runs_roots_only(
    tmpdir_for_sandboxes: Path, live_pid: int
) -> None:
    stale = left_root(tmpdir_for_sandboxes, dead_pid())
    live = left_root(tmpdir_for_sandboxes, live_pid)
    with Sandbox(1, preload=()) as sandbox:
        assert sandbox.run("def f():\n    return 1\n", "f").value == 1
        assert not stale.exists()
        assert live.is_dir()
        own = [p for p in tmpdir_for_sandboxes.iterdir() if p.name.startswith(ROOT_PREFIX)]
        assert {p.name.split("-")[2] for p in own} == {str(live_pid), str(os.getpid())}


def test_what_is_not_a_dead_runs_root_is_kept(tmp_path: Path) -> None:
    pid = dead_pid()
    other_project = tmp_path / f"other-sandbox-{pid}-abc"
    other_project.mkdir()
    old_style = tmp_path / f"{ROOT_PREFIX}k2j4_x9z"  # made before roots had their pid
    old_style.mkdir()
    a_file = tmp_path / f"{ROOT_PREFIX}{pid}-file"
    a_file.write_text("")
    target = tmp_path / "target"
    target.mkdir()
    link = tmp_path / f"{ROOT_PREFIX}{pid}-link"
    link.symlink_to(target)
    stale = left_root(tmp_path, pid)
    assert sweep_stale_roots(str(tmp_path)) == [str(stale)]
    assert all(p.exists() for p in (other_project, old_style, a_file, link, target))


def test_another_users_root_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = left_root(tmp_path, dead_pid())
    real_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 4242)  # as seen by another user
    assert sweep_stale_roots(str(tmp_path)) == []
    assert theirs.is_dir()
