"""The mutation operators of `builtin:mutate`, each one edit of the entry function's AST.

Every operator has the signature `(fn, slots, ctx) -> bool`: it changes `fn` in place and
returns True, or returns False when it does not apply (no constant to perturb, no second
statement to delete, no donor for crossover). `evolve.mutate` picks operators by weight,
checks that the result still compiles with the same signature, and retries otherwise.
"""

from __future__ import annotations

import ast
import copy
import math
from collections.abc import Callable

from evolve.mutate_slots import ORDER_OPS, Context, Slot, expr_slots, function_locals, names_in
from evolve.mutate_terms import (
    ARITH_OPS,
    fill,
    make_condition,
    make_constant,
    make_term,
    pick_outer,
    wrap_shape,
)

__all__ = ["OPERATORS", "Operator"]

Operator = Callable[[ast.FunctionDef, list[Slot], Context], bool]


def _numbers(slots: list[Slot]) -> list[Slot]:
    return [
        s
        for s in slots
        if isinstance(s.node, ast.Constant)
        and isinstance(s.node.value, int | float)
        and not isinstance(s.node.value, bool)
    ]


def _tidy(value: float) -> float:
    """Four significant digits: readable constants, no 0.30000000000000004."""
    return 0.0 if value == 0 or not math.isfinite(value) else float(f"{value:.4g}")


def perturb_constant(fn: ast.FunctionDef, slots: list[Slot], ctx: Context) -> bool:
    """Scale, shift, flip the sign of, or replace one numeric constant."""
    numbers = _numbers(slots)
    if not numbers:
        return False
    slot, rng = ctx.rng.choice(numbers), ctx.rng
    old = slot.node.value  # type: ignore[attr-defined]
    roll = rng.random()
    if roll < 0.45:
        new = old * math.exp(rng.gauss(0, 0.5))
    elif roll < 0.8:
        new = old + rng.gauss(0, max(1.0, abs(old) * 0.3))
    elif roll < 0.9:
        new = -old
    else:
        new = make_constant(ctx).value  # type: ignore[attr-defined]
    keep_int = isinstance(old, int) and (slot.integral or rng.random() < 0.5)
    new = round(new) if keep_int else _tidy(new)
    if new == old:
        new = old + (1 if keep_int else 0.5)
    slot.replace(ast.Constant(new))
    return True


def swap_operator(fn: ast.FunctionDef, slots: list[Slot], ctx: Context) -> bool:
    """Change an arithmetic operator (+ - * / and rarely **), or swap its operands."""
    binops = [
        s.node
        for s in slots
        if isinstance(s.node, ast.BinOp) and isinstance(s.node.op, (*ARITH_OPS, ast.Pow))
    ]
    if not binops:
        return False
    node, rng = ctx.rng.choice(binops), ctx.rng
    if rng.random() < 0.2:
        node.left, node.right = node.right, node.left
        return True
    choices = [op for op in (*ARITH_OPS, ast.Pow) if not isinstance(node.op, op)]
    weights = [0.3 if op is ast.Pow else 1.0 for op in choices]
    node.op = rng.choices(choices, weights=weights)[0]()
    return True


def swap_comparison(fn: ast.FunctionDef, slots: list[Slot], ctx: Context) -> bool:
    """Change a comparison (< <= > >=, == !=) or a boolean operator (and/or)."""
    found = [n for n in (s.node for s in slots) if isinstance(n, ast.Compare | ast.BoolOp)]
    if not found:
        return False
    node = found[ctx.rng.randrange(len(found))]
    if isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        return True
    i = ctx.rng.randrange(len(node.ops))
    old = node.ops[i]
    if isinstance(old, ORDER_OPS):
        node.ops[i] = ctx.rng.choice([op for op in ORDER_OPS if not isinstance(old, op)])()
    else:
        swaps = {
            ast.Eq: ast.NotEq,
            ast.NotEq: ast.Eq,
            ast.In: ast.NotIn,
            ast.NotIn: ast.In,
            ast.Is: ast.IsNot,
            ast.IsNot: ast.Is,
        }
        node.ops[i] = swaps[type(old)]()
    return True


