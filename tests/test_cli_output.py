"""What the `evolve` command prints: at 80 columns, into a pipe or a log file, at the end
of a run, in `--help`, and when an option is wrong."""

from __future__ import annotations

import io
import re
import subprocess
import time
from pathlib import Path

import pytest
from rich.console import Console
from typer.main import get_command
from typer.testing import CliRunner

from archive import Archive, NewLLMCall, NewProgram
from evolve import display
from evolve.cli import app
from evolve.config import make_config
from evolve.display import live_progress, progress_line
from evolve.exceptions import ConfigError
from evolve.progress import RunProgress
from tests.cli_helpers import evolve

BOX = re.compile("[─━│┃┏┓┗┛┡┩╭╮╰╯┌┐└┘]")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
NAMES = ("bin_packing-20250101-120000-abcd", "tsp_construct-20250102-093000-beef")
PARENT = "def f(x):\n    y = x + 1\n    return y\n"
CHILD = "def f(x):\n    y = 2 * x + 1\n    return y"  # no newline at the end


@pytest.fixture
def db(tmp_path: Path) -> str:
    """Two runs with long generated names, one flagged as overfit; a parent and a child."""
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    verdict = {"flagged": True, "score": -3.69473, "seed_test_score": -3.89663, "k": 5}
    with Archive(url) as archive:
        for name in NAMES:
            run = archive.create_run(name, name.partition("-")[0], {"models": ["m-a", "m-b"]}, 0)
        archive.update_run(run.id, status="finished", state={"test": verdict})
        parent = archive.add_program(run.id, NewProgram(PARENT, score=1.0))
        call = NewLLMCall("m-a", [{"role": "user", "content": "go"}], "r", "", 10, 5, 0.01)
        archive.add_program(run.id, NewProgram(CHILD, (parent.id,), score=2.0), call)
    return url


@pytest.mark.slow
def test_runs_fit_80_columns_without_wrapping_names(db: str) -> None:
    terminal = {"TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": "80"}
    done = evolve("runs", "--db", db, env=terminal)
    assert done.returncode == 0, done.stderr
    lines = ANSI.sub("", done.stdout).splitlines()
    assert max(map(len, lines)) <= 80
    for name in NAMES:  # each name whole, on one line, beside its status
        assert any(name in line for line in lines), done.stdout
    assert "finished" in done.stdout and "overfit" in done.stdout
    assert "m-a, m-b" not in done.stdout  # the least useful columns went first
    wide = ANSI.sub("", evolve("runs", "--db", db, env={**terminal, "COLUMNS": "200"}).stdout)
    assert "m-a, m-b" in wide and "created" in wide


@pytest.mark.slow
def test_runs_into_a_pipe_are_plain_aligned_lines(db: str) -> None:
    done = evolve("runs", "--db", db)  # stdout is a pipe here
    assert done.returncode == 0, done.stderr
    assert not BOX.search(done.stdout) and "\x1b" not in done.stdout
    header, *rows = [line.split() for line in done.stdout.splitlines()]
    assert header[:3] == ["id", "name", "problem"] and "overfit" in header
    assert [len(row) for row in rows] == [len(header)] * 2  # one word per cell
    record = dict(zip(header, rows[1], strict=True))
    assert record["name"] == NAMES[1] and record["models"] == "m-a,m-b"
    assert (record["test"], record["seed_test"], record["overfit"]) == (
        "-3.69473",
        "-3.89663",
        "yes",
    )
    starts = [done.stdout.splitlines()[0].index(h) for h in ("name", "status")]
    assert all(line.find(NAMES[1]) in (-1, starts[0]) for line in done.stdout.splitlines())


