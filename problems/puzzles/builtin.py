"""The built-in puzzle set: 13 puzzles this project wrote, in P3's format, easiest first.

Each is a dict with P3's keys (`name`, `sat`, `ans_type`, `sol_header`, `sol_docstring`,
...). `sat` takes the answer and the puzzle's parameters, with their values as defaults;
`sol_header` repeats those parameters, as in P3. Known-correct solutions are in
tests/test_puzzles.py (so every puzzle here is solvable).
"""

from __future__ import annotations

import ast
import textwrap
from typing import Any

__all__ = ["builtin_puzzles"]

_SOURCES: list[tuple[str, str, str, str]] = [
    # (name, ans_type, docstring, sat)
    (
        "Reverse:0",
        "str",
        "Find the string whose reverse is `target`.",
        """
def sat(s: str, target="dlrow olleh"):
    return s[::-1] == target
""",
    ),
    (
        "DigitSum:0",
        "int",
        "Find a positive integer ending in 7 whose digits sum to `total`.",
        """
def sat(n: int, total=25):
    return n > 0 and n % 10 == 7 and sum(int(d) for d in str(n)) == total
""",
    ),
    (
        "DistinctSum:0",
        "List[int]",
        "Find `size` distinct positive integers that sum to `target`.",
        """
def sat(nums: List[int], target=100, size=7):
    return (len(nums) == size and len(set(nums)) == size and sum(nums) == target
            and all(n > 0 for n in nums))
""",
    ),
    (
        "Palindrome:0",
        "str",
        "Find a palindrome of length `length` with exactly `letters` distinct characters.",
        """
def sat(s: str, length=9, letters=5):
    return len(s) == length and s == s[::-1] and len(set(s)) == letters
""",
    ),
    (
        "SquareRoot:0",
        "float",
        "Find a number whose square is within 1e-6 of `a`.",
        """
def sat(x: float, a=1234.5):
    return abs(x * x - a) < 1e-6
""",
    ),
    (
        "PrimeTest:0",
        "bool",
        "Say whether `n` is prime.",
        """
def sat(b: bool, n=2147483647):
    return b == all(n % d for d in range(2, int(n ** 0.5) + 1))
""",
    ),
    (
        "ThreeFactors:0",
        "List[int]",
        "Find three integers greater than 1 whose product is `n`.",
        """
def sat(factors: List[int], n=1001):
    product = 1
    for f in factors:
        product *= f
    return len(factors) == 3 and all(f > 1 for f in factors) and product == n
""",
    ),
    (
        "Words:0",
        "List[str]",
        "Find `n` distinct lowercase words of three letters each.",
        """
def sat(words: List[str], n=5):
    return (len(words) == n and len(set(words)) == n
            and all(len(w) == 3 and w.isalpha() and w.islower() for w in words))
""",
    ),
    (
        "SparseBits:0",
        "List[bool]",
        "Find `n` booleans, exactly `ones` of them True, no two True ones adjacent.",
        """
def sat(bits: List[bool], ones=3, n=8):
    return (len(bits) == n and sum(bits) == ones
            and not any(a and b for a, b in zip(bits, bits[1:])))
""",
    ),
    (
        "SubsetSum:0",
        "List[int]",
        "Find distinct indices of `nums` whose numbers sum to `target`.",
        """
def sat(picks: List[int], nums=[31, 57, 12, 88, 45, 67, 23, 90, 14, 76], target=251):
    return (len(set(picks)) == len(picks) and all(0 <= i < len(nums) for i in picks)
            and sum(nums[i] for i in picks) == target)
""",
    ),
    (
        "MagicSquare:0",
        "List[List[int]]",
        "Find an n x n magic square of the numbers 1..n*n (rows, columns and both diagonals "
        "have the same sum).",
        """
def sat(square: List[List[int]], n=3):
    if len(square) != n or sorted(x for row in square for x in row) != list(range(1, n * n + 1)):
        return False
    total = n * (n * n + 1) // 2
    return (all(sum(row) == total for row in square)
            and all(sum(col) == total for col in zip(*square))
            and sum(square[i][i] for i in range(n)) == total
            and sum(square[i][n - 1 - i] for i in range(n)) == total)
""",
    ),
    (
        "Queens:0",
        "List[int]",
        "Place `n` non-attacking queens: cols[i] is the column of the queen in row i.",
        """
def sat(cols: List[int], n=8):
    return (sorted(cols) == list(range(n)) and len({i + c for i, c in enumerate(cols)}) == n
            and len({i - c for i, c in enumerate(cols)}) == n)
""",
    ),
    (
        "LongCollatz:0",
        "int",
        "Find a positive n below `bound` whose Collatz sequence takes more than `steps` steps "
        "to reach 1.",
        """
def sat(n: int, steps=250, bound=10000):
    count, m = 0, n
    while m > 1 and count <= steps:
        m = m // 2 if m % 2 == 0 else 3 * m + 1
        count += 1
    return 0 < n < bound and count > steps
""",
    ),
]


def builtin_puzzles() -> list[dict[str, Any]]:
    """The built-in puzzles, as P3 dicts, in order of difficulty."""
    return [_puzzle(*source) for source in _SOURCES]


def _puzzle(name: str, ans_type: str, docstring: str, sat: str) -> dict[str, Any]:
    sat = sat.strip()
    return {
        "name": name,
        "sat": sat,
        "ans_type": ans_type,
        "sol_header": _sol_header(sat),
        "sol_docstring": textwrap.indent(f'"""{docstring}"""', "    "),
        "sol_bodies": [],
        "module": "builtin",
        "notes": "",
        "weight": 1.0,
    }


def _sol_header(sat: str) -> str:
    """`def sol(<sat's parameters after the answer, with their defaults>):`, as in P3."""
    node = ast.parse(sat).body[0]
    assert isinstance(node, ast.FunctionDef)
    params = node.args.args[1:]
    defaults = node.args.defaults[-len(params) :] if params else []
    parts = [
        f"{p.arg}={ast.get_source_segment(sat, d) or ast.unparse(d)}"
        for p, d in zip(params, defaults, strict=True)
    ]
    return f"def sol({', '.join(parts)}):"
