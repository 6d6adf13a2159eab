"""Turn an LLM reply into a child program, or say precisely why it cannot be done.

The aim is the reply's intent: what a reference harness would run, the child runs too;
only what would change the fixed code (outside the EVOLVE-BLOCK) is refused, naming it.
A reply is read as (thinking dropped, CRLF line ends accepted):

1. SEARCH/REPLACE blocks, if it has any, applied in order to the text between the
   EVOLVE-BLOCK markers (search_replace.py).
2. Else its code (reading.py: fences, or code among prose; a cut-off reply is refused
   as "truncated"), with the evolved function found under another name or as a method
   (renaming.py), then:
   a. a full program (both markers): its block is the child's block; its changes outside
      the markers are merged into the block when they add imports or helpers, ignored
      when they only reformat or re-comment, refused when they change fixed code;
   b. other code (a function, helpers, imports, a module without markers) is merged
      into the block statement by statement (merging.py).

The child keeps the parent's text outside the block byte for byte, parses, and defines
`entry` at the top level of its block. PatchError kinds: "no_code", "truncated",
"syntax_error", "search_not_found", "ambiguous_search", "outside_evolve_block",
"missing_entry", "unmergeable".
"""

from __future__ import annotations

import ast

from evolve.exceptions import PatchError
from evolve.patches.blocks import (
    defined_names,
    drop_marker_lines,
    evolve_block,
    extract_function,
    is_full_program,
    key,
)
from evolve.patches.merging import merge, replace_program
from evolve.patches.reading import describe, pick_code, strip_thinking
from evolve.patches.renaming import entry_parameters, rename_function, rename_to_entry
from evolve.patches.search_replace import apply_edits, search_replace_blocks

__all__ = ["apply_reply", "defines_entry", "evolve_block", "extract_function", "rename_function"]


def apply_reply(parent_source: str, reply: str, entry: str) -> str:
    """The child program that `reply` describes, applied to `parent_source`.

    Raises PatchError (see the module docstring for its kinds), with a message that says
    what to change.
    """
    parent = parent_source.replace("\r\n", "\n")
    text, cut_thinking = strip_thinking(reply.replace("\r\n", "\n"))
    edits = search_replace_blocks(text)
    if edits:
        child = _renamed_block(parent, apply_edits(parent, edits), entry)
    else:
        code = _renamed(parent, pick_code(text, cut_thinking), entry)
        if is_full_program(code):
            child = replace_program(parent, code, entry)
        else:
            child = merge(parent, drop_marker_lines(code), entry)
    _check_child(child, entry)
    return child


def defines_entry(parent_source: str, code: str, entry: str) -> bool:
    """Whether `code` defines the evolved function, under its name or another one that
    `apply_reply` would take for it (renaming.py)."""
    tree = ast.parse(_renamed(parent_source, code, entry))
    return any(key(node) == f"def:{entry}" for node in tree.body)


def _renamed(parent: str, code: str, entry: str) -> str:
    """`code` with its evolved function named `entry` (renaming.py)."""
    parameters = entry_parameters(evolve_block(parent)[1], entry)
    if parameters is None:
        return code
    return rename_to_entry(code, entry, parameters, defined_names(parent) - {entry})


def _renamed_block(parent: str, child: str, entry: str) -> str:
    """The child of SEARCH/REPLACE edits, with a renamed entry in its block named back."""
    before, block, after = evolve_block(child)
    return before + _renamed(parent, block, entry) + after


def _check_child(child: str, entry: str) -> None:
    try:
        tree = ast.parse(child)
    except SyntaxError as err:
        raise PatchError("syntax_error", f"the child program, {describe(err)}") from None
    before, block, _ = evolve_block(child)
    first = before.count("\n") + 1
    last = first + block.count("\n") - 1
    if any(key(node) == f"def:{entry}" and first <= node.lineno <= last for node in tree.body):
        return
    raise PatchError(
        "missing_entry",
        f"the child does not define `{entry}` at the top level of its EVOLVE-BLOCK; "
        f"keep the function `{entry}` with its name and signature",
    )
