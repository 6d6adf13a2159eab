"""Finding, importing and checking problems: built-in names or user folders.

A problem folder holds `__init__.py` or `problem.py` defining `problem` (a Problem), a
`template.py` (the seed program, with the evolved function between
`# EVOLVE-BLOCK-START` and `# EVOLVE-BLOCK-END`) and a README.md. Built-in problems are
the folders of this package that hold a template.py; `load("bin_packing")` finds one.

A user folder `/some/where/my_problem` is imported as the package `my_problem` without
touching `sys.path`; the returned Problem's `sys_path` is `("/some/where",)`, which is
what a sandbox worker adds to `sys.path` to import the harness by name. Loading the same
folder name again re-imports it, so edits are picked up.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import functools
import importlib
import importlib.util
import os
import sys
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from problems.base import (
    EVOLVE_BLOCK_END,
    EVOLVE_BLOCK_START,
    Problem,
    ProblemError,
    mean_metrics,
)

__all__ = ["available", "check_template", "load", "read_template"]

BUILTIN_DIR = Path(__file__).resolve().parent
_MARK = "__problem_folder__"  # set on packages imported from user folders


def available() -> list[str]:
    """Names of the built-in problems (folders of this package with a template.py)."""
    return sorted(
        p.name
        for p in BUILTIN_DIR.iterdir()
        if p.is_dir() and not p.name.startswith(("_", ".")) and (p / "template.py").is_file()
    )


def load(spec: str | os.PathLike[str]) -> Problem:
    """A built-in problem by name, or the problem in a folder; checked, ready to run.
    `NAME:INTERFACE` (e.g. "tsp_construct:reevo") is the problem under one of its
    interfaces (`Problem.with_interface`)."""
    text = os.fspath(spec)
    if text in available():
        return _load_builtin(text)
    base, colon, interface = text.rpartition(":")
    if colon and base and interface.isidentifier() and not Path(text).exists():
        return load(base).with_interface(interface)
    path = Path(text).expanduser()
    if path.is_dir():
        return _load_folder(path.resolve())
    if path.exists():
        raise ProblemError(
            f"{path}: is a file; give the problem's folder (the one with template.py)"
        )
    if os.sep in text or text.startswith((".", "~")):
        raise ProblemError(f"{text}: no such folder; give a path to a problem folder")
    builtins = ", ".join(available())
    close = difflib.get_close_matches(text, available(), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ProblemError(
        f"unknown problem {text!r}; built-in problems: {builtins} "
        f"(or give a path to a problem folder){hint}"
    )


def read_template(folder: str | os.PathLike[str]) -> str:
    """The text of `folder/template.py`; ProblemError if there is none."""
    path = Path(folder) / "template.py"
    if not path.is_file():
        raise ProblemError(
            f"{path}: no template.py; write the seed program there with the evolved "
            f"function between {EVOLVE_BLOCK_START!r} and {EVOLVE_BLOCK_END!r}"
        )
    return path.read_text()


def check_template(template: str, entry: str, where: str | os.PathLike[str]) -> None:
    """ProblemError unless `template` parses, has one EVOLVE-BLOCK and defines `entry`
    as a top-level function inside it."""
    start, end = _block_lines(template, str(where))
    try:
        tree = ast.parse(template)
    except SyntaxError as error:
        raise ProblemError(f"{where}:{error.lineno}: syntax error: {error.msg}") from None
    defs = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == entry
    ]
    if not defs:
        raise ProblemError(
            f"{where}: the entry function {entry!r} is not defined at top level; "
            f"write `def {entry}(...)` between the EVOLVE-BLOCK markers"
        )
    for node in defs:
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        if not start < first <= (node.end_lineno or first) < end:
            raise ProblemError(
                f"{where}:{node.lineno}: the entry function {entry!r} is outside the "
                f"EVOLVE-BLOCK (lines {start}-{end}); move it between the markers"
            )


def _block_lines(template: str, where: str) -> tuple[int, int]:
    """Line numbers (1-based) of the EVOLVE-BLOCK-START and -END markers."""
    found: dict[str, list[int]] = {EVOLVE_BLOCK_START: [], EVOLVE_BLOCK_END: []}
    for number, line in enumerate(template.splitlines(), start=1):
        for marker, lines in found.items():
            if line.strip().startswith(marker):
                lines.append(number)
    for marker, lines in found.items():
        if len(lines) != 1:
            raise ProblemError(
                f"{where}: expected one line {marker!r}, found {len(lines)}; put "
                f"{EVOLVE_BLOCK_START!r} and {EVOLVE_BLOCK_END!r} once each, on their own "
                f"lines, around the code the LLM may change"
            )
    start, end = found[EVOLVE_BLOCK_START][0], found[EVOLVE_BLOCK_END][0]
    if end < start:
        raise ProblemError(
            f"{where}:{end}: {EVOLVE_BLOCK_END!r} comes before {EVOLVE_BLOCK_START!r} "
            f"(line {start}); swap them"
        )
    return start, end


def _load_builtin(name: str) -> Problem:
    folder = BUILTIN_DIR / name
    problem = _problem_of(f"problems.{name}", folder)
    return _checked(problem, folder, sys_path=())


def _load_folder(folder: Path) -> Problem:
    if not (folder / "__init__.py").is_file() and not (folder / "problem.py").is_file():
        raise ProblemError(
            f"{folder}: no __init__.py or problem.py; define `problem = Problem(...)` "
            f"(from problems.base) in one of them"
        )
    read_template(folder)  # fail early, before running the folder's code
    try:
        _import_package(folder)
        problem = _problem_of(folder.name, folder)
    except ProblemError:
        _drop_modules(folder.name)  # only if they are ours: never a clashing module
        raise
    return _guarded(_checked(problem, folder, sys_path=(str(folder.parent),)), folder)


def _import_package(folder: Path) -> types.ModuleType:
    """Imports `folder` as the package named after it, without changing sys.path."""
    name = folder.name
    if not name.isidentifier():
        raise ProblemError(
            f"{folder}: the folder name {name!r} is not a Python identifier; rename it "
            f"(e.g. {name.replace('-', '_').replace(' ', '_')!r}) so it can be imported"
        )
    _forget(name, folder)
    init = folder / "__init__.py"
    spec = None
    if init.is_file():
        spec = importlib.util.spec_from_file_location(
            name, init, submodule_search_locations=[str(folder)]
        )
    if spec is None or spec.loader is None:  # namespace-style: problem.py and friends
        package = types.ModuleType(name)
        package.__path__ = [str(folder)]
    else:
        package = importlib.util.module_from_spec(spec)
    setattr(package, _MARK, str(folder))
    sys.modules[name] = package
    if spec is not None and spec.loader is not None:
        loader = spec.loader
        _run_user_code(lambda: loader.exec_module(package), folder, name)
    return package


def _forget(name: str, folder: Path) -> None:
    """Drops an earlier import of a problem folder with the same name from sys.modules."""
    previous = sys.modules.get(name)
    if previous is None:
        return
    if not hasattr(previous, _MARK):
        origin = getattr(previous, "__file__", None) or name
        raise ProblemError(
            f"{folder}: the folder name {name!r} clashes with the module already imported "
            f"from {origin}; rename the folder"
        )
    _drop_modules(name)


def _drop_modules(name: str) -> None:
    """Removes a package imported from a problem folder, and its submodules."""
    if not hasattr(sys.modules.get(name), _MARK):
        return
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]


def _problem_of(package: str, folder: Path) -> Problem:
    """The `problem` object of a package, or of its `problem` submodule."""
    module = _run_user_code(lambda: importlib.import_module(package), folder, package)
    where = folder / "__init__.py"
    if not hasattr(module, "problem") and (folder / "problem.py").is_file():
        where = folder / "problem.py"
        module = _run_user_code(
            lambda: importlib.import_module(f"{package}.problem"), folder, package
        )
    problem = getattr(module, "problem", None)
    if not isinstance(problem, Problem):
        found = "nothing" if problem is None else f"a {type(problem).__name__}"
        raise ProblemError(
            f"{where}: `problem` must be a problems.base.Problem, found {found}; "
            f"define `problem = Problem(...)` there"
        )
    return problem


def _run_user_code(action: Any, folder: Path, package: str) -> Any:
    """Runs an import of the folder's code; its errors become one-line ProblemErrors."""
    try:
        return action()
    except ProblemError:
        raise
    except Exception as error:  # any error in the user's code: report where it happened
        raise ProblemError(
            f"{_location(error, folder)}: importing {package} failed: "
            f"{type(error).__name__}: {' '.join(str(error).split())}"
        ) from error


