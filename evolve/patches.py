"""Turn an LLM reply into a child program, or say precisely why it cannot be done.

Replies may wrap code in prose, `<think>` blocks and CRLF line ends. A reply is read as:

1. SEARCH/REPLACE blocks, if it has any: applied in order to the text between the
   EVOLVE-BLOCK markers. A SEARCH part matches exactly, else ignoring trailing whitespace,
   else up to one consistent indentation shift (given to the REPLACE part too); it must
   match one place only.
2. Else fenced code: the last fence that defines `entry` (else the last fence); with no
   fence, the whole reply if it is Python that defines `entry`.
   a. Code with both markers is a full program: its text outside them must equal the
      parent's (ignoring trailing whitespace); its block becomes the child's block.
   b. Other code (a function, helpers, imports, a module without markers) is merged into
      the block statement by statement: a function, class or name the block defines is
      replaced in place; repeats of the parent's statements, docstrings, bare calls and
      `if __name__ == "__main__"` demos are dropped; redefining a name that lives outside
      the block is refused; new imports go to the block's top, other code above `entry`.

The child keeps the parent's text outside the block byte for byte, parses, and defines
`entry` at the top level of its block.
"""

from __future__ import annotations

import ast
import contextlib
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from evolve.exceptions import PatchError
from problems.base import EVOLVE_BLOCK_END, EVOLVE_BLOCK_START

__all__ = ["apply_reply", "evolve_block", "extract_function"]

_START = re.compile(rf"^[ \t]*{re.escape(EVOLVE_BLOCK_START)}[^\n]*(?:\n|$)", re.MULTILINE)
_END = re.compile(rf"^[ \t]*{re.escape(EVOLVE_BLOCK_END)}[^\n]*(?:\n|$)", re.MULTILINE)
_DIFF = re.compile(
    r"^[ \t]*<{5,9} ?SEARCH[^\n]*\n(.*?)^[ \t]*={5,9}[ \t]*\n(.*?)^[ \t]*>{5,9} ?REPLACE[^\n]*$",
    re.DOTALL | re.MULTILINE,
)
_KEEP_OUT = "change only the code between the EVOLVE-BLOCK markers"
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FORMAT_HINT = (
    "reply with SEARCH/REPLACE blocks ('<<<<<<< SEARCH', '=======', '>>>>>>> REPLACE' "
    "lines) or with the new function in a ```python fence"
)


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


def extract_function(source: str, name: str) -> str:
    """Source of the top-level function `name` (decorators included); ValueError if absent."""
    lines = source.split("\n")
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            return "\n".join(lines[first - 1 : node.end_lineno]) + "\n"
    raise ValueError(f"no top-level function {name!r} in the source")


def apply_reply(parent_source: str, reply: str, entry: str) -> str:
    """The child program that `reply` describes, applied to `parent_source`.

    Raises PatchError with kind "no_code", "search_not_found", "ambiguous_search",
    "outside_evolve_block", "syntax_error" or "missing_entry" (see the module docstring).
    """
    parent = parent_source.replace("\r\n", "\n")
    text = _strip_thinking(reply.replace("\r\n", "\n"))
    edits = [(m.group(1), m.group(2)) for m in _DIFF.finditer(text)]
    if edits:
        child = _apply_edits(parent, edits)
    elif "<<<<<<< SEARCH" in text:
        raise PatchError("no_code", f"a SEARCH/REPLACE block is incomplete; {_FORMAT_HINT}")
    else:
        code = _pick_code(text, entry)
        if _START.search(code) and _END.search(code):
            child = _replace_program(parent, code)
        else:
            child = _merge(parent, _drop_marker_lines(code), entry)
    _check_child(child, entry)
    return child


def _strip_thinking(text: str) -> str:
    text = _THINK.sub("", text)
    if "</think>" in text:  # the opening tag was part of the prompt template
        text = text.rsplit("</think>", 1)[1]
    if "<think>" in text:  # thinking cut off: no answer follows
        text = text.split("<think>", 1)[0]
    return text


# --- SEARCH/REPLACE ----------------------------------------------------------------------


def _apply_edits(parent: str, edits: list[tuple[str, str]]) -> str:
    before, block, after = evolve_block(parent)
    for number, (search, replace) in enumerate(edits, 1):
        label = f"SEARCH block {number} of {len(edits)}"
        if _has_marker(search) or _has_marker(replace):
            raise PatchError("outside_evolve_block", f"{label} edits a marker; {_KEEP_OUT}")
        if not search.strip():
            raise PatchError("search_not_found", f"{label} has an empty SEARCH part")
        try:
            block = _replace_once(block, search, replace, label)
        except PatchError as err:
            if err.kind != "search_not_found" or not _matches(before + after, search):
                raise
            message = f"{label} matches code outside the EVOLVE-BLOCK; {_KEEP_OUT}"
            raise PatchError("outside_evolve_block", message) from None
    return before + block + after


