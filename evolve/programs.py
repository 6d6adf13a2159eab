"""Program files as users give them: a full program, or a published heuristic as its
authors wrote it (just the function, under its own name).

`evolve eval PROBLEM FILE [--entry NAME]` scores such a file; `evolve run PROBLEM
--seed-program FILE [--entry NAME]` starts a search from it instead of the template.
A file with EVOLVE-BLOCK markers is taken as it is. Any other file is read as an LLM
reply would be (evolve/patches): its code goes into the problem's template, its function
under another name with the entry's arguments (EoH's `score`, FunSearch's `heuristic`)
is renamed to the entry. `--entry NAME` says which function it is when that is not clear.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from evolve.exceptions import EvolveError, PatchError
from evolve.patches import apply_reply, defines_entry, rename_function
from problems import Problem, check_template

__all__ = ["program_source", "with_seed_program"]


def program_source(problem: Problem, program: Path, entry: str | None = None) -> str:
    """The full program of a file (see the module docstring); `entry` is the name of its
    evolved function when that is not `problem.entry`."""
    try:
        text = program.read_text()
    except FileNotFoundError:
        raise EvolveError(f"{program}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise EvolveError(f"{program}: cannot read the file: {error}") from None
    try:
        if entry is not None and entry != problem.entry:
            text = rename_function(text, entry, problem.entry)
        if "EVOLVE-BLOCK-START" in text or "EVOLVE-BLOCK-END" in text:
            check_template(text, problem.entry, program)
            return text
        child = apply_reply(problem.template, text, problem.entry)
        if not defines_entry(problem.template, text, problem.entry):
            raise PatchError("missing_entry", f"its code has no function {problem.entry}")
        return child
    except PatchError as error:
        raise EvolveError(
            f"{program}: {error}; give a full program with EVOLVE-BLOCK markers or a "
            f"file that defines {problem.entry}(...) (or name its function with --entry)"
        ) from None


def with_seed_program(problem: Problem, program: Path, entry: str | None = None) -> Problem:
    """The problem with the program in `program` as its seed (its template)."""
    return dataclasses.replace(problem, template=program_source(problem, program, entry))
