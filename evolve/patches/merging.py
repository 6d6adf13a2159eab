"""Merging code from a reply into the parent's EVOLVE-BLOCK, statement by statement.

Loose code (a function, helpers, imports, a module without markers): a function, class
or name the block defines is replaced in place (the last definition in the reply wins,
as in Python); repeats of the parent's statements, docstrings, bare calls, top-level
loops and `if __name__ == "__main__"` demos are dropped; new imports go to the block's
top, other new code above `entry`. Redefining, differently, a name that lives outside
the block is refused, naming it.

A full program (both markers): its block becomes the child's block, and its text outside
the markers is merged like loose code, except that it never replaces what its own block
defines. So formatting, comments and docstrings changed outside are ignored (the
parent's text stays), imports and helpers added there move into the block, and only a
real change of the fixed code is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from evolve.exceptions import PatchError
from evolve.patches.blocks import Statement, drop_marker_lines, evolve_block, statements
from evolve.patches.reading import FORMAT_HINT, describe
from evolve.patches.search_replace import KEEP_OUT

__all__ = ["merge", "replace_program"]


def replace_program(parent: str, code: str, entry: str) -> str:
    """The child of a full-program reply (see the module docstring)."""
    before, _, after = evolve_block(parent)
    code_before, code_block, code_after = evolve_block(code)
    child = before + code_block + after
    outside = drop_marker_lines(code_before) + "\n" + drop_marker_lines(code_after)
    try:
        statements(outside)
    except SyntaxError:  # the markers sit inside a compound statement: compare as text
        _same_text(before, code_before, "before")
        _same_text(after, code_after, "after")
        return child
    return merge(child, outside, entry, replace=False)


def merge(parent: str, code: str, entry: str, *, replace: bool = True) -> str:
    """Merge loose code into the parent's block (see the module docstring); with
    `replace` False, definitions the block has already are kept, not replaced."""
    before, block, after = evolve_block(parent)
    try:
        reply = statements(code)
    except SyntaxError as err:
        raise PatchError("syntax_error", f"the reply's code, {describe(err)}") from None
    if not reply and replace:
        raise PatchError("no_code", f"the reply's code block is empty; {FORMAT_HINT}")
    try:
        inside = statements(block)
    except SyntaxError:
        hint = "the EVOLVE-BLOCK is not top-level code; reply with SEARCH/REPLACE blocks"
        raise PatchError("unmergeable", hint) from None
    plan = _Plan(inside, _outside_statements(before, after), replace)
    for statement in reply:
        plan.take(statement, code.split("\n")[statement.start : statement.stop])
    lines = block.split("\n")
    anchor = next((s.start for s in inside if s.key == f"def:{entry}"), len(lines) - 1)
    for start, stop, text in plan.edits(anchor):
        lines[start:stop] = text
    return before + "\n".join(lines) + after


@dataclass
class _Plan:
    """What a merge does to the block: replaced definitions, new code, new imports."""

    inside: list[Statement]
    outside: list[Statement]
    replace: bool

    def __post_init__(self) -> None:
        self.known = {s.fingerprint for s in self.inside} | {s.fingerprint for s in self.outside}
        self.fixed = {s.key: s for s in self.outside if s.key.startswith("def:")}
        self.fixed |= {f"def:{name}": s for s in self.outside for name, _ in s.imports}
        self.bindings = {binding for s in self.outside for binding in s.imports}
        self.by_key = {s.key: s for s in self.inside if s.key.startswith("def:")}
        self.replaced: dict[str, list[str]] = {}  # the last definition of a name wins
        self.imports: list[str] = []
        self.added: list[str] = []

    def take(self, statement: Statement, text: list[str]) -> None:
        if statement.key == "example" or statement.fingerprint in self.known:
            return
        if statement.key in self.fixed:
            self._refuse(statement, statement.key[4:])
        for binding in statement.imports:  # an import may rebind a fixed name (np)
            if f"def:{binding[0]}" in self.fixed and binding not in self.bindings:
                self._refuse(statement, binding[0])
        if statement.key in self.by_key:
            if self.replace:
                self.replaced[statement.key] = text
        elif statement.key == "import":
            self.imports += text
        else:
            self.added += [*text, "", ""]

    def _refuse(self, statement: Statement, name: str) -> None:
        fixed = self.fixed[f"def:{name}"]
        raise PatchError(
            "outside_evolve_block",
            f"the reply changes {name!r}, which is defined outside the EVOLVE-BLOCK (it has "
            f"{statement.first_line!r} where the program has {fixed.first_line!r}); "
            f"{KEEP_OUT}",
        )

    def edits(self, anchor: int) -> list[tuple[int, int, list[str]]]:
        """(start, stop, lines) edits of the block, last first."""
        edits = [(self.by_key[k].start, self.by_key[k].stop, t) for k, t in self.replaced.items()]
        edits += [(anchor, anchor, self.added)] if self.added else []
        edits += [(0, 0, [*self.imports, ""])] if self.imports else []
        return sorted(edits, key=lambda e: (e[0], e[1]), reverse=True)


def _outside_statements(before: str, after: str) -> list[Statement]:
    found = []
    for part in (before, after):
        try:
            found += statements(part)
        except SyntaxError:  # markers inside a compound statement
            continue
    return found


def _same_text(expected: str, got: str, where: str) -> None:
    a, b = ([x.rstrip() for x in t.strip("\n").split("\n")] for t in (expected, got))
    if a != b:
        differing = next((y for x, y in zip(a, b, strict=False) if x != y), "<a missing line>")
        raise PatchError(
            "outside_evolve_block",
            f"the reply changes the code {where} the EVOLVE-BLOCK (at {differing!r}); {KEEP_OUT}",
        )
