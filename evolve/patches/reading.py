"""Finding the code in a reply: past thinking, prose and fences; noticing a cut-off reply.

- `<think>`, `<thinking>` and `<reasoning>` blocks are dropped; text before a closing tag
  whose opening tag was in the prompt template is dropped too.
- Fenced code: every ``` fence that holds Python (tagged python/py or untagged, and
  parsing), in order, so a helper in one fence and the function in the next both count;
  a fence that holds a full program (both markers) is taken alone. Fences of other
  languages, output (an untagged fence without a definition, import or assignment) and
  doctest snippets are skipped.
- No fence: the lines of code among the prose (from a `def`, `class`, `import`, `from` or
  decorator line at the left margin to the next prose line), else the whole reply if it
  is Python.
- A reply that ends inside a fence whose code does not parse, or inside its thinking, was
  cut off: PatchError "truncated", saying so.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

from evolve.exceptions import PatchError
from evolve.patches.blocks import is_full_program
from evolve.patches.search_replace import FORMAT

__all__ = ["FORMAT_HINT", "pick_code", "strip_thinking"]

FORMAT_HINT = (
    f"reply with SEARCH/REPLACE blocks (lines:\n{FORMAT}\n) or with the new function in a "
    "```python fence"
)
_TAGS = "think|thinking|reasoning"
_THINK = re.compile(rf"<({_TAGS})>.*?</\1>", re.DOTALL | re.IGNORECASE)
_CLOSE_TAG = re.compile(rf"</(?:{_TAGS})>", re.IGNORECASE)
_OPEN_TAG = re.compile(rf"<(?:{_TAGS})>", re.IGNORECASE)
_PYTHON_TAGS = {"", "python", "py", "python3", "py3", "ipython", "python3.11"}
_CODE_START = re.compile(r"^(?:async\s+def |def |class |import |from \S+ import |@\w)")
_CODE_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*\s*(?::[^=\n]+)?=[^=]|[A-Za-z_][\w.]*\(|[)\]}#])")
_ASSIGNS = re.compile(r"^[A-Za-z_]\w*\s*=[^=]", re.M)
_DEFINES = re.compile(r"^\s*(?:async\s+)?def \w", re.M)
_LOOKS_LIKE_CODE = re.compile(r"^\s*(?:def |class |import |from \S+ import |return\b)", re.M)


@dataclass(frozen=True)
class Fence:
    """The text of a ``` fence, its language tag, and whether its closing line came."""

    code: str
    language: str
    closed: bool


def strip_thinking(text: str) -> tuple[str, bool]:
    """(the reply without its thinking, whether it ended inside an unclosed thinking block)."""
    text = _THINK.sub("", text)
    closes = list(_CLOSE_TAG.finditer(text))
    if closes:  # the opening tag was part of the prompt template
        text = text[closes[-1].end() :]
    opened = _OPEN_TAG.search(text)
    if opened:  # thinking cut off: no answer follows it
        return text[: opened.start()], True
    return text, False


def fences(text: str) -> list[Fence]:
    """The ``` fences of a reply; an unclosed last fence (a cut-off reply) runs to the end."""
    found: list[Fence] = []
    lines: list[str] | None = None
    language = ""
    for line in text.split("\n"):
        stripped = line.strip()
        if lines is None and stripped.startswith("```"):
            lines, language = [], _language(stripped)
        elif lines is not None and stripped.startswith("```") and not stripped.strip("`"):
            found.append(Fence(_tidy(lines), language, closed=True))
            lines = None
        elif lines is not None:
            lines.append(line)
    if lines is not None:
        found.append(Fence(_tidy(lines), language, closed=False))
    return [f for f in found if f.code.strip()]


def _language(opening: str) -> str:
    """The language tag of a fence's opening line: "```Python title=x.py" -> "python"."""
    words = opening.strip("`").strip().split()
    return re.split(r"[:{]", words[0])[0].lower() if words else ""


def pick_code(text: str, cut_thinking: bool = False) -> str:
    """The code of a reply (see the module docstring); PatchError "no_code",
    "syntax_error" or "truncated" when there is none to take."""
    found = fences(text)
    if found:
        return _fenced_code(found)
    code = _code_among_prose(text)
    if code is not None:
        return code
    if cut_thinking:
        raise PatchError(
            "truncated",
            "the reply ended inside its thinking, before any code (it was cut off); think "
            f"less or raise the model's output token limit, then {FORMAT_HINT}",
        )
    raise PatchError("no_code", f"the reply has no code; {FORMAT_HINT}")


def _fenced_code(found: list[Fence]) -> str:
    last = found[-1]
    if not last.closed and not _parses(last.code) and _LOOKS_LIKE_CODE.search(last.code):
        lines = last.code.rstrip("\n").split("\n")
        raise PatchError(
            "truncated",
            f"the reply was cut off inside its last code block (no closing ``` and the code "
            f"stops at line {len(lines)}: {lines[-1].strip()!r}); reply with shorter code: "
            "only the changed function, or SEARCH/REPLACE blocks",
        )
    python = [f for f in found if f.language in _PYTHON_TAGS and (f.language or _is_code(f))]
    defining = [f for f in python if _DEFINES.search(f.code)]
    if defining and not _parses(defining[-1].code):  # the last definitions decide
        _raise_syntax_error(defining[-1].code)
    good = [f.code for f in python if _parses(f.code)]
    full = [code for code in good if is_full_program(code)]
    if full:
        return full[-1]
    if not good:
        raise PatchError("no_code", f"the reply's code blocks hold no Python; {FORMAT_HINT}")
    return "\n\n".join(code.rstrip("\n") for code in good) + "\n"


def _is_code(fence: Fence) -> bool:
    """Whether an untagged fence holds code, not output such as `score: 3.98`."""
    return bool(_LOOKS_LIKE_CODE.search(fence.code) or _ASSIGNS.search(fence.code))


def _code_among_prose(text: str) -> str | None:
    """The lines of code in a reply without fences, or None."""
    whole = textwrap.dedent(text).strip("\n") + "\n"
    if _parses(whole) and _CODE_START.search(whole.lstrip()):
        return whole
    picked: list[str] = []
    inside = False
    for line in text.split("\n"):
        starts = bool(_CODE_START.match(line))
        if starts or (inside and (not line.strip() or line[0] in " \t" or _CODE_LINE.match(line))):
            picked.append(line)
            inside = True
        else:
            inside = False
    code = "\n".join(picked).strip("\n") + "\n"
    if not picked:
        return None
    if not _parses(code):
        _raise_syntax_error(code)
    return code


def _raise_syntax_error(code: str) -> None:
    try:
        ast.parse(code)
    except SyntaxError as err:
        raise PatchError("syntax_error", f"the reply's code, {describe(err)}") from None


def describe(err: SyntaxError) -> str:
    """'line N: message: the line' of a syntax error."""
    where = f"line {err.lineno}" if err.lineno else "somewhere"
    text = (err.text or "").strip()
    return f"{where}: {err.msg}" + (f": {text!r}" if text else "")


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def _tidy(lines: list[str]) -> str:
    return textwrap.dedent("\n".join(lines)).strip("\n") + "\n"
