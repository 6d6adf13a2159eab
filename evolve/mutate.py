"""`builtin:mutate`: a way to try the engine without an LLM.

It answers a request like a model would, with a fenced ```python block holding a changed
version of the entry function, which the engine's ordinary patch parser puts back into the
EVOLVE-BLOCK. The change is 1 to 3 random edits of the function's AST (see
`evolve.mutate_ops`): perturb constants, swap arithmetic and comparison operators, negate,
delete / duplicate / swap statements, wrap sub-expressions in a small grammar of useful
terms (exp, log1p, sqrt, squares, min/max, where(cond, ...), masks), add new terms `c * f(x)`
built from the function's own variables, and cross over with the entry function of
`request.other_sources`. Each edit is kept only if the function still compiles with the
same name and parameters and differs from before; otherwise another edit is tried.

Deterministic given `request.seed` (and the sources). It never reads the prompt: its
replies are `Completion(kind="mutator")`, counted as mutator steps (not LLM calls) and
stored without the prompt. No tokens, no cost, no latency; budgets in tokens or dollars
therefore never stop a builtin run, only steps (`--max-llm-calls` counts them too) and
time do.
"""

from __future__ import annotations

import ast
import copy
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from evolve.llm import BUILTIN_MUTATE, Completion, LLMRequest
from evolve.mutate_ops import OPERATORS
from evolve.mutate_slots import Context, expr_slots, is_number, module_aliases

__all__ = ["MutateLLM", "Mutation", "find_entry", "mutate_function"]

EVOLVE_BLOCK_START = "# EVOLVE-BLOCK-START"
MAX_FUNCTION_CHARS = 4000  # a mutant longer than this is refused (bloat control)
ATTEMPTS_PER_EDIT = 40
EDIT_COUNTS, EDIT_COUNT_WEIGHTS = (1, 2, 3), (0.55, 0.3, 0.15)
CROSSOVER = ("crossover_expression", "crossover_statement")


@dataclass(frozen=True)
class Mutation:
    """A mutated entry function and the edits that made it."""

    source: str
    operators: tuple[str, ...]


class MutateLLM:
    """The `builtin:mutate` client: random program transformations, answered as replies."""

    model = BUILTIN_MUTATE

    async def complete(self, request: LLMRequest) -> Completion:
        try:
            mutation = mutate_function(
                request.parent_source,
                request.entry,
                other_sources=request.other_sources,
                seed=request.seed,
            )
        except ValueError as exc:
            return Completion(
                self.model, "", error=str(exc), error_kind="bad_request", kind="mutator"
            )
        text = (
            f"builtin:mutate (random program transformation, not an LLM): "
            f"{', '.join(mutation.operators) or 'no change possible'}\n\n"
            f"```python\n{mutation.source}\n```\n"
        )
        return Completion(self.model, text, kind="mutator")


def find_entry(module: ast.Module, source: str, entry: str) -> ast.FunctionDef | None:
    """The function named `entry` (top level first); without a name, the first function
    inside the EVOLVE-BLOCK, else the first top-level function."""
    top = [n for n in module.body if isinstance(n, ast.FunctionDef)]
    if entry:
        nested = [n for n in ast.walk(module) if isinstance(n, ast.FunctionDef)]
        return next((n for n in [*top, *nested] if n.name == entry), None)
    lines = source.splitlines()
    start = next((i + 1 for i, line in enumerate(lines) if EVOLVE_BLOCK_START in line), 0)
    return next((n for n in top if n.lineno > start), top[0] if top else None)


def mutate_function(
    source: str, entry: str = "", *, other_sources: Sequence[str] = (), seed: int = 0
) -> Mutation:
    """Mutate the entry function of module `source`; ValueError when there is none."""
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"builtin:mutate cannot parse the parent program: {exc}") from None
    fn = find_entry(module, source, entry)
    if fn is None:
        raise ValueError(f"builtin:mutate found no function {entry!r} in the parent program")
    ctx = _context(module, fn, other_sources, random.Random(seed))
    original = ast.unparse(fn)
    current, applied = fn, list[str]()
    count = ctx.rng.choices(EDIT_COUNTS, weights=EDIT_COUNT_WEIGHTS)[0]
    while len(applied) < count or (applied and ast.unparse(current) == original):
        crossover_first = not applied and bool(ctx.donors) and ctx.rng.random() < 0.5
        step = (crossover_first and _edit(current, fn, ctx, CROSSOVER)) or _edit(
            current, fn, ctx, tuple(OPERATORS)
        )
        if step is None:
            break
        current, name = step
        applied.append(name)
        if len(applied) >= count + 3:
            break
    return Mutation(ast.unparse(current), tuple(applied))


def _context(
    module: ast.Module, fn: ast.FunctionDef, other_sources: Sequence[str], rng: random.Random
) -> Context:
    numpy, math, names = module_aliases(module)
    donors = []
    for other in other_sources:
        try:
            donor = find_entry(ast.parse(other), other, fn.name)
        except SyntaxError:
            continue
        if donor is not None:
            donors.append(donor)
    numbers = {n.value for f in [fn, *donors] for n in ast.walk(f) if is_number(n)}
    constants = sorted(cast(set[float], numbers))
    return Context(rng, numpy=numpy, math=math, globals=names, donors=donors, constants=constants)


def _edit(
    fn: ast.FunctionDef, original: ast.FunctionDef, ctx: Context, allowed: Sequence[str]
) -> tuple[ast.FunctionDef, str] | None:
    """One valid edit of `fn` (a new tree) and the operator's name; None if none works."""
    before = ast.unparse(fn)
    names = [n for n in allowed if ctx.donors or n not in CROSSOVER]
    if not names:
        return None
    weights = [OPERATORS[n][1] for n in names]
    for _ in range(ATTEMPTS_PER_EDIT):
        name = ctx.rng.choices(names, weights=weights)[0]
        candidate = copy.deepcopy(fn)
        if OPERATORS[name][0](candidate, expr_slots(candidate), ctx):
            checked = _checked(candidate, original, before)
            if checked is not None:
                return checked, name
    return None


def _checked(
    candidate: ast.FunctionDef, original: ast.FunctionDef, before: str
) -> ast.FunctionDef | None:
    """The candidate re-parsed from its text, if it compiles, keeps the signature and
    changed; else None."""
    try:
        text = ast.unparse(ast.fix_missing_locations(candidate))
        if text == before or len(text) > max(MAX_FUNCTION_CHARS, 2 * len(before)):
            return None
        compile(text, "<builtin:mutate>", "exec")
        tree = ast.parse(text).body[0]
    except (SyntaxError, ValueError, TypeError, RecursionError, AttributeError):
        return None
    if isinstance(tree, ast.FunctionDef) and tree.name == original.name:
        return tree if ast.dump(tree.args) == ast.dump(original.args) else None
    return None
