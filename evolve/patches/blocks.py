"""The EVOLVE-BLOCK of a program: finding it, its markers, its top-level statements.

A statement is compared with others by its fingerprint: its syntax tree without
docstrings, so formatting, comments and reworded docstrings do not make code different.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import re
from dataclasses import dataclass

from problems.base import EVOLVE_BLOCK_END, EVOLVE_BLOCK_START

__all__ = [
    "Statement",
    "defined_names",
    "drop_marker_lines",
    "evolve_block",
    "extract_function",
    "has_marker",
    "is_full_program",
    "statements",
]

_START = re.compile(rf"^[ \t]*{re.escape(EVOLVE_BLOCK_START)}[^\n]*(?:\n|$)", re.MULTILINE)
_END = re.compile(rf"^[ \t]*{re.escape(EVOLVE_BLOCK_END)}[^\n]*(?:\n|$)", re.MULTILINE)
_DEMOS = (ast.For, ast.AsyncFor, ast.While, ast.Assert)  # top-level loops: demos, not code


def evolve_block(source: str) -> tuple[str, str, str]:
    """Split `source` into (before, block, after) around its EVOLVE-BLOCK markers.

    `before` ends with the START marker line, `after` begins with the END marker line, so
    `before + block + after == source`. Raises ValueError unless there is exactly one START
    marker followed by exactly one END marker.
    """
    starts, ends = list(_START.finditer(source)), list(_END.finditer(source))
    if len(starts) != 1 or len(ends) != 1 or starts[0].end() > ends[0].start():
        raise ValueError(
            f"expected one {EVOLVE_BLOCK_START!r} line followed by one {EVOLVE_BLOCK_END!r} "
            f"line, found {len(starts)} and {len(ends)}"
        )
    cut, stop = starts[0].end(), ends[0].start()
    return source[:cut], source[cut:stop], source[stop:]


def is_full_program(code: str) -> bool:
    """Whether `code` has one START marker followed by one END marker."""
    try:
        evolve_block(code)
    except ValueError:
        return False
    return True


def extract_function(source: str, name: str) -> str:
    """Source of the top-level function `name` (decorators included); ValueError if absent."""
    lines = source.split("\n")
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            return "\n".join(lines[first - 1 : node.end_lineno]) + "\n"
    raise ValueError(f"no top-level function {name!r} in the source")


def has_marker(text: str) -> bool:
    return EVOLVE_BLOCK_START in text or EVOLVE_BLOCK_END in text


def drop_marker_lines(code: str) -> str:
    return "\n".join(line for line in code.split("\n") if not has_marker(line))


@dataclass(frozen=True)
class Statement:
    """A top-level statement: what it defines ("def:NAME", "import", "example", "code"),
    its fingerprint, its lines [start, stop) with the comment lines just above it, its
    first line, and for an import the names it binds with what it binds them to."""

    key: str
    fingerprint: str
    start: int
    stop: int
    first_line: str
    imports: tuple[tuple[str, str], ...] = ()


def statements(source: str) -> list[Statement]:
    """The top-level statements of `source`; SyntaxError if it does not parse."""
    lines, found, previous_end = source.split("\n"), [], 0
    for node in ast.parse(source).body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        while start > previous_end and lines[start - 1].lstrip().startswith("#"):
            start -= 1
        stop = node.end_lineno or node.lineno
        first = lines[node.lineno - 1].strip()
        bound = _bound_by_import(node)
        found.append(Statement(key(node), fingerprint(node), start, stop, first, bound))
        previous_end = stop
    return found


def _bound_by_import(node: ast.stmt) -> tuple[tuple[str, str], ...]:
    """(name, what it is bound to) for each name an import binds, e.g. ("np", "numpy")."""
    if isinstance(node, ast.Import):
        return tuple(((a.asname or a.name.split(".")[0]), a.name) for a in node.names)
    if isinstance(node, ast.ImportFrom):
        module = "." * node.level + (node.module or "")
        return tuple(((a.asname or a.name), f"{module}.{a.name}") for a in node.names)
    return ()


def key(node: ast.stmt) -> str:
    """What a top-level statement is, for merging: "def:NAME" for a function, class or
    single assignment, "import", "example" (docstrings, bare calls, demos), or "code"."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return f"def:{node.name}"
    if isinstance(node, ast.Import | ast.ImportFrom):
        return "import"
    if isinstance(node, (ast.Expr, *_DEMOS)) or (
        isinstance(node, ast.If) and "__main__" in ast.dump(node.test)
    ):
        return "example"
    targets = node.targets if isinstance(node, ast.Assign) else []
    targets = [node.target] if isinstance(node, ast.AnnAssign) else targets
    if len(targets) == 1 and isinstance(targets[0], ast.Name):
        return f"def:{targets[0].id}"
    return "code"


def fingerprint(node: ast.AST) -> str:
    """ast.dump of `node` without docstrings (nor line numbers)."""
    node = copy.deepcopy(node)
    for inner in ast.walk(node):
        body = getattr(inner, "body", None)
        if (
            isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            inner.body = body[1:] or [ast.Pass()]
    return ast.dump(node)


def defined_names(source: str) -> set[str]:
    """Every name `source` defines or uses (empty if it does not parse)."""
    with contextlib.suppress(SyntaxError):
        tree = ast.parse(source)
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        defs = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        return names | {n.name for n in ast.walk(tree) if isinstance(n, defs)}
    return set()
