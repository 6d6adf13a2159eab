"""Shared fixtures: paths to the test problem and the real data sets."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO.parent / "shared" / "datasets"


@pytest.fixture
def tiny_problem_path() -> str:
    """A user-style problem folder (tests/data/tiny) with a 3-line template."""
    return str(REPO / "tests" / "data" / "tiny")


@pytest.fixture
def datasets() -> Path:
    if not DATASETS.is_dir():
        pytest.skip("../shared/datasets is not present")
    return DATASETS


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'archive.db'}"
