"""`evolve sandbox check` and `evolve sandbox run`, as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import evolve, evolve_json


@pytest.mark.slow
def test_check_lists_every_layer_with_its_state() -> None:
    layers = evolve_json("sandbox", "check")
    names = {layer["name"] for layer in layers}
    assert {"seccomp", "rlimits", "landlock filesystem", "network namespace"} <= names
    assert all(set(layer) == {"name", "active", "detail"} for layer in layers)
    assert next(la for la in layers if la["name"] == "rlimits")["active"] is True
    text = evolve("sandbox", "check")
    assert text.returncode == 0 and "seccomp" in text.stdout


@pytest.mark.slow
def test_run_prints_the_value(tmp_path: Path) -> None:
    program = tmp_path / "p.py"
    program.write_text("def f(x):\n    print('hi')\n    return x * 2\n")
    result = evolve_json("sandbox", "run", str(program), "--entry", "f", "--args", "[21]")
    assert result["status"] == "ok" and result["value"] == 42 and result["stdout"] == "hi\n"
    done = evolve("sandbox", "run", str(program), "--entry", "f", "--args", "[1]")
    assert done.returncode == 0 and "2" in done.stdout


@pytest.mark.slow
def test_run_reports_failures_and_bad_input(tmp_path: Path) -> None:
    program = tmp_path / "p.py"
    program.write_text("def f():\n    while True:\n        pass\n")
    done = evolve("sandbox", "run", str(program), "--entry", "f", "--timeout", "0.3", "--json")
    assert done.returncode == 1 and '"timeout"' in done.stdout
    bad = evolve("sandbox", "run", str(program), "--entry", "f", "--args", "{")
    assert bad.returncode == 1 and "JSON list" in bad.stderr and "Traceback" not in bad.stderr