def negate(fn: ast.FunctionDef, slots: list[Slot], ctx: Context) -> bool:
    """Drop a unary minus / `not`, or negate a numeric expression."""
    unary = [
        s
        for s in slots
        if isinstance(s.node, ast.UnaryOp) and isinstance(s.node.op, ast.USub | ast.Not)
    ]
    numeric = [s for s in slots if s.numeric and not s.integral]
    if unary and (not numeric or ctx.rng.random() < 0.5):
        slot = ctx.rng.choice(unary)
        slot.replace(slot.node.operand)  # type: ignore[attr-defined]
        return True
    if not numeric:
        return False
    slot = ctx.rng.choice(numeric)
    slot.replace(ast.UnaryOp(ast.USub(), slot.node))
    return True


def wrap_expression(fn: ast.FunctionDef, slots: list[Slot], ctx: Context) -> bool:
    """Wrap a numeric expression: f(E), min/max(E, c), where(cond, E, ...), E * term."""
    numeric = [s for s in slots if s.numeric and not s.integral]
    if not numeric:
        return False
    slot = pick_outer(numeric, ctx)
    holes = {
        "E": slot.node,
        "C": make_constant(ctx, signed=True),
        "T": make_term(slots, slot, ctx),
        "K": make_condition(slots, slot, ctx),
    }
    slot.replace(fill(wrap_shape(ctx), holes, ctx))
    return True


def add_term(fn: ast.FunctionDef, slots: list[Slot], ctx: Context) -> bool:
    """E -> E + c * term, where term is built from names visible at E (maybe a mask)."""
    numeric = [s for s in slots if s.numeric and not s.integral]
    if not numeric:
        return False
    slot = pick_outer(numeric, ctx)
    constant = make_constant(ctx)
    if ctx.rng.random() < 0.5:
        constant = ast.Constant(-constant.value)  # type: ignore[attr-defined]
    holes = {"E": slot.node, "C": constant, "T": make_term(slots, slot, ctx)}
    slot.replace(fill("E + C * T", holes, ctx))
    return True


def replace_expression(fn: ast.FunctionDef, slots: list[Slot], ctx: Context) -> bool:
    """Replace a variable, constant or call in numeric use with a new term or a constant."""
    numeric = [
        s
        for s in slots
        if s.numeric
        and not isinstance(s.parent, ast.Return)
        and isinstance(s.node, ast.Name | ast.Subscript | ast.Constant | ast.Call)
    ]
    if not numeric:
        return False
    slot = ctx.rng.choice(numeric)
    if slot.integral or ctx.rng.random() < 0.3:
        slot.replace(make_constant(ctx, integral=slot.integral))
    else:
        slot.replace(make_term(slots, slot, ctx))
    return True


def _blocks(fn: ast.FunctionDef) -> list[list[ast.stmt]]:
    """Every statement list of the function (its body, loop and branch bodies)."""
    blocks = [fn.body]
    for node in ast.walk(fn):
        if node is not fn and isinstance(node, ast.stmt):
            blocks.extend(
                getattr(node, f)
                for f in ("body", "orelse", "finalbody")
                if isinstance(getattr(node, f, None), list) and getattr(node, f)
            )
    return blocks


def _movable(block: list[ast.stmt], i: int) -> bool:
    stmt = block[i]
    docstring = isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
    return not docstring and not isinstance(stmt, ast.Return | ast.FunctionDef)


def delete_statement(fn: ast.FunctionDef, slots: list[Slot], ctx: Context) -> bool:
    """Delete a statement (never a block's last one, a return or the docstring)."""
    spots = [(b, i) for b in _blocks(fn) if len(b) > 1 for i in range(len(b)) if _movable(b, i)]
    if not spots:
        return False
    block, i = ctx.rng.choice(spots)
    del block[i]
    return True