def _replace_once(text: str, search: str, replace: str, label: str) -> str:
    lines, needle, new = text.split("\n"), _lines(search), _lines(replace)
    for matcher in (_exact, _loose, _shifted):
        found = [m for i in range(len(lines)) if (m := matcher(lines, i, needle)) is not None]
        if len(found) > 1:
            raise PatchError(
                "ambiguous_search",
                f"{label} matches {len(found)} places (first line: {needle[0]!r}); "
                "include more lines so that it matches one place only",
            )
        if found:
            start, stop, reindent = found[0]
            return "\n".join(lines[:start] + [reindent(line) for line in new] + lines[stop:])
    first = next((line for line in needle if line.strip()), "")
    raise PatchError(
        "search_not_found",
        f"{label} was not found in the program's EVOLVE-BLOCK (its first line: {first!r}); "
        "copy the lines to replace exactly from the last program",
    )


_Match = tuple[int, int, Callable[[str], str]]


def _exact(lines: list[str], i: int, needle: list[str]) -> _Match | None:
    return (i, i + len(needle), str) if lines[i : i + len(needle)] == needle else None


def _loose(lines: list[str], i: int, needle: list[str]) -> _Match | None:
    """Equal ignoring trailing whitespace and blank lines around the SEARCH text."""
    core = _trim_blank(needle)
    window = lines[i : i + len(core)]
    ok = len(window) == len(core) and all(
        a.rstrip() == b.rstrip() for a, b in zip(window, core, strict=True)
    )
    return (i, i + len(core), str) if ok and core else None


def _shifted(lines: list[str], i: int, needle: list[str]) -> _Match | None:
    """Equal up to one indentation shift applied to every non-blank line."""
    core = [line.rstrip() for line in _trim_blank(needle)]
    window = [line.rstrip() for line in lines[i : i + len(core)]]
    if not core or len(window) != len(core) or not window[0] or not core[0]:
        return None
    have, want = _indent(window[0]), _indent(core[0])
    if have.endswith(want):  # the program is indented deeper than the SEARCH text
        extra = have[: len(have) - len(want)]
        ok = all(a == (extra + b if b else "") for a, b in zip(window, core, strict=True))
        return (i, i + len(core), lambda s: extra + s if s.strip() else s) if ok else None
    if want.endswith(have):  # the SEARCH text is indented deeper than the program
        extra = want[: len(want) - len(have)]
        ok = all(b == (extra + a if a else "") for a, b in zip(window, core, strict=True))
        return (i, i + len(core), lambda s: s.removeprefix(extra)) if ok else None
    return None


def _matches(text: str, search: str) -> bool:
    lines, needle = text.split("\n"), _lines(search)
    return any(m(lines, i, needle) for m in (_exact, _loose, _shifted) for i in range(len(lines)))


def _lines(text: str) -> list[str]:
    return text.removesuffix("\n").split("\n") if text else []


def _trim_blank(lines: list[str]) -> list[str]:
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    last = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip()), -1)
    return lines[first : last + 1]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _has_marker(text: str) -> bool:
    return EVOLVE_BLOCK_START in text or EVOLVE_BLOCK_END in text


def _drop_marker_lines(code: str) -> str:
    return "\n".join(line for line in code.split("\n") if not _has_marker(line))


# --- fenced code -------------------------------------------------------------------------


def _fences(text: str) -> list[str]:
    """Contents of the ``` fences; an unclosed last fence (a cut-off reply) runs to the end."""
    blocks: list[list[str]] = []
    inside = False
    for line in text.split("\n"):
        fence = line.strip().startswith("```")
        if fence and not inside:
            blocks.append([])
        elif inside and fence and not line.strip().strip("`"):
            inside = False
            continue
        elif inside:
            blocks[-1].append(line)
        inside = inside or fence
    return [textwrap.dedent("\n".join(b)).strip("\n") + "\n" for b in blocks if any(b)]


