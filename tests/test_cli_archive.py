"""`evolve stats`, `evolve lineage`, `evolve diff` and `evolve runs` on archives built here."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from archive import Archive, NewLLMCall, NewProgram
from evolve import cli_archive, cli_inspect
from tests.cli_helpers import evolve, evolve_json

app = typer.Typer()
cli_archive.register(app)
cli_inspect.register(app)


def invoke(*args: str) -> Any:
    done = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    return done


def invoke_json(*args: str) -> Any:
    return json.loads(invoke(*args, "--json").stdout)


def _call(model: str) -> NewLLMCall:
    messages = [{"role": "user", "content": "go"}]
    return NewLLMCall(f"model-{model}", messages, "r", "", 10, 5, 0.01)


def _program(body: str, parents: tuple[int, ...], **fields: Any) -> NewProgram:
    fields.setdefault("eval_s", 1.0)
    return NewProgram(f"def f(x):\n    return {body}\n", parents, **fields)


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A run: seed 1.0 -> a 2.0 (model-a) -> b 1.5 (model-b) -> c 3.0 (model-a), plus
    one syntactic and one functional duplicate and one audit."""
    url = f"sqlite:///{tmp_path / 'a.db'}"
    with Archive(url) as archive:
        run = archive.create_run("r", "tiny", {"models": ["model-a", "model-b"]}, 0).id
        add = archive.add_program
        seed = add(run, NewProgram("def f(x):\n    return x\n", score=1.0, eval_s=1.0))
        a = add(run, _program("2 * x", (seed.id,), score=2.0, functional_hash="h"), _call("a"))
        b = add(run, _program("x + 1", (seed.id, a.id), score=1.5), _call("b"))
        add(run, _program("3 * x", (a.id, b.id), score=3.0), _call("a"))
        twin = {"status": "duplicate", "score": 2.0, "duplicate_of": a.id}
        add(
            run,
            _program("2 * x ", (a.id,), eval_s=0, duplicate_kind="syntactic", **twin),
            _call("a"),
        )
        functional = {**twin, "duplicate_kind": "functional", "functional_hash": "h"}
        add(run, _program("x * 2", (a.id,), eval_s=0.25, **functional), _call("b"))
        audit = {"score": 2.0, "duplicate_of": a.id, "duplicate_kind": "functional_audit"}
        add(run, _program("x + x", (a.id,), **audit))
    return url


def test_stats_json(db: str) -> None:
    stats = invoke_json("stats", "r", "--db", db)
    s = stats["summary"]
    assert (s["evaluations"], s["duplicates_syntactic"], s["duplicates_functional"]) == (5, 1, 1)
    assert s["seconds_saved"] == pytest.approx(1.75)
    assert (s["audits"], s["collisions"], s["collision_rate"]) == (1, 0, 0.0)
    assert (s["llm_calls"], s["prompt_tokens"], s["cost_usd"]) == (5, 50, pytest.approx(0.05))
    assert [p["score"] for p in stats["best_over_time"]] == [1.0, 2.0, 3.0]
    assert stats["run"]["name"] == "r" and stats["plot"] is None


