"""`evolve failures`: a run's failed programs by error kind, newest first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from archive import Archive, NewProgram
from evolve.cli import app
from tests.cli_helpers import evolve


def invoke(*args: str, code: int = 0) -> Any:
    done = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert done.exit_code == code, done.output
    return done


@pytest.fixture
def db(tmp_path: Path) -> str:
    """Run "old" with one failure; run "r": a seed, 3 timeouts, 2 patch errors (no
    error_kind: their kind is the status), 1 invalid output, and a duplicate."""
    url = f"sqlite:///{tmp_path / 'f.db'}"
    with Archive(url) as archive:
        old = archive.create_run("old", "tiny", {}, 0).id
        archive.add_program(old, NewProgram("x = 1\n", status="error", error="E: old"))
        run = archive.create_run("r", "tiny", {}, 0).id
        seed = archive.add_program(run, NewProgram("def f(x):\n    return x\n", score=1.0))

        def fail(n: int, status: str, kind: str) -> None:
            error = f"{kind or status} number {n}\nTraceback (most recent call last): ..."
            source = f"def f(x):\n    return {n}\n"
            archive.add_program(
                run, NewProgram(source, (seed.id,), status=status, error=error, error_kind=kind)
            )

        for n in range(3):
            fail(n, "timeout", "sandbox:timeout")
        for n in range(3, 5):
            fail(n, "patch_error", "")
        fail(5, "invalid", "invalid_output")
        twin = {"status": "duplicate", "score": 1.0, "duplicate_of": seed.id}
        archive.add_program(run, NewProgram("def f(x):\n    return x \n", **twin))
    return url


def test_failures_grouped_by_kind_newest_first(db: str) -> None:
    data = json.loads(invoke("failures", "r", "--db", db, "-n", "2", "--json").stdout)
    assert (data["run"], data["failed"]) == ("r", 6)
    kinds = [(k["kind"], k["count"]) for k in data["kinds"]]
    assert kinds == [("sandbox:timeout", 3), ("patch_error", 2), ("invalid_output", 1)]
    newest = [p["error"].splitlines()[0] for p in data["kinds"][0]["newest"]]
    assert newest == ["sandbox:timeout number 2", "sandbox:timeout number 1"]
    out = invoke("failures", "r", "--db", db).stdout
    assert "r (#2, tiny): 6 failed programs" in out
    assert "sandbox:timeout  3" in out and "patch_error number 4" in out
    assert "Traceback" not in out  # one line per failure; `evolve show ID` has the rest


def test_one_kind_and_the_latest_run_by_default(db: str) -> None:
    only = json.loads(invoke("failures", "r", "--kind", "patch_error", "--db", db, "--json").stdout)
    assert [k["kind"] for k in only["kinds"]] == ["patch_error"]
    assert [p["error_kind"] for p in only["kinds"][0]["newest"]] == ["", ""]
    latest = json.loads(invoke("failures", "--db", db, "-n", "0", "--json").stdout)
    assert latest["run"] == "r" and latest["kinds"][0]["newest"] == []
    typo = invoke("failures", "r", "--kind", "sandbox:timeot", "--db", db, code=1)
    assert "its kinds: sandbox:timeout (3), patch_error (2), invalid_output (1)" in typo.output


@pytest.mark.slow
def test_failures_never_creates_an_archive(tmp_path: Path) -> None:
    done = evolve("failures", "--db", str(tmp_path / "typo.db"), cwd=str(tmp_path))
    assert done.returncode == 1 and "no archive at" in " ".join(done.stderr.split())
    assert list(tmp_path.iterdir()) == []