def _defines(code: str, entry: str) -> bool:
    pattern = rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(entry)}[ \t]*\("
    return re.search(pattern, code, re.MULTILINE) is not None


def _pick_code(text: str, entry: str) -> str:
    fences = _fences(text)
    if fences:
        return ([f for f in fences if _defines(f, entry)] or fences)[-1]
    bare = textwrap.dedent(text).strip("\n") + "\n"
    with contextlib.suppress(SyntaxError):
        if _defines(bare, entry) and ast.parse(bare):
            return bare
    raise PatchError("no_code", f"the reply has no code; {_FORMAT_HINT}")


def _replace_program(parent: str, code: str) -> str:
    """A full program: keep the parent's outside text, take the reply's block."""
    before, _, after = evolve_block(parent)
    try:
        code_before, code_block, code_after = evolve_block(code)
    except ValueError as err:
        raise PatchError("outside_evolve_block", f"the program in the reply: {err}") from None
    for mine, theirs, where in ((before, code_before, "before"), (after, code_after, "after")):
        differing = _first_difference(mine, theirs)
        if differing is not None:
            raise PatchError(
                "outside_evolve_block",
                f"the reply changes the code {where} the EVOLVE-BLOCK (at {differing!r}); "
                + _KEEP_OUT,
            )
    return before + code_block + after


def _first_difference(expected: str, got: str) -> str | None:
    a, b = (_trim_blank([x.rstrip() for x in t.split("\n")]) for t in (expected, got))
    if a == b:
        return None
    return next((y for x, y in zip(a, b, strict=False) if x != y), "<a missing or extra line>")


# --- merging loose code into the block ---------------------------------------------------


@dataclass(frozen=True)
class _Statement:
    """A top-level statement: what it defines ("def:NAME", "import", "example", "code"), its
    ast.dump, and its lines [start, stop) with the comment lines just above it."""

    key: str
    code: str
    start: int
    stop: int


def _statements(source: str) -> list[_Statement]:
    lines, found, previous_end = source.split("\n"), [], 0
    for node in ast.parse(source).body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        while start > previous_end and lines[start - 1].lstrip().startswith("#"):
            start -= 1
        stop = node.end_lineno or node.lineno
        found.append(_Statement(_key(node), ast.dump(node), start, stop))
        previous_end = stop
    return found


def _key(node: ast.stmt) -> str:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return f"def:{node.name}"
    if isinstance(node, ast.Import | ast.ImportFrom):
        return "import"
    if isinstance(node, ast.Expr) or (
        isinstance(node, ast.If) and "__main__" in ast.dump(node.test)
    ):
        return "example"  # a docstring, a call such as print(...), an `if __name__ ...` demo
    targets = node.targets if isinstance(node, ast.Assign) else []
    targets = [node.target] if isinstance(node, ast.AnnAssign) else targets
    if len(targets) == 1 and isinstance(targets[0], ast.Name):
        return f"def:{targets[0].id}"
    return "code"


def _outside_statements(before: str, after: str) -> list[_Statement]:
    found = []
    for part in (before, after):
        with contextlib.suppress(SyntaxError):  # markers inside a compound statement
            found += _statements(part)
    return found


def _merge(parent: str, code: str, entry: str) -> str:
    """Merge loose code (functions, imports, constants) into the parent's block."""
    before, block, after = evolve_block(parent)
    try:
        reply = _statements(code)
    except SyntaxError as err:
        raise PatchError("syntax_error", f"the reply's code, {_describe(err)}") from None
    if not reply:
        raise PatchError("no_code", f"the reply's code block is empty; {_FORMAT_HINT}")
    try:
        inside = _statements(block)
    except SyntaxError:
        hint = "the EVOLVE-BLOCK is not top-level code; reply with SEARCH/REPLACE blocks"
        raise PatchError("unmergeable", hint) from None
    lines = block.split("\n")
    edits = _merge_edits(reply, code.split("\n"), inside, _outside_statements(before, after))
    anchor = next((s.start for s in inside if s.key == f"def:{entry}"), len(lines) - 1)
    edits = [(anchor, anchor, t) if start < 0 else (start, stop, t) for start, stop, t in edits]
    for start, stop, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines[start:stop] = text
    return before + "\n".join(lines) + after


def _merge_edits(
    reply: list[_Statement], code: list[str], inside: list[_Statement], outside: list[_Statement]
) -> list[tuple[int, int, list[str]]]:
    """(start, stop, lines) edits of the block; start -1: new statements, to go above entry."""
    known = {s.code for s in inside} | {s.code for s in outside}
    fixed = {s.key for s in outside if s.key.startswith("def:")}
    by_key = {s.key: s for s in inside if s.key.startswith("def:")}
    replaced: dict[str, list[str]] = {}  # the last definition of a name wins, as in Python
    imports: list[str] = []
    added: list[str] = []
    for s in reply:
        text = code[s.start : s.stop]
        if s.key == "example" or s.code in known:
            continue
        if s.key in fixed:
            raise PatchError(
                "outside_evolve_block",
                f"the reply redefines {s.key[4:]!r}, which is outside the EVOLVE-BLOCK; "
                + _KEEP_OUT,
            )
        if s.key in by_key:
            replaced[s.key] = text
        elif s.key == "import":
            imports += text
        else:
            added += [*text, "", ""]
    edits = [(by_key[key].start, by_key[key].stop, text) for key, text in replaced.items()]
    edits += [(-1, -1, added)] if added else []
    return edits + ([(0, 0, [*imports, ""])] if imports else [])


def _check_child(child: str, entry: str) -> None:
    try:
        tree = ast.parse(child)
    except SyntaxError as err:
        raise PatchError("syntax_error", f"the child program, {_describe(err)}") from None
    before, block, _ = evolve_block(child)
    first = before.count("\n") + 1
    last = first + block.count("\n") - 1
    if any(_key(node) == f"def:{entry}" and first <= node.lineno <= last for node in tree.body):
        return
    raise PatchError(
        "missing_entry",
        f"the child does not define `{entry}` at the top level of its EVOLVE-BLOCK; "
        f"keep the function `{entry}` with its name and signature",
    )


def _describe(err: SyntaxError) -> str:
    where = f"line {err.lineno}" if err.lineno else "somewhere"
    text = (err.text or "").strip()
    return f"{where}: {err.msg}" + (f": {text!r}" if text else "")
