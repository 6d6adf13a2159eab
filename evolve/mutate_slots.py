"""What `builtin:mutate` knows about a function: its expression slots and their scopes.

A `Slot` is a place in the entry function's AST where an expression sits and may be
replaced, with the local names visible there (parameters, names assigned by earlier
statements, loop, lambda and comprehension variables), so that a new term only uses names
that exist at that point. An expression is "numeric" when the code itself uses it in
arithmetic or an ordering comparison; only numeric slots are wrapped in functions or get new
terms, so mutations of non-numeric code (sets, dicts, node ids) stay plausible.
"""

from __future__ import annotations

import ast
import builtins
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TypeGuard

__all__ = [
    "ORDER_OPS",
    "Context",
    "Slot",
    "expr_size",
    "expr_slots",
    "function_locals",
    "is_number",
    "module_aliases",
    "names_in",
]

ORDER_OPS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
NUMERIC_CALLS = frozenset({"abs", "round", "float", "int", "pow"})
INDEX_CALLS = frozenset({"range", "int", "len"})


@dataclass(frozen=True)
class Slot:
    """An expression in the function that may be replaced.

    Attributes:
        parent / field / index: where it sits (`index` None for a single-node field).
        node: the expression itself.
        scope: local names visible there.
        numeric: the code uses it as a number.
        integral: it is an index or a count (subscripts, range()), so it must stay an int.
    """

    parent: ast.AST
    field: str
    index: int | None
    node: ast.expr
    scope: frozenset[str]
    numeric: bool = False
    integral: bool = False

    def replace(self, new: ast.expr) -> None:
        if self.index is None:
            setattr(self.parent, self.field, new)
        else:
            getattr(self.parent, self.field)[self.index] = new


@dataclass
class Context:
    """Everything a mutation may draw on, besides the function it changes.

    Attributes:
        rng: the only source of randomness (seeded per request).
        numpy / math: the module's aliases for numpy and math, None when not imported.
        globals: module-level names plus builtins (always in scope).
        donors: entry functions of the other programs, for crossover.
        constants: numeric constants seen in the function and donors.
    """

    rng: random.Random
    numpy: str | None = None
    math: str | None = None
    globals: frozenset[str] = frozenset()
    donors: list[ast.FunctionDef] = field(default_factory=list)
    constants: list[float] = field(default_factory=list)

    def visible(self, node: ast.AST, slot: Slot) -> bool:
        """True when every name `node` reads exists at `slot`."""
        return names_in(node) <= slot.scope | self.globals


