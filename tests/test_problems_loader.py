"""The problem loader: built-in names, user folders, and one-line errors naming the file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from problems import Problem, ProblemError, available, check_template, load, read_template

TEMPLATE = '''"""Seed."""

# EVOLVE-BLOCK-START
def solve(x):
    return x
# EVOLVE-BLOCK-END
'''

INIT = """
from pathlib import Path

from problems.base import Problem
from {name}.harness import run


def instances(split):
    return {{"a": {{"x": 2}}}}


def score(instance, output):
    return {{"score": -abs(output - 2 * instance["x"])}}


problem = Problem(
    name="{name}", description="double x", entry="solve", template={template},
    instances=instances, run=run, score=score, preload=(),
)
"""

HARNESS = """
def run(solve, instance):
    return solve(instance["x"])
"""


def make_problem(
    root: Path,
    name: str = "doubler",
    *,
    template: str = TEMPLATE,
    init: str | None = None,
    module: str = "__init__.py",
) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "template.py").write_text(template)
    (folder / "harness.py").write_text(HARNESS)
    (folder / "README.md").write_text(f"# {name}\n")
    text = init if init is not None else INIT.format(name=name, template='""')
    (folder / module).write_text(text)
    return folder


def test_available_lists_builtins() -> None:
    assert "bin_packing" in available()
    assert available() == sorted(available())


def test_load_builtin() -> None:
    problem = load("bin_packing")
    assert isinstance(problem, Problem) and problem.name == "bin_packing"
    assert "# EVOLVE-BLOCK-START" in problem.template and problem.sys_path == ()
    assert problem.harness_ref == "problems.bin_packing.harness:run"


def test_unknown_name_lists_builtins_and_suggests() -> None:
    with pytest.raises(ProblemError) as caught:
        load("bin_pack")
    message = str(caught.value)
    assert message.startswith("unknown problem 'bin_pack'; built-in problems: bin_packing")
    assert "path to a problem folder" in message and "did you mean 'bin_packing'" in message
    assert "\n" not in message


def test_missing_folder_and_file_given(tmp_path: Path) -> None:
    with pytest.raises(ProblemError, match="no such folder"):
        load(str(tmp_path / "nowhere"))
    (tmp_path / "file.py").write_text("")
    with pytest.raises(ProblemError, match="is a file"):
        load(str(tmp_path / "file.py"))


def test_load_user_folder_and_import_harness_by_sys_path(tmp_path: Path) -> None:
    folder = make_problem(tmp_path / "user")
    problem = load(str(folder))
    assert problem.name == "doubler" and problem.template == TEMPLATE
    assert problem.sys_path == (str(folder.parent),)
    assert problem.harness_ref == "doubler.harness:run"
    assert problem.run(lambda x: 2 * x, {"x": 3}) == 6
    # A fresh interpreter (like a sandbox worker) finds the harness through sys_path alone.
    code = (
        "import importlib, json, sys\n"
        f"sys.path[:0] = {list(problem.sys_path)!r}\n"
        f"module, name = {problem.harness_ref!r}.split(':')\n"
        "run = getattr(importlib.import_module(module), name)\n"
        "print(json.dumps(run(lambda x: x + 1, {'x': 4})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == 5


def test_user_folder_with_problem_py_only(tmp_path: Path) -> None:
    folder = make_problem(tmp_path, "via_module", module="problem.py")
    problem = load(folder)
    assert problem.harness_ref == "via_module.harness:run"
    assert problem.sys_path == (str(tmp_path),)


def test_same_folder_name_loads_again(tmp_path: Path) -> None:
    first = load(make_problem(tmp_path / "one"))
    second = load(make_problem(tmp_path / "two"))
    assert first.sys_path != second.sys_path
    assert second.sys_path == (str(tmp_path / "two"),)


def test_tiny_test_problem_loads(tiny_problem_path: str) -> None:
    problem = load(tiny_problem_path)
    assert problem.harness_ref == "tiny:run"
    assert problem.sys_path == (str(Path(tiny_problem_path).parent),)


def test_folder_without_template(tmp_path: Path) -> None:
    folder = make_problem(tmp_path)
    (folder / "template.py").unlink()
    with pytest.raises(ProblemError, match=r"template\.py: no template\.py"):
        load(folder)


def test_folder_without_module(tmp_path: Path) -> None:
    folder = make_problem(tmp_path)
    (folder / "__init__.py").unlink()
    with pytest.raises(ProblemError, match=re.escape("no __init__.py or problem.py")):
        load(folder)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("def solve(x):\n    return x\n", "expected one line '# EVOLVE-BLOCK-START', found 0"),
        ("# EVOLVE-BLOCK-START\ndef solve(x):\n    return x\n", "'# EVOLVE-BLOCK-END', found 0"),
        (
            "# EVOLVE-BLOCK-END\ndef solve(x):\n    return x\n# EVOLVE-BLOCK-START\n",
            r"template\.py:1: '# EVOLVE-BLOCK-END' comes before",
        ),
        (
            "def solve(x):\n    return x\n# EVOLVE-BLOCK-START\n# EVOLVE-BLOCK-END\n",
            r"template\.py:1: the entry function 'solve' is outside the EVOLVE-BLOCK \(lines 3-4\)",
        ),
        (
            "# EVOLVE-BLOCK-START\ndef other(x):\n    return x\n# EVOLVE-BLOCK-END\n",
            "'solve' is not defined",
        ),
        (
            "# EVOLVE-BLOCK-START\ndef solve(x):\n    return x\n# EVOLVE-BLOCK-END\n"
            "def solve(x):\n    return 0\n",
            r"template\.py:5: the entry function 'solve' is outside",
        ),
        (
            "# EVOLVE-BLOCK-START\ndef solve(x:\n# EVOLVE-BLOCK-END\n",
            r"template\.py:2: syntax error",
        ),
    ],
)
def test_bad_templates_name_file_and_line(tmp_path: Path, template: str, message: str) -> None:
    folder = make_problem(tmp_path, template=template)
    with pytest.raises(ProblemError, match=message) as caught:
        load(folder)
    assert str(folder / "template.py") in str(caught.value)
    assert "\n" not in str(caught.value)


def test_check_template_on_its_own() -> None:
    check_template(TEMPLATE, "solve", "t.py")
    outside = "def solve(x):\n    return x\n# EVOLVE-BLOCK-START\n# EVOLVE-BLOCK-END\n"
    with pytest.raises(ProblemError, match=re.escape("t.py:1: the entry function 'solve'")):
        check_template(outside, "solve", "t.py")


def test_template_must_match_template_py(tmp_path: Path) -> None:
    init = INIT.format(name="doubler", template=repr("something else"))
    folder = make_problem(tmp_path, init=init)
    with pytest.raises(ProblemError, match=re.escape("problem.template differs")):
        load(folder)
    assert read_template(folder) == TEMPLATE


def test_error_in_user_code_names_file_and_line(tmp_path: Path) -> None:
    init = INIT.format(name="doubler", template='""') + "\nraise RuntimeError('boom')\n"
    folder = make_problem(tmp_path, init=init)
    with pytest.raises(
        ProblemError,
        match=r"__init__\.py:\d+: importing doubler failed: "
        r"RuntimeError: boom",
    ):
        load(folder)
    assert "doubler" not in sys.modules


def test_missing_problem_object(tmp_path: Path) -> None:
    folder = make_problem(tmp_path, init="x = 1\n")
    with pytest.raises(ProblemError, match=r"__init__\.py: `problem` must be a .*found nothing"):
        load(folder)


def test_run_must_be_top_level(tmp_path: Path) -> None:
    init = INIT.format(name="doubler", template='""').replace(
        "instances=instances, run=run,", "instances=instances, run=lambda s, i: s(i['x']),"
    )
    folder = make_problem(tmp_path, init=init)
    with pytest.raises(ProblemError, match=re.escape("problem.run must be a top-level function")):
        load(folder)


def test_folder_name_clash_with_imported_module(tmp_path: Path) -> None:
    folder = make_problem(tmp_path, "json")
    with pytest.raises(ProblemError, match="clashes with the module already imported"):
        load(folder)
    assert sys.modules["json"] is json


def test_folder_name_must_be_identifier(tmp_path: Path) -> None:
    folder = make_problem(tmp_path, "my-problem")
    with pytest.raises(ProblemError, match="'my_problem'"):
        load(folder)