def duplicate_statement(fn: ast.FunctionDef, slots: list[Slot], ctx: Context) -> bool:
    """Repeat a statement right after itself (e.g. an update applied twice)."""
    spots = [(b, i) for b in _blocks(fn) for i in range(len(b)) if _movable(b, i)]
    if not spots:
        return False
    block, i = ctx.rng.choice(spots)
    block.insert(i + 1, copy.deepcopy(block[i]))
    return True


def swap_statements(fn: ast.FunctionDef, slots: list[Slot], ctx: Context) -> bool:
    """Swap two adjacent statements of a block."""
    spots = [
        (b, i)
        for b in _blocks(fn)
        for i in range(len(b) - 1)
        if _movable(b, i) and _movable(b, i + 1)
    ]
    if not spots:
        return False
    block, i = ctx.rng.choice(spots)
    block[i], block[i + 1] = block[i + 1], block[i]
    return True


def crossover_expression(fn: ast.FunctionDef, slots: list[Slot], ctx: Context) -> bool:
    """Put a donor's numeric expression in place of, or blended into, one of ours."""
    if not ctx.donors:
        return False
    donor_exprs = [
        s.node
        for s in expr_slots(ctx.rng.choice(ctx.donors))
        if s.numeric and not isinstance(s.node, ast.Constant | ast.Name)
    ]
    targets = [s for s in slots if s.numeric and not s.integral]
    pairs = [(t, d) for t in targets for d in donor_exprs if ctx.visible(d, t)]
    if not pairs:
        return False
    target, donor = ctx.rng.choice(pairs)
    if ctx.rng.random() < 0.5:
        target.replace(copy.deepcopy(donor))
    else:
        holes = {"E": target.node, "D": donor, "C": make_constant(ctx)}
        target.replace(fill(ctx.rng.choice(("E + C * D", "E * D", "(E + D) / 2")), holes, ctx))
    return True


def crossover_statement(fn: ast.FunctionDef, slots: list[Slot], ctx: Context) -> bool:
    """Insert a donor's statement into our body, or let it replace one of ours."""
    if not ctx.donors:
        return False
    donor = ctx.rng.choice(ctx.donors)
    known = function_locals(fn) | ctx.globals
    stmts = [
        s
        for i, s in enumerate(donor.body)
        if _movable(donor.body, i) and names_in(s) <= known | names_in(s, ast.Store)
    ]
    if not stmts:
        return False
    stmt = copy.deepcopy(ctx.rng.choice(stmts))
    last = len(fn.body) - 1 if isinstance(fn.body[-1], ast.Return) else len(fn.body)
    movable = [i for i in range(last) if _movable(fn.body, i)]
    if movable and ctx.rng.random() < 0.5:
        fn.body[ctx.rng.choice(movable)] = stmt
    else:
        first = 1 if not _movable(fn.body, 0) and not isinstance(fn.body[0], ast.Return) else 0
        fn.body.insert(ctx.rng.randint(first, max(first, last)), stmt)
    return True


# name -> (operator, weight); crossover operators only apply when donors exist.
OPERATORS: dict[str, tuple[Operator, float]] = {
    "perturb_constant": (perturb_constant, 3.0),
    "swap_operator": (swap_operator, 1.0),
    "swap_comparison": (swap_comparison, 1.0),
    "negate": (negate, 0.3),
    "wrap_expression": (wrap_expression, 3.5),
    "add_term": (add_term, 3.5),
    "replace_expression": (replace_expression, 0.8),
    "delete_statement": (delete_statement, 0.7),
    "duplicate_statement": (duplicate_statement, 0.3),
    "swap_statements": (swap_statements, 0.5),
    "crossover_expression": (crossover_expression, 2.0),
    "crossover_statement": (crossover_statement, 1.0),
}
