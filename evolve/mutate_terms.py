"""The grammar of `builtin:mutate`: new terms, conditions and shapes around an expression.

The grammar is written as Python templates whose capital names are holes: E (the
expression being changed), T (a new term), L / L2 (leaves: numeric expressions the function
already uses and that are visible where the term goes), C (a small constant), K (a
condition). `NP` stands for the module's numpy alias and `M` for its math alias. Piecewise
shapes (min/max, where, masks) are favoured over smooth unary functions, which rarely
change a ranking.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Mapping

from evolve.mutate_slots import Context, Slot, expr_size, is_number

__all__ = [
    "ARITH_OPS",
    "fill",
    "make_condition",
    "make_constant",
    "make_term",
    "pick_outer",
    "wrap_shape",
]

SMALL_CONSTANTS = (0.1, 0.5, 1, 2, 3, 5, 10, 20, 50, 100)
ARITH_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)

# Unary shapes f(E): numpy, math and plain-Python flavours.
NUMPY_UNARY = (
    "NP.exp(-NP.abs(E))",
    "NP.log1p(NP.abs(E))",
    "NP.sqrt(NP.abs(E))",
    "(E) ** 2",
    "NP.exp(E / 100)",
    "NP.abs(E)",
    "1 / (NP.abs(E) + 1)",
)
MATH_UNARY = ("M.exp(-abs(E))", "M.log1p(abs(E))", "M.sqrt(abs(E))")
SCALAR_UNARY = ("(E) ** 2", "abs(E)", "abs(E) ** 0.5", "1 / (abs(E) + 1)")
# Whole-expression rewrites: keep E and add structure around it.
NUMPY_WRAPS = (
    "NP.minimum(E, C)",
    "NP.maximum(E, C)",
    "NP.where(K, E, E + C)",
    "NP.where(K, E, C)",
    "NP.where(K, E, T)",
    "E * T",
    "E / (NP.abs(T) + 1)",
)
SCALAR_WRAPS = (
    "min(E, C)",
    "max(E, C)",
    "(E if K else E + C)",
    "(E if K else C)",
    "(E if K else T)",
    "E * T",
    "E / (abs(T) + 1)",
)
COMPARES = (
    "L < C",
    "L <= C",
    "L > C",
    "L >= C",
    "L == C",
    "L < L2",
    "L <= L2",
    "L > L2",
    "L >= L2",
)


def fill(template: str, holes: Mapping[str, ast.expr], ctx: Context) -> ast.expr:
    """Parse a grammar template and put (copies of) expressions in its holes."""
    text = template.replace("NP.", f"{ctx.numpy}.").replace("M.", f"{ctx.math}.")
    tree = ast.parse(text, mode="eval").body

    class Holes(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return copy.deepcopy(holes[node.id]) if node.id in holes else node

    return Holes().visit(tree)


def pick_outer(slots: list[Slot], ctx: Context) -> Slot:
    """A slot, favouring whole returned or assigned expressions, where a new shape changes
    the function's behaviour most."""
    weights = [
        4.0 if isinstance(s.parent, ast.Return | ast.Assign | ast.AugAssign) else 1.0 for s in slots
    ]
    return ctx.rng.choices(slots, weights=weights)[0]


def make_constant(ctx: Context, *, integral: bool = False, signed: bool = False) -> ast.expr:
    """A small constant, from the function's own constants or a standard set; `signed`
    makes it negative half of the time."""
    pool = ctx.constants if ctx.constants and ctx.rng.random() < 0.3 else SMALL_CONSTANTS
    value = ctx.rng.choice(pool)
    if integral:
        value = round(value)
    if signed and ctx.rng.random() < 0.5:
        value = -value
    return ast.Constant(value)


def _leaves(slots: list[Slot], at: Slot, ctx: Context) -> list[ast.expr]:
    """Numeric expressions the function already uses that are visible at `at`."""
    leaves = [
        s.node
        for s in slots
        if s.numeric
        and not is_number(s.node)
        and expr_size(s.node) <= 7
        and ctx.visible(s.node, at)
    ]
    return leaves or [ast.Constant(1)]


def make_term(slots: list[Slot], at: Slot, ctx: Context) -> ast.expr:
    """A new numeric term f(leaf), leaf op leaf, or a mask, made of visible names."""
    rng, leaves = ctx.rng, _leaves(slots, at, ctx)
    leaf = rng.choice(leaves)
    roll = rng.random()
    if roll < 0.15:
        return copy.deepcopy(leaf)
    if roll < 0.45:
        unary = [*(NUMPY_UNARY if ctx.numpy else SCALAR_UNARY), *(MATH_UNARY if ctx.math else ())]
        return fill(rng.choice(unary), {"E": leaf}, ctx)
    others = [x for x in leaves if ast.dump(x) != ast.dump(leaf)]
    if roll < 0.6 and others:
        op = rng.choice(ARITH_OPS)()
        return ast.BinOp(copy.deepcopy(leaf), op, copy.deepcopy(rng.choice(others)))
    return make_condition(slots, at, ctx)


def make_condition(slots: list[Slot], at: Slot, ctx: Context) -> ast.expr:
    """A comparison of a visible leaf with a constant or another leaf (a mask for numpy)."""
    leaves = _leaves(slots, at, ctx)
    first = ctx.rng.choice(leaves)
    others = [x for x in leaves if ast.dump(x) != ast.dump(first)]
    shapes = COMPARES if others else tuple(c for c in COMPARES if "L2" not in c)
    holes = {"L": first, "L2": ctx.rng.choice(others or leaves), "C": make_constant(ctx)}
    return fill(ctx.rng.choice(shapes), holes, ctx)


def wrap_shape(ctx: Context) -> str:
    """A template for wrapping E: piecewise shapes (min/max/where/products) more often than
    smooth unary functions, which rarely change a ranking."""
    if ctx.rng.random() < 0.2:
        unary = NUMPY_UNARY if ctx.numpy else SCALAR_UNARY + (MATH_UNARY if ctx.math else ())
        return ctx.rng.choice(unary)
    return ctx.rng.choice(NUMPY_WRAPS if ctx.numpy else SCALAR_WRAPS)
