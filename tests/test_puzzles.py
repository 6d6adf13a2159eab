"""Python Programming Puzzles: answer types, the sandboxed sat check, the puzzle sets."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import problems
from problems import InvalidOutput, ProblemError, check_template
from problems.puzzles import (
    SUITES,
    check_answer,
    check_sat,
    load_suite,
    parse_ans_type,
    puzzle_problem,
    score,
)

# A known-correct answer for every built-in puzzle: they are all solvable.
BUILTIN_ANSWERS: dict[str, Any] = {
    "Reverse:0": "hello world",
    "DigitSum:0": 6667,
    "DistinctSum:0": [1, 2, 3, 4, 5, 6, 79],
    "Palindrome:0": "abcdedcba",
    "SquareRoot:0": 1234.5**0.5,
    "PrimeTest:0": True,
    "ThreeFactors:0": [7, 11, 13],
    "Words:0": ["abc", "abd", "abe", "abf", "abg"],
    "SparseBits:0": [True, False, True, False, True, False, False, False],
    "SubsetSum:0": [1, 5, 6, 7, 8],
    "MagicSquare:0": [[2, 7, 6], [9, 5, 1], [4, 3, 8]],
    "Queens:0": [0, 4, 7, 5, 2, 6, 1, 3],
    "LongCollatz:0": 6171,
}


def puzzle(sat: str, ans_type: str = "str", name: str = "T:0") -> dict[str, Any]:
    return {"name": name, "sat": sat, "ans_type": ans_type, "sol_header": "def sol():",
            "sol_docstring": '    """A test puzzle."""'}  # fmt: skip


@pytest.mark.parametrize(
    ("ans_type", "good", "bad"),
    [
        ("int", [0, -3, 10**30], [True, 1.0, "1", None, [1]]),
        ("float", [0.5, 2], [True, "0.5", None]),
        ("bool", [True, False], [0, 1, "True"]),
        ("str", ["", "x"], [b"x", 1, ["x"]]),
        ("List[int]", [[], [1, 2]], [[1, True], (1, 2), [1.0], "12", {"a": 1}]),
        ("List[List[int]]", [[[1], []]], [[1], [[1, "2"]], [[[1]]]]),
        ("List[ str ]", [["a"]], [[1]]),
    ],
)
def test_answer_types(ans_type: str, good: list[Any], bad: list[Any]) -> None:
    parsed = parse_ans_type(ans_type)
    for value in good:
        check_answer(parsed, value)
    for value in bad:
        with pytest.raises(InvalidOutput):
            check_answer(parsed, value)


def test_unknown_answer_types_are_refused() -> None:
    assert str(parse_ans_type("List[List[List[int]]]")) == "List[List[List[int]]]"
    for text in ("Dict[str, int]", "List[int", "tuple", ""):
        with pytest.raises(ProblemError, match="unsupported answer type"):
            parse_ans_type(text)


def test_wrong_type_names_the_element() -> None:
    with pytest.raises(InvalidOutput, match=r"answer\[1\]\[0\] must be int, got bool"):
        check_answer(parse_ans_type("List[List[int]]"), [[1], [True]])


def test_sat_decides_the_score_in_a_separate_sandbox() -> None:
    instance = puzzle('def sat(s: str, n=3):\n    return s == "ab" * n')
    assert score(instance, "ababab") == {"score": 1.0, "solved": 1.0}
    assert score(instance, "ab") == {"score": 0.0, "solved": 0.0}
    with pytest.raises(InvalidOutput, match="must be str"):
        score(instance, 3)


def test_only_true_itself_solves() -> None:
    truthy = puzzle("def sat(s: str):\n    return len(s)")
    verdict = check_sat(truthy["sat"], "abc")
    assert not verdict.solved and verdict.status == "false" and "3" in verdict.detail
    failing = check_sat("def sat(s: str):\n    assert s == 'x'\n    return True", "y")
    assert not failing.solved and failing.status == "error"


@pytest.mark.slow
def test_a_looping_sat_times_out_at_one_second() -> None:
    started = time.monotonic()
    verdict = check_sat("def sat(s: str):\n    while True:\n        pass", "loop")
    assert verdict.status == "timeout" and not verdict.solved
    assert time.monotonic() - started < 5
    assert score(puzzle("def sat(s: str):\n    while s:\n        pass"), "x")["score"] == 0.0


def test_a_hostile_answer_is_only_data(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    code = f"__import__('pathlib').Path({str(marker)!r}).write_text('x')"
    instance = puzzle("def sat(s: str):\n    return s.startswith('__import__')")
    assert score(instance, code)["score"] == 1.0  # sat saw the text, nothing ran it
    assert not marker.exists()
    for hostile in ({"__class__": code}, [code], float("nan")):
        with pytest.raises(InvalidOutput):
            score(instance, hostile)


@pytest.mark.slow
def test_the_builtin_suite_is_solvable() -> None:
    puzzles = SUITES["builtin"]()
    assert [p["name"] for p in puzzles] == list(BUILTIN_ANSWERS)
    for entry in puzzles:
        answer = BUILTIN_ANSWERS[entry["name"]]
        assert score(entry, answer)["score"] == 1.0, entry["name"]


def test_puzzle_problem_follows_the_contract() -> None:
    for entry in load_suite("builtin"):
        made = puzzle_problem(entry)
        check_template(made.template, "sol", entry["name"])
        assert entry["sat"] in made.description
        assert made.instances("train") == made.instances("probe") == made.instances("test")
        # the seed's answer has the right type and scores 0: not an invalid program
        namespace: dict[str, Any] = {}
        exec(made.template, namespace)  # our own template, not a candidate's
        check_answer(parse_ans_type(entry["ans_type"]), namespace["sol"]())
    builtin = problems.load("puzzles")
    assert builtin.entry == "sol" and "Reverse:0" in builtin.instances("train")


def test_suite_specs_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ProblemError, match="unknown puzzle suite"):
        load_suite("nope")
    with pytest.raises(ProblemError, match="no such file"):
        load_suite(f"p3:{tmp_path / 'missing.json'}")
    bad = tmp_path / "puzzles.json"
    bad.write_text('[{"name": "A:0"}]')
    with pytest.raises(ProblemError, match="puzzle 0: missing or non-string keys: sat"):
        load_suite(f"p3:{bad}")


def test_p3_loads_with_its_split(datasets: Path) -> None:
    path = datasets / "p3" / "puzzles.json"
    everything = load_suite(f"p3:{path}")
    train = load_suite(f"p3:{path}:train")
    test = load_suite(f"p3:{path}", "test")
    assert (len(everything), len(train), len(test)) == (1715, 636, 1009)
    assert not {p["name"] for p in train} & {p["name"] for p in test}
    with pytest.raises(ProblemError, match="names split 'train' but --split is 'test'"):
        load_suite(f"p3:{path}:train", "test")


def test_p3_is_packaged_and_named(
    datasets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # packaged files never resolve from the working directory
    everything = load_suite("p3")
    assert len(everything) == 1715 and everything[0]["name"] == "Study_1:0"
    assert everything == load_suite(f"p3:{datasets / 'p3' / 'puzzles.json'}")
    train, test = load_suite("p3:train"), load_suite("p3", "test")
    assert (len(train), len(test), len(load_suite("p3:test", "test"))) == (636, 1009, 1009)
    assert {p["name"] for p in train} == {p["name"] for p in load_suite("p3", "train")}
    with pytest.raises(ProblemError, match="names split 'test' but --split is 'train'"):
        load_suite("p3:test", "train")
    with pytest.raises(ProblemError, match=r"unknown puzzle suite 'train'; .*builtin, p3, "):
        load_suite("train")  # a split alone is not a suite


@pytest.mark.slow
def test_p3_reference_solutions_pass() -> None:
    """P3's own `sat` sources (which use `List` unimported) run under the check."""
    puzzles = load_suite("p3")
    chosen = [p for p in puzzles if p["sol_bodies"] and "List" in p["sat"]][:3]
    for entry in chosen:
        made = puzzle_problem(entry)
        check_template(made.template, "sol", entry["name"])
        source = f"from typing import List\n{entry['sol_header']}\n{entry['sol_bodies'][0]}\n"
        namespace: dict[str, Any] = {}
        exec(source, namespace)  # P3's published reference solution
        assert score(entry, namespace["sol"]())["score"] == 1.0, entry["name"]
