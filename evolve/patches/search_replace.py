"""SEARCH/REPLACE blocks, applied in order to the text between the EVOLVE-BLOCK markers.

A SEARCH part matches exactly, else ignoring trailing whitespace and blank lines around
it, else up to one consistent indentation shift (given to the REPLACE part too); it must
match one place only. Aider's older ORIGINAL/UPDATED spelling is read too.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from evolve.exceptions import PatchError
from evolve.patches.blocks import evolve_block, has_marker

__all__ = ["FORMAT", "KEEP_OUT", "apply_edits", "search_replace_blocks"]

KEEP_OUT = "change only the code between the EVOLVE-BLOCK markers"
_DIFF = re.compile(
    r"^[ \t]*<{5,9} ?(?:SEARCH|ORIGINAL)[^\n]*\n(.*?)^[ \t]*={5,9}[ \t]*\n(.*?)"
    r"^[ \t]*>{5,9} ?(?:REPLACE|UPDATED)[^\n]*$",
    re.DOTALL | re.MULTILINE,
)
_OPEN = re.compile(r"^[ \t]*<{5,9} ?(?:SEARCH|ORIGINAL)", re.MULTILINE)
_CLOSE = re.compile(r"^[ \t]*>{5,9} ?(?:REPLACE|UPDATED)", re.MULTILINE)
FORMAT = "<<<<<<< SEARCH\n<lines copied from the program>\n=======\n<new lines>\n>>>>>>> REPLACE"


def search_replace_blocks(text: str) -> list[tuple[str, str]]:
    """The (search, replace) pairs of a reply; PatchError "truncated" when the reply
    ends inside a block (it was cut off), [] when it has none."""
    edits = [(m.group(1), m.group(2)) for m in _DIFF.finditer(text)]
    opened = list(_OPEN.finditer(text))
    last_end = max((m.end() for m in _DIFF.finditer(text)), default=0)
    if opened and opened[-1].start() >= last_end:
        if _CLOSE.search(text, opened[-1].start()):
            raise PatchError(
                "no_code",
                f"SEARCH/REPLACE block {len(edits) + 1} is malformed; write each block as "
                f"these lines:\n{FORMAT}",
            )
        raise PatchError(
            "truncated",
            f"SEARCH/REPLACE block {len(edits) + 1} is incomplete: the reply ends before its "
            "'=======' or '>>>>>>> REPLACE' line (it was cut off); reply with fewer or "
            "shorter blocks",
        )
    return edits


def apply_edits(parent: str, edits: list[tuple[str, str]]) -> str:
    """The parent with each edit applied in turn to its EVOLVE-BLOCK."""
    before, block, after = evolve_block(parent)
    for number, (search, replace) in enumerate(edits, 1):
        label = f"SEARCH block {number} of {len(edits)}"
        if has_marker(search) or has_marker(replace):
            raise PatchError("outside_evolve_block", f"{label} edits a marker; {KEEP_OUT}")
        if not search.strip():
            raise PatchError(
                "search_not_found",
                f"{label} has an empty SEARCH part; copy the lines to replace into it",
            )
        try:
            block = _replace_once(block, search, replace, label)
        except PatchError as err:
            if err.kind != "search_not_found" or not _matches(before + after, search):
                raise
            message = f"{label} matches code outside the EVOLVE-BLOCK; {KEEP_OUT}"
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
