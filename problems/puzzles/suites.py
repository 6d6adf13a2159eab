"""Puzzle sets: the built-in one and P3's published `puzzles.json`.

A suite spec is `builtin`, `p3[:train|test]` (P3's puzzles, packaged in
problems/data/p3, see its PROVENANCE.md) or `p3:FILE[:train|test]` (a puzzles.json of
one's own). `p3` takes every puzzle of the file, and a split keeps the puzzles whose class
(the name before ':') is listed under that split in the `split.json` beside the file (P3's
own train/test split).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from problems.base import ProblemError
from problems.data import data_file
from problems.puzzles.anstype import parse_ans_type
from problems.puzzles.builtin import builtin_puzzles

__all__ = ["P3_SPLITS", "SUITES", "SUITE_NAMES", "load_p3", "load_suite"]

P3_SPLITS = ("train", "test")
REQUIRED_KEYS = ("name", "sat", "ans_type", "sol_header", "sol_docstring")

SUITES: dict[str, Callable[[], list[dict[str, Any]]]] = {"builtin": builtin_puzzles}
# every suite spec, as `evolve problems` lists it: spec -> what it holds
SUITE_NAMES: dict[str, str] = {
    "builtin": f"the {len(builtin_puzzles())} puzzles this project wrote (the default)",
    "p3": "P3's 1,715 puzzles (packaged; MIT licence)",
    "p3:train": "P3's train split: 636 puzzles of 155 classes",
    "p3:test": "P3's test split: 1,009 puzzles of 228 classes",
    "p3:FILE[:train|test]": "a P3 puzzles.json file; a split reads the split.json beside it",
}


def load_suite(spec: str, split: str | None = None) -> list[dict[str, Any]]:
    """The puzzles of a suite spec (see SUITE_NAMES; `split` may also give the split)."""
    if spec in SUITES:
        if split is not None:
            raise ProblemError(f"suite {spec!r} has no splits; --split is for p3")
        return SUITES[spec]()
    if spec == "p3" or spec in (f"p3:{name}" for name in P3_SPLITS):
        return load_p3(data_file("p3", "puzzles.json"), _split(spec, split))
    if not spec.startswith("p3:"):
        raise ProblemError(
            f"unknown puzzle suite {spec!r}; expected one of: {', '.join(SUITE_NAMES)}"
        )
    path, _, suffix = spec.removeprefix("p3:").rpartition(":")
    if suffix in P3_SPLITS and path:
        split = _split(spec, split)
    else:
        path = spec.removeprefix("p3:")
    return load_p3(Path(path).expanduser(), split)


def _split(spec: str, split: str | None) -> str | None:
    """The split a spec ending in `:train` or `:test` names, or `split`; not both apart."""
    _, _, suffix = spec.rpartition(":")
    if suffix not in P3_SPLITS:
        return split
    if split not in (None, suffix):
        raise ProblemError(f"{spec}: names split {suffix!r} but --split is {split!r}")
    return suffix


def load_p3(path: Path, split: str | None = None) -> list[dict[str, Any]]:
    """The puzzles of a P3 `puzzles.json`, optionally only one split's (see module doc)."""
    puzzles = _read_json(path)
    if not isinstance(puzzles, list):
        raise ProblemError(f"{path}: expected a JSON list of puzzles, got {type(puzzles).__name__}")
    for index, puzzle in enumerate(puzzles):
        _check_puzzle(puzzle, f"{path}: puzzle {index}")
    if split is None:
        return puzzles
    if split not in P3_SPLITS:
        raise ProblemError(f"unknown P3 split {split!r}; expected one of {', '.join(P3_SPLITS)}")
    classes = _read_json(path.parent / "split.json")
    if not isinstance(classes, dict) or not isinstance(classes.get(split), list):
        raise ProblemError(f"{path.parent / 'split.json'}: expected {{{split!r}: [class names]}}")
    keep = set(classes[split])
    return [p for p in puzzles if p["name"].partition(":")[0] in keep]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProblemError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ProblemError(f"{path}: cannot read the file: {error}") from None
    except json.JSONDecodeError as error:
        raise ProblemError(f"{path}:{error.lineno}: not JSON: {error.msg}") from None


def _check_puzzle(puzzle: Any, where: str) -> None:
    if not isinstance(puzzle, dict):
        raise ProblemError(f"{where}: expected an object, got {type(puzzle).__name__}")
    missing = [k for k in REQUIRED_KEYS if not isinstance(puzzle.get(k), str)]
    if missing:
        raise ProblemError(f"{where}: missing or non-string keys: {', '.join(missing)}")
    parse_ans_type(puzzle["ans_type"])