def module_aliases(module: ast.Module) -> tuple[str | None, str | None, frozenset[str]]:
    """(numpy alias, math alias, module-level names) of a parsed module."""
    aliases: dict[str, str] = {}
    top: set[str] = set(dir(builtins))
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases.setdefault(a.name, a.asname or a.name)
                top.add(a.asname or a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            top.update(a.asname or a.name for a in node.names)
    for stmt in module.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            top.add(stmt.name)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            top.update(names_in(stmt, ast.Store))
    return aliases.get("numpy"), aliases.get("math"), frozenset(top)


def expr_size(node: ast.AST) -> int:
    """Number of expression nodes in `node`."""
    return sum(1 for n in ast.walk(node) if isinstance(n, ast.expr))


def names_in(node: ast.AST, ctx: type[ast.expr_context] = ast.Load) -> set[str]:
    """Names that `node` reads (or writes, with ctx=ast.Store)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}


def _params(fn: ast.FunctionDef) -> set[str]:
    a = fn.args
    params = {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]}
    params.update(x.arg for x in (a.vararg, a.kwarg) if x is not None)
    return params


def _stores(node: ast.AST) -> Iterator[str]:
    """Names assigned in `node`, not counting lambda and comprehension variables."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Lambda | ast.comprehension):
            continue
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            yield child.id
        yield from _stores(child)


def function_locals(fn: ast.FunctionDef) -> frozenset[str]:
    """Parameters and names assigned anywhere in the function body."""
    return frozenset(_params(fn) | set(_stores(fn)))


def expr_slots(fn: ast.FunctionDef) -> list[Slot]:
    """Every replaceable expression of the function body, with scope and numeric flags."""
    raw: list[Slot] = []
    defined = frozenset(_params(fn))
    for stmt in fn.body:  # a simple statement sees the names assigned before it
        own = set(_stores(stmt))
        simple = isinstance(
            stmt, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Return | ast.Expr
        )
        _collect(stmt, defined if simple else defined | own, raw)
        defined |= own
    numeric = [_is_numeric(slot) for slot in raw]
    texts = {
        ast.unparse(s.node) for s, num in zip(raw, numeric, strict=True) if num and _is_leaf(s.node)
    }
    numeric = [
        num or (_is_leaf(s.node) and ast.unparse(s.node) in texts)
        for s, num in zip(raw, numeric, strict=True)
    ]
    if not any(numeric):  # nothing says what is a number (`return x`): assume values are
        numeric = [isinstance(s.node, ast.Name | ast.Subscript | ast.Call | ast.BinOp) for s in raw]
    return [
        replace(s, numeric=num, integral=_is_integral(s))
        for s, num in zip(raw, numeric, strict=True)
    ]


def _collect(node: ast.AST, scope: frozenset[str], out: list[Slot]) -> None:
    if isinstance(node, ast.Lambda):
        inner = scope | {a.arg for a in node.args.args}
        _visit_field(node, "body", node.body, None, inner, out)
        return
    if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        inner = scope | {n for g in node.generators for n in names_in(g.target, ast.Store)}
        for name, value in ast.iter_fields(node):
            _visit_value(node, name, value, inner, out)
        return
    for name, value in ast.iter_fields(node):
        if isinstance(node, ast.Call) and name == "func":
            if isinstance(value, ast.Attribute) and not isinstance(value.value, ast.Name):
                _visit_field(value, "value", value.value, None, scope, out)
            continue
        if isinstance(node, ast.Attribute) and name == "value" and isinstance(value, ast.Name):
            continue
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and name != "body":
            continue
        _visit_value(node, name, value, scope, out)


def _visit_value(
    node: ast.AST, name: str, value: object, scope: frozenset[str], out: list[Slot]
) -> None:
    if isinstance(value, list):
        for i, item in enumerate(value):
            _visit_field(node, name, item, i, scope, out)
    else:
        _visit_field(node, name, value, None, scope, out)


def _visit_field(
    parent: ast.AST,
    name: str,
    value: object,
    index: int | None,
    scope: frozenset[str],
    out: list[Slot],
) -> None:
    if not isinstance(value, ast.AST):
        return
    if isinstance(getattr(value, "ctx", None), ast.Store | ast.Del):
        if isinstance(value, ast.Subscript):  # x[i] = ...: the index i is read
            _visit_field(value, "slice", value.slice, None, scope, out)
        return
    if (
        isinstance(value, ast.expr)
        and not _is_docstring(parent, value)
        and not (isinstance(value, ast.Slice | ast.Starred | ast.JoinedStr | ast.FormattedValue))
    ):
        out.append(Slot(parent, name, index, value, scope))
    if not isinstance(value, ast.JoinedStr):
        _collect(value, scope, out)


def _is_docstring(parent: ast.AST, value: ast.AST) -> bool:
    return isinstance(parent, ast.Expr) and isinstance(value, ast.Constant)


def is_number(node: ast.AST) -> TypeGuard[ast.Constant]:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    )


def _is_leaf(node: ast.AST) -> bool:
    return isinstance(node, ast.Name | ast.Subscript | ast.Attribute)


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return func.id if isinstance(func, ast.Name) else ""


def _is_numeric(slot: Slot) -> bool:
    node, parent = slot.node, slot.parent
    if is_number(node) or (isinstance(node, ast.BinOp) and not isinstance(node.op, ast.BitOr)):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return True
    if isinstance(parent, ast.BinOp | ast.AugAssign | ast.Lambda) or (
        isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.USub | ast.UAdd)
    ):
        return True
    if isinstance(parent, ast.Compare):
        return all(isinstance(op, ORDER_OPS) for op in parent.ops)
    if isinstance(parent, ast.Call) and slot.field == "args":
        name = _call_name(parent)
        return "." in name or name in NUMERIC_CALLS
    return isinstance(node, ast.Call) and "." in _call_name(node) and not _is_leaf(parent)


def _is_integral(slot: Slot) -> bool:
    if isinstance(slot.parent, ast.Subscript | ast.Slice) and slot.field != "value":
        return True
    return isinstance(slot.parent, ast.Call) and _call_name(slot.parent) in INDEX_CALLS