@pytest.mark.slow
def test_stats_table_and_plot(db: str, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "best.png"
    out = invoke("stats", "r", "--db", db, "--plot", str(png)).stdout
    for text in ("syntactic 1", "functional 1", "1.8 s of evaluation saved", "best score over"):
        assert text in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_lineage_json_and_table(db: str) -> None:
    chain = invoke_json("lineage", "4", "--db", db)
    assert [p["id"] for p in chain] == [4, 3, 2, 1]  # c <- b (its last parent) <- a <- seed
    assert [p["model"] for p in chain] == ["model-a", "model-b", "model-a", "seed"]
    assert [p["score_change"] for p in chain] == [1.5, -0.5, 1.0, None]
    out = invoke("lineage", "4", "--db", db).stdout
    assert "model-b" in out and "+1.5" in out and "seed" in out


def test_diff_is_unified(db: str) -> None:
    out = invoke("diff", "1", "2", "--db", db).stdout
    assert "--- program_1.py\t(program 1, score 1.0)" in out
    assert "+++ program_1.py\t(program 2, score 2.0)" in out
    assert "-    return x\n" in out and "+    return 2 * x\n" in out
    assert "same source" in invoke("diff", "2", "2", "--db", db).stdout


def test_runs_lists_problem_models_and_counts(db: str) -> None:
    header, row = (line.split() for line in invoke("runs", "--db", db).stdout.splitlines())
    listed = dict(zip(header, row, strict=True))
    runs = invoke_json("runs", "--db", db)
    assert runs[0]["summary"]["duplicates"] == 2
    assert listed["problem"] == "tiny" and listed["models"] == "model-a,model-b"
    assert (listed["status"], listed["dups"]) == (runs[0]["status"], "2")


@pytest.mark.parametrize("args", [["stats", "ghost"], ["lineage", "99"], ["diff", "1", "99"]])
def test_missing_things_are_one_line_errors(db: str, args: list[str]) -> None:
    done = CliRunner().invoke(app, [*args, "--db", db])
    assert done.exit_code == 1 and "error" in done.output
    assert "Traceback" not in done.output


@pytest.mark.slow
def test_lineage_of_a_resumed_run_is_intact(tmp_path: Path, tiny_problem_path: str) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    evolve_json("run", tiny_problem_path, "--db", db, "--max-evals", "8", "--run-name", "t")
    evolve_json("run", "--resume", "t", "--db", db, "--max-evals", "16")
    with Archive(db) as archive:
        run = archive.get_run("t")
        programs = list(archive.iter_programs(run.id))
        seeds = [p for p in programs if p.is_seed]
        assert len(seeds) == 1 and len(programs) >= 16
        for program in programs:
            chain = archive.lineage(program.id)
            assert chain[-1] == seeds[0] and {p.run_id for p in chain} == {run.id}
            assert all(older.id in newer.parent_ids for newer, older in itertools.pairwise(chain))


@pytest.mark.slow
@pytest.mark.parametrize(
    "command", [["runs"], ["top", "x"], ["show", "1"], ["stats", "x"], ["lineage", "1"],
                ["diff", "1", "2"], ["export", "x", "--out", "best.py"], ["failures"]],
    ids=lambda c: c[0],
)  # fmt: skip
def test_inspection_never_creates_an_archive(command: list[str], tmp_path: Path) -> None:
    typo = tmp_path / "rnus.db"
    for db in ([], ["--db", str(typo)]):
        done = evolve(*command, *db, cwd=str(tmp_path))
        assert done.returncode == 1
        assert "no archive at" in " ".join(done.stderr.split()), done.stderr
    assert list(tmp_path.iterdir()) == []
    typo.write_bytes(b"")  # a file that is not an archive
    done = evolve(*command, "--db", str(typo), cwd=str(tmp_path))
    assert done.returncode == 1 and "holds no evolve archive" in " ".join(done.stderr.split())


@pytest.mark.slow
def test_square_brackets_are_text_not_markup(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    error = "IndexError: list index out of range\n    priority(values[i], weights[i], left)"
    with Archive(url) as archive:
        run = archive.create_run("r", "tiny", {}, 0).id
        source = "def f(values, i):\n    return values[i]\n"
        bad = archive.add_program(
            run, NewProgram(source, status="error", error=error, error_kind="sandbox:error")
        )
    shown = invoke("show", str(bad.id), "--db", url).stdout
    assert "priority(values[i], weights[i], left)" in shown and "return values[i]" in shown
    helped = " ".join(evolve("run", "--help").stdout.split())
    assert "[default: 200 when no other budget is given]" in helped
    said = evolve("runs", "--db", "mysql://host/db[x]", env={"COLUMNS": "200"})
    assert said.returncode == 1 and "mysql://host/db[x]" in said.stderr
