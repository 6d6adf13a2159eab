"""Finding the evolved function in a reply that does not call it by its name.

- A reply that defines no `entry` but one new top-level function that takes the entry's
  arguments (EoH's `score(item, bins)` for `priority(item, bins)`, FunSearch's
  `priority_v2`) means that function: it is renamed to `entry`. With several, the one no
  other function of the reply calls is meant (the others are its helpers), then the one
  with the entry's parameter names, then one whose name starts with the entry's; when
  that still leaves several, the reply is refused naming them.
- A reply that defines `entry` as a method of a class gets `entry = Class().entry` (or
  `Class.entry` for a static or class method) after the class.
"""

from __future__ import annotations

import ast
import io
import tokenize

from evolve.exceptions import PatchError

__all__ = ["entry_parameters", "rename_function", "rename_to_entry"]

_Function = ast.FunctionDef | ast.AsyncFunctionDef


def entry_parameters(source: str, entry: str) -> list[str] | None:
    """The parameter names of the top-level function `entry` of `source`, if any."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, _Function) and node.name == entry:
            return [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
    return None


def rename_to_entry(code: str, entry: str, parameters: list[str], known: set[str]) -> str:
    """`code` with its evolved function called `entry` (see the module docstring).
    `known` holds the names the parent program defines or uses: not renamed."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    if _defines(tree, entry):
        return code
    alias = _method_alias(tree, entry)
    if alias is not None:
        return code.rstrip("\n") + f"\n\n\n{alias}\n"
    chosen = _renamed(tree, entry, parameters, known)
    if chosen is None:
        return code
    used = any(isinstance(n, ast.Name) and n.id == entry for n in ast.walk(tree))
    return _rename(code, chosen, entry, everywhere=not used)


def _defines(tree: ast.Module, entry: str) -> bool:
    for node in tree.body:
        if isinstance(node, _Function | ast.ClassDef) and node.name == entry:
            return True
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == entry for t in targets):
            return True
    return False


def _renamed(tree: ast.Module, entry: str, parameters: list[str], known: set[str]) -> str | None:
    functions = {n.name: n for n in tree.body if isinstance(n, _Function)}  # the last wins
    fits = [f for f in functions.values() if f.name not in known and _takes(f, len(parameters))]
    if len(fits) > 1:
        called = {
            n.id
            for f in functions.values()
            for n in ast.walk(f)
            if isinstance(n, ast.Name) and n.id != f.name
        }
        fits = [f for f in fits if f.name not in called] or fits
    for prefer in (
        lambda f: [a.arg for a in (*f.args.posonlyargs, *f.args.args)] == parameters,
        lambda f: f.name.startswith(entry),
    ):
        if len(fits) > 1:
            fits = [f for f in fits if prefer(f)] or fits
    if len(fits) > 1:
        names = ", ".join(f"`{f.name}`" for f in fits)
        raise PatchError(
            "missing_entry",
            f"the reply defines no `{entry}` but several functions that could be it "
            f"({names}); name the one to use `{entry}`",
        )
    return fits[0].name if fits else None


def _takes(function: _Function, count: int) -> bool:
    """Whether `function` can be called with `count` positional arguments."""
    args = function.args
    positional = len(args.posonlyargs) + len(args.args)
    required = positional - len(args.defaults)
    return required <= count and (count <= positional or args.vararg is not None)


def _method_alias(tree: ast.Module, entry: str) -> str | None:
    """`entry = Class().entry` for a class that defines the method `entry`, or None."""
    owners = [
        (node, method)
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        for method in node.body
        if isinstance(method, _Function) and method.name == entry
    ]
    if not owners:
        return None
    if len(owners) > 1:
        names = ", ".join(c.name for c, _ in owners)
        raise PatchError(
            "missing_entry",
            f"`{entry}` is a method of several classes ({names}); define one top-level "
            f"function `{entry}`",
        )
    cls, method = owners[0]
    decorators = {d.id for d in method.decorator_list if isinstance(d, ast.Name)}
    if decorators & {"staticmethod", "classmethod"}:
        return f"{entry} = {cls.name}.{entry}"
    init = next((m for m in cls.body if isinstance(m, _Function) and m.name == "__init__"), None)
    if init is not None and not _takes(init, 1):
        raise PatchError(
            "missing_entry",
            f"`{entry}` is a method of class {cls.name}, whose constructor needs arguments; "
            f"define `{entry}` as a top-level function",
        )
    return f"{entry} = {cls.name}().{entry}"


def _rename(code: str, old: str, new: str, *, everywhere: bool) -> str:
    """`code` with the function `old` called `new`: its `def` line, and with `everywhere`
    every other use of the name too (not attributes such as `self.old`)."""
    spots: list[tuple[int, int]] = []
    previous = ""
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        named = token.type == tokenize.NAME and token.string == old
        if named and (previous == "def" or (everywhere and previous != ".")):
            spots.append(token.start)
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous = token.string
    lines = code.split("\n")
    for row, col in reversed(spots):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[col + len(old) :]
    return "\n".join(lines)


def rename_function(code: str, old: str, new: str) -> str:
    """`code` with its top-level function `old` called `new` (and its uses, unless `new`
    names something else there too); PatchError "missing_entry" if there is no such
    function, or if `new` is a function of `code` as well."""
    try:
        tree = ast.parse(code)
    except SyntaxError as err:
        raise PatchError("syntax_error", f"line {err.lineno}: {err.msg}") from None
    functions = [n.name for n in tree.body if isinstance(n, _Function)]
    if old not in functions:
        raise PatchError(
            "missing_entry",
            f"no top-level function `{old}` (it defines: {', '.join(functions) or 'none'})",
        )
    if new in functions:
        raise PatchError("missing_entry", f"it defines both `{old}` and `{new}`; keep one of them")
    used = any(isinstance(n, ast.Name) and n.id == new for n in ast.walk(tree))
    return _rename(code, old, new, everywhere=not used)