def _location(error: BaseException, folder: Path) -> str:
    """'file:line' of the deepest frame inside `folder`, else the folder."""
    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}"
    inside = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if Path(frame.filename).resolve().is_relative_to(folder.resolve())
    ]
    return f"{inside[-1].filename}:{inside[-1].lineno}" if inside else str(folder)


def _guarded(problem: Problem, folder: Path) -> Problem:
    """The problem with `instances`, `load_dataset` and `aggregate` turning an error in
    the folder's code into a one-line ProblemError naming the file and line."""
    changes: dict[str, Any] = {}
    for attr in ("instances", "load_dataset", "aggregate"):
        fn = getattr(problem, attr)
        if fn is not None and fn is not mean_metrics:
            changes[attr] = _reporting(fn, folder, f"problem.{attr}")
    return dataclasses.replace(problem, **changes)


def _reporting(fn: Callable[..., Any], folder: Path, what: str) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except ProblemError:
            raise
        except Exception as error:  # a bug in the user's code: say where
            arguments = ", ".join(repr(a)[:40] for a in args)
            raise ProblemError(
                f"{_location(error, folder)}: {what}({arguments}) raised "
                f"{type(error).__name__}: {' '.join(str(error).split())}"
            ) from error

    return call


def _checked(problem: Problem, folder: Path, sys_path: tuple[str, ...]) -> Problem:
    """Checks the template and functions; returns the problem with template and
    sys_path filled in."""
    template = read_template(folder)
    where = folder / "template.py"
    if not problem.entry.isidentifier():
        raise ProblemError(f"{folder}: entry {problem.entry!r} is not a function name")
    check_template(template, problem.entry, where)
    if problem.template and problem.template != template:
        raise ProblemError(
            f"{where}: problem.template differs from this file; set "
            f"template=read_template(folder) or leave it empty to use template.py"
        )
    _check_functions(problem, folder)
    paths = tuple(dict.fromkeys((*sys_path, *problem.sys_path)))
    return dataclasses.replace(problem, template=template, sys_path=paths)


def _check_functions(problem: Problem, folder: Path) -> None:
    for attr in ("instances", "run", "score", "aggregate"):
        if not callable(getattr(problem, attr)):
            raise ProblemError(f"{folder}: problem.{attr} must be a function")
    for attr in ("run", "prepare"):
        fn = getattr(problem, attr)
        if fn is None and attr == "prepare":
            continue
        if not callable(fn) or not _importable(fn):
            raise ProblemError(
                f"{folder}: problem.{attr} must be a top-level function (def) of an "
                f"importable module, so the sandbox workers can import it by name"
            )


def _importable(fn: Any) -> bool:
    """Whether `module:name` of fn finds fn itself again."""
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    name = getattr(fn, "__qualname__", "")
    return (
        module is not None and module.__name__ != "__main__" and (getattr(module, name, None) is fn)
    )
