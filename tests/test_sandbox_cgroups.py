"""The cgroup layer: one group per zygote worker with a pids and a memory limit, where
the controller can write a cgroup hierarchy; reported missing, and harmless, where not."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import Limits, Sandbox, Status, cgroups
from sandbox.layers import probe_layers
from sandbox.worker import Worker
from tests.polling import eventually

FAST = Limits(timeout_s=5.0, memory_mb=256)


def _writable() -> str:
    """ "" where this process can create a worker cgroup, else why not."""
    group, why = cgroups.create_cgroup(256)
    if group is not None:
        group.remove()
    return why


WHY_NOT = _writable()
needs_cgroups = pytest.mark.skipif(bool(WHY_NOT), reason=f"cgroups not writable: {WHY_NOT}")


def only_worker(box: Sandbox) -> Worker:
    (worker,) = box._workers
    return worker


@pytest.fixture(scope="module")
def forking() -> Iterator[Sandbox]:
    """Without seccomp, so candidates may fork: only the pids limit bounds them."""
    with Sandbox(1, limits=FAST, preload=(), without_layers=("seccomp",)) as box:
        yield box


def test_layer_reported_as_writable() -> None:
    (layer,) = [s for s in probe_layers() if s.name == "cgroups"]
    assert layer.active == (not WHY_NOT), layer.detail
    if os.geteuid() == 0 and Path(cgroups.CGROUP_ROOT, "pids", "cgroup.procs").exists():
        assert layer.active, layer.detail  # root with a v1 pids hierarchy, as in CI


@needs_cgroups
def test_worker_in_its_cgroup_with_limits(forking: Sandbox) -> None:
    worker = only_worker(forking)
    assert forking.run("def f():\n    return 1\n", "f").status is Status.OK
    group = worker.cgroup
    assert group is not None
    assert worker._proc is not None and worker._proc.pid in group.pids()
    assert Path(group.pids_dir, "pids.max").read_text().strip() == str(cgroups.PIDS_MAX)
    memory = "memory.max" if group.version == 2 else "memory.limit_in_bytes"
    limit = int(Path(group.memory_dir, memory).read_text())
    assert limit == (FAST.memory_mb + cgroups.HEADROOM_MB) * 1024 * 1024


@needs_cgroups
def test_cgroup_removed_on_close() -> None:
    box = Sandbox(1, limits=FAST, preload=())
    group = only_worker(box).cgroup
    assert group is not None and all(os.path.isdir(d) for d in group.dirs)
    box.close()
    assert not any(os.path.exists(d) for d in group.dirs)
    assert only_worker(box).cgroup is None


SLEEPERS = """
import os, time
def f():
    while True:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
"""
STORM = """
import os
def f():
    while True:
        os.fork()
"""


@pytest.mark.slow
@needs_cgroups
@pytest.mark.parametrize("source", [SLEEPERS, STORM], ids=["sleepers", "storm"])
def test_fork_storm_bounded(forking: Sandbox, source: str) -> None:
    worker = only_worker(forking)
    assert worker._proc is not None
    zygote = worker._proc.pid
    result = forking.run(source, "f")
    assert result.status in (Status.ERROR, Status.CRASH, Status.TIMEOUT), result
    group = worker.cgroup
    assert group is not None
    # all that may stay: the harness host, its zygote and the child forked ahead
    assert eventually(lambda: len(group.pids()) <= 3), group.pids()
    assert forking.run("def f():\n    return 2\n", "f").value == 2
    assert worker._proc is not None and worker._proc.pid == zygote  # the worker survived


@pytest.mark.parametrize("root", ["missing", "empty"])
def test_not_writable_reported_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, root: str
) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(cgroups, "CGROUP_ROOT", str(tmp_path / root))
    with Sandbox(1, limits=FAST, preload=()) as box:
        worker = only_worker(box)
        assert worker.cgroup is None
        assert "cgroups" in worker.missing_layers
        result = box.run("def f(x):\n    return x + 1\n", "f", [1])
        assert result.status is Status.OK and result.value == 2
        other = {k for k in worker.missing_layers if k != "cgroups"}
        assert other == {s.name for s in probe_layers() if not s.active and s.name != "cgroups"}
