"""Syntactic hashing: what must not change the hash, and what must."""

from __future__ import annotations

import hashlib
import re

import pytest

from archive.hashing import normalize_source, prompt_hash, syntactic_hash

BASE = """
import numpy as np


def priority(item, bins):
    score = -(bins - item)
    return np.argmax(score)
"""

SAME = {
    "comments and blank lines": """
import numpy as np  # arrays

def priority(item, bins):

    # best fit
    score = -(bins - item)   # smaller gap first

    return np.argmax(score)
""",
    "formatting": """import numpy as np
def priority( item,bins ):
    score=-( bins-item )
    return np.argmax(
        score,
    )
""",
    "docstrings": '''"""Module docstring."""
import numpy as np


def priority(item, bins):
    """Best fit."""
    score = -(bins - item)
    return np.argmax(score)
''',
    "local and parameter names": """
import numpy as np


def priority(size, capacities):
    gaps = -(capacities - size)
    return np.argmax(gaps)
""",
    "redundant parentheses": """
import numpy as np


def priority(item, bins):
    score = (-((bins) - (item)))
    return (np.argmax(score))
""",
}

DIFFERENT = {
    "operands swapped": BASE.replace("bins - item", "item - bins"),
    "another constant": BASE.replace("-(bins - item)", "-(bins - item) + 1"),
    "another global": BASE.replace("np.argmax", "numpy.argmax"),
    "another attribute": BASE.replace("np.argmax", "np.argmin"),
    "another function name": BASE.replace("def priority", "def heuristic"),
    "parameters swapped": BASE.replace("item, bins", "bins, item"),
    "statement added": BASE.replace("    return", "    score = score * 2\n    return"),
    "keyword argument": BASE.replace("np.argmax(score)", "np.argmax(score, axis=0)"),
}


def test_base_program_normal_form() -> None:
    assert normalize_source(BASE) == (
        "import numpy as np\n\ndef priority(_v0, _v1):\n"
        "    _v2 = -(_v1 - _v0)\n    return np.argmax(_v2)"
    )


@pytest.mark.parametrize("variant", SAME.values(), ids=SAME.keys())
def test_form_does_not_change_the_hash(variant: str) -> None:
    assert syntactic_hash(variant) == syntactic_hash(BASE)


@pytest.mark.parametrize("variant", DIFFERENT.values(), ids=DIFFERENT.keys())
def test_different_programs_do_not_collide(variant: str) -> None:
    assert syntactic_hash(variant) != syntactic_hash(BASE)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("x = 1", "x = 1.0"),
        ("x = 1", "x = True"),
        ("x = 'a'", "x = b'a'"),
        ("def f(a):\n    return a - b", "def f(b):\n    return b - a"),  # b is global
        ("def f(a):\n    return len(a)", "def f(a):\n    return sum(a)"),
        (
            "def f():\n    [x for x in r]\n    return x",
            "def f():\n    [y for y in r]\n    return y",
        ),
        ("def f(a):\n    return a + _v0", "def f(a):\n    return a + a"),  # prefix taken
        ("class A:\n    x = 1", "class A:\n    y = 1"),
        ("def f():\n    global g\n    g = 1", "def f():\n    global h\n    h = 1"),
    ],
)
def test_different_names_and_constants_do_not_collide(left: str, right: str) -> None:
    assert syntactic_hash(left) != syntactic_hash(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("x = 'a'", 'x = "a"'),
        ("def f(a, b):\n    c = a\n    return c + b", "def f(p, q):\n    r = p\n    return r + q"),
        ("f = lambda x: x * 2", "f = lambda y: y * 2"),
        ("s = {k: v for k, v in d}", "s = {a: b for a, b in d}"),
        (
            "def f(a):\n    def g(b):\n        return a + b\n    return g",
            "def f(x):\n    def h(y):\n        return x + y\n    return h",
        ),
        ("def f():\n    '''doc only'''", "def f():\n    pass"),
        (
            "class A:\n    def m(self, x):\n        return self.x + x",
            "class A:\n    def m(s, y):\n        return s.x + y",
        ),
        (
            "def f(a):\n    try:\n        pass\n    except E as e:\n        return e",
            "def f(b):\n    try:\n        pass\n    except E as c:\n        return c",
        ),
    ],
)
def test_renamed_locals_share_a_hash(left: str, right: str) -> None:
    assert syntactic_hash(left) == syntactic_hash(right)


def test_nested_scopes_keep_free_and_class_names_apart() -> None:
    source = (
        "def f(a):\n    class C:\n        a = 1\n        def m(self):\n            return a\n"
        "    return C"
    )
    assert normalize_source(source) == (
        "def f(_v0):\n\n    class _v1:\n        a = 1\n\n"
        "        def m(_v2):\n            return _v0\n    return _v1"
    )


def test_unparsable_source_is_compared_by_stripped_lines() -> None:
    broken = "def f(:\n    return 1\n"
    assert normalize_source(broken) == "# unparsable\ndef f(:\nreturn 1"
    assert syntactic_hash(broken) == syntactic_hash("  def f(:  \n\n        return 1")
    assert syntactic_hash(broken) != syntactic_hash("def f(:\n    return 2\n")
    assert syntactic_hash("x = 1\n    y = 2") != syntactic_hash("x = 1\ny = 2")


def test_hashes_are_sha256_hex() -> None:
    digest = hashlib.sha256(normalize_source(BASE).encode()).hexdigest()
    assert syntactic_hash(BASE) == digest and re.fullmatch("[0-9a-f]{64}", digest)


def test_prompt_hash_is_canonical_json_of_the_messages() -> None:
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    same = [{"content": "s", "role": "system"}, {"content": "u", "role": "user"}]
    assert prompt_hash(messages) == prompt_hash(same)
    assert prompt_hash(messages) != prompt_hash(list(reversed(messages)))
    assert prompt_hash(messages) != prompt_hash([{"role": "user", "content": "su"}])
    canonical = '[{"content":"s","role":"system"},{"content":"u","role":"user"}]'
    assert prompt_hash(messages) == hashlib.sha256(canonical.encode()).hexdigest()