@pytest.mark.slow
def test_a_piped_diff_is_a_patch_that_applies(db: str, tmp_path: Path) -> None:
    done = evolve("diff", "1", "2", "--db", db)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout
    assert done.stdout.startswith("--- program_1.py\t(program 1, score 1.0)\n")
    assert "\\ No newline at end of file" in done.stdout
    patch_file = tmp_path / "x.patch"
    patch_file.write_text(done.stdout)
    for tool in (["patch", "-p0", "-i", str(patch_file)], ["git", "apply", "-p0", str(patch_file)]):
        work = tmp_path / tool[0]
        work.mkdir()
        (work / "program_1.py").write_text(PARENT)
        applied = subprocess.run(tool, cwd=work, capture_output=True, text=True)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert (work / "program_1.py").read_text() == CHILD


def test_progress_lines_when_not_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(display, "PLAIN_PROGRESS_S", 0.05)
    log = io.StringIO()
    console = Console(file=log, force_terminal=False, width=80)
    progress = RunProgress(7, "r", "tiny", ["builtin:mutate"], seed_score=-5.0)
    with live_progress(progress, console):
        for step in range(1, 7):
            progress.evaluations, progress.llm_calls = step, 2 * step
            progress.errors["sandbox:error"] = 1
            time.sleep(0.05)
        progress.offer_best(3, -1.5)
        time.sleep(0.15)
    text = log.getvalue()
    lines = [line for line in text.splitlines() if line.startswith("[")]
    assert len(lines) >= 3 and not BOX.search(text), text
    assert lines[-1].endswith("evaluations 6, best -1.5 (seed -5), errors 1, duplicates 0, "
                              "LLM calls 12 ($0.0000)")  # fmt: skip
    assert "run r (#7, tiny) started" in text and "run summary" in text
    progress.last_llm_error = "connection\nrefused"
    assert progress_line(progress).endswith("last LLM error: connection refused")


@pytest.mark.slow
def test_the_end_of_a_run_says_where_and_what_next(tmp_path: Path, tiny_problem_path: str) -> None:
    done = evolve("run", tiny_problem_path, "--db", "runs.db", "--max-evals", "8",
                  "--run-name", "t", cwd=str(tmp_path), timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    said = done.stderr
    assert "results: ./runs.db (run t)" in said
    best = re.search(r"evolve show (\d+) --db runs.db", said)
    assert best is not None, said
    assert "evolve generalize" not in said  # the tiny problem lists no data sets for it
    for command in ("evolve export t -o best.py --db runs.db", "evolve runs --db runs.db"):
        assert command in said
    assert re.search(r"result \(test\) +-?[\d.]+ +\(seed -?[\d.]+", said), said
    assert not BOX.search(said)  # a log file gets no panel


def _commands(group: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in getattr(group, "commands", {}).items():
        found += _commands(command, (*path, name))
    return found


@pytest.mark.slow
def test_help_has_no_type_labels() -> None:
    paths = _commands(get_command(app))
    assert ("run",) in paths and ("sandbox", "run") in paths and ("failures",) in paths
    for path in paths:
        done = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
        assert done.exit_code == 0, done.output
        assert not re.search(r"<\w[\w\[\], ]*>", done.output), (path, done.output)
    run_help = CliRunner().invoke(app, ["run", "--help"]).output
    assert "--max-evals N" in run_help and "--db URL" in run_help


@pytest.mark.slow
def test_option_errors_name_the_flag_or_the_file_key(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"^invalid --max-evals: input should be greater than 0 \(got 0\)$"
    ):
        make_config({}, {"problem": "p", "max_evals": 0})
    with pytest.raises(ConfigError, match=r"invalid --model: "):
        make_config({}, {"problem": "p", "models": 3})
    with pytest.raises(ConfigError, match=r"^invalid 'max_evals' in the config file: .*\(got -1\)"):
        make_config({"max_evals": -1}, {"problem": "p", "max_evals": None})
    with pytest.raises(ConfigError, match=r"unknown key 'max_evalz' in the config file"):
        make_config({"max_evalz": 3}, {"problem": "p"})
    done = evolve("run", "bin_packing", "--concurrency", "0", "--db", str(tmp_path / "x.db"))
    assert done.returncode == 1 and "invalid --concurrency" in done.stderr
    assert "concurrency'" not in done.stderr
