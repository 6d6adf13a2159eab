"""Syntactic hashing: programs that differ only in form get one hash.

`normalize_source` turns a program into canonical text: parsed and unparsed (comments,
blank lines and formatting go), docstrings dropped, and the local names of every function,
lambda and comprehension renamed `_v0`, `_v1`, ... in order of first appearance. Module
names (globals, imports, functions), attributes, builtins and keyword arguments are kept,
so `a - b` and `b - a`, or two different constants, never share a hash. A source that does
not parse is compared by its text with whitespace stripped per line.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["normalize_source", "prompt_hash", "syntactic_hash"]

_UNPARSABLE = "# unparsable\n"  # unparse never writes comments: no valid program collides


def syntactic_hash(source: str) -> str:
    """sha256 (hex) of `normalize_source(source)`."""
    return hashlib.sha256(normalize_source(source).encode()).hexdigest()


def prompt_hash(messages: Sequence[Mapping[str, str]]) -> str:
    """sha256 (hex) of the messages as canonical JSON (sorted keys, no spaces): the replay key."""
    canonical = json.dumps([dict(m) for m in messages], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def normalize_source(source: str) -> str:
    """The canonical text of a program (see the module docstring)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        lines = (line.strip() for line in source.splitlines())
        return _UNPARSABLE + "\n".join(line for line in lines if line)
    _Renamer(_free_prefix(source, tree)).visit(tree)
    return ast.unparse(tree)


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return body[1:] or [ast.Pass()]
    return body


def _free_prefix(source: str, tree: ast.Module) -> str:
    """A prefix for canonical names that no identifier of the program starts with."""
    if "_v" not in source:
        return "_v"  # the common case, without walking the tree
    names = {
        value
        for node in ast.walk(tree)
        for name, value in ast.iter_fields(node)
        if name in ("id", "arg", "name", "asname", "attr") and isinstance(value, str)
    }
    prefix = "_v"
    while any(name.startswith(prefix) for name in names):
        prefix = "_" + prefix
    return prefix


_DEFINITION = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_FUNCTION = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
_COMPREHENSION = ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp


@dataclass
class _Scope:
    """The names one scope binds; only function-like scopes rename theirs."""

    kind: str  # "module", "class" or "function" (lambdas and comprehensions too)
    bound: frozenset[str]
    parent: _Scope | None
    names: dict[str, str] = field(default_factory=dict)


class _Renamer(ast.NodeVisitor):
    """Renames local names in place, scope by scope, as Python resolves them."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._count = 0
        self._scope = _Scope("module", frozenset(), parent=None)

    def _rename(self, name: str) -> str:
        scope: _Scope | None = self._scope
        while scope is not None:
            if name in scope.bound:
                if scope.kind != "function":
                    return name
                if name not in scope.names:
                    scope.names[name] = f"{self._prefix}{self._count}"
                    self._count += 1
                return scope.names[name]
            scope = scope.parent
        return name

    def _enter_function(self, bound: frozenset[str]) -> _Scope:
        """Open a function-like scope; returns the scope to restore afterwards."""
        outer = parent = self._scope
        while parent.kind == "class" and parent.parent is not None:
            parent = parent.parent  # a class body is not visible from its methods
        self._scope = _Scope("function", bound, parent)
        return outer

    def _visit_all(self, nodes: Iterable[ast.AST | None]) -> None:
        for node in nodes:
            if node is not None:
                self.visit(node)

    def visit_Module(self, node: ast.Module) -> None:
        node.body = _without_docstring(node.body)
        self._visit_all(node.body)

    def visit_Name(self, node: ast.Name) -> None:
        node.id = self._rename(node.id)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        node.names = [self._rename(name) for name in node.names]

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name is not None:
            node.name = self._rename(node.name)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._visit_all(node.decorator_list)
        self._visit_signature(node.args)
        self._visit_all([node.returns])
        node.name = self._rename(node.name)
        node.body = _without_docstring(node.body)
        outer = self._enter_function(_bound_names(node.args, node.body))
        self._rename_args(node.args)
        self._visit_all(node.body)
        self._scope = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._visit_signature(node.args)
        outer = self._enter_function(_bound_names(node.args, [node.body]))
        self._rename_args(node.args)
        self.visit(node.body)
        self._scope = outer

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._visit_all([*node.decorator_list, *node.bases, *node.keywords])
        node.name = self._rename(node.name)
        node.body = _without_docstring(node.body)
        outer = self._scope
        self._scope = _Scope("class", _bound_names(None, node.body), parent=outer)
        self._visit_all(node.body)
        self._scope = outer

    def _visit_comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
    ) -> None:
        generators = node.generators
        self.visit(generators[0].iter)  # evaluated in the enclosing scope
        targets = _stored(generator.target for generator in generators)
        outer = self._enter_function(frozenset(targets))
        for index, generator in enumerate(generators):
            self.visit(generator.target)
            self._visit_all([generator.iter] if index else [])
            self._visit_all(generator.ifs)
        elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        self._visit_all(elements)
        self._scope = outer

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comprehension

    def _visit_signature(self, args: ast.arguments) -> None:
        """Defaults and annotations are evaluated in the enclosing scope."""
        self._visit_all([*args.defaults, *args.kw_defaults])
        every = [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]
        self._visit_all(arg.annotation for arg in every if arg is not None)

    def _rename_args(self, args: ast.arguments) -> None:
        every = [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]
        for arg in every:
            if arg is not None:
                arg.arg = self._rename(arg.arg)


def _bound_names(args: ast.arguments | None, body: Sequence[ast.AST]) -> frozenset[str]:
    """Names a function (or class) body binds itself, minus those it cannot rename safely.

    Names bound by import, `global`, `nonlocal` or a match pattern are left as they are.
    """
    bound: set[str] = set()
    if args is not None:
        every = [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]
        bound.update(arg.arg for arg in every if arg is not None)
    kept: set[str] = set()
    for node in _own_scope_nodes(body):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, _DEFINITION | ast.ExceptHandler) and node.name:
            bound.add(node.name)  # a def, a class or `except ... as name`
        elif isinstance(node, ast.Global | ast.Nonlocal):
            kept.update(node.names)
        elif isinstance(node, ast.alias):
            kept.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            kept.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            kept.add(node.rest)
    return frozenset(bound - kept)


def _own_scope_nodes(body: Sequence[ast.AST]) -> Iterator[ast.AST]:
    """Nodes of a scope's body, without descending into nested scopes.

    Of a comprehension only walrus targets belong to the enclosing scope.
    """
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _FUNCTION | ast.ClassDef):
            continue
        if isinstance(node, _COMPREHENSION):
            walrus = (n for n in ast.walk(node) if isinstance(n, ast.NamedExpr))
            yield from (n.target for n in walrus)
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _stored(targets: Iterable[ast.AST]) -> set[str]:
    return {
        node.id
        for target in targets
        for node in ast.walk(target)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
