"""Shared fixtures: paths to the test problem and the packaged data sets."""

from __future__ import annotations

from pathlib import Path

import pytest

import problems.data

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def tiny_problem_path() -> str:
    """A user-style problem folder (tests/data/tiny) with a 3-line template."""
    return str(REPO / "tests" / "data" / "tiny")


@pytest.fixture
def datasets() -> Path:
    """The folder of the packaged data sets (problems/data): orlib_binpack/, tsplib/,
    tsp_random/, p3/. Always there: the package ships them."""
    return Path(problems.data.__file__).parent


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'archive.db'}"
