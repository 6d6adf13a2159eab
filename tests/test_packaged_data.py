"""The data sets the package ships (problems/data): all of them go into a wheel, each
folder says where its files come from and under which terms, and a missing one is a
clear error."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import problems.data
from problems import ProblemError
from problems.data import data_file, data_folder

REPO = Path(__file__).resolve().parent.parent
FOLDERS = ("orlib_binpack", "tsplib", "tsp_random", "p3")


def test_every_packaged_file_is_package_data_in_pyproject(datasets: Path) -> None:
    """`pip install .` (a wheel) copies only what [tool.setuptools.package-data] names."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["problems"]
    root = REPO / "problems"
    shipped = {path for pattern in patterns for path in root.glob(pattern)}
    files = [
        path for path in datasets.rglob("*")
        if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts
    ]  # fmt: skip
    assert len(files) > 80
    assert [path for path in files if path not in shipped] == []


@pytest.mark.parametrize("folder", FOLDERS)
def test_each_folder_has_provenance_and_licence_terms(folder: str) -> None:
    names = {path.name for path in data_folder(folder).iterdir()}
    assert "PROVENANCE.md" in names and names & {"LICENSE.md", "LICENSE.txt"}, names
    assert "## In this package" in (data_folder(folder) / "PROVENANCE.md").read_text()


def test_the_data_is_found_beside_the_package_not_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = data_file("tsplib", "eil51.tsp")
    assert path.is_absolute() and path.parent.parent == Path(problems.data.__file__).parent


def test_a_missing_packaged_file_or_folder_is_a_clear_error() -> None:
    with pytest.raises(ProblemError, match=r"packaged data file .*eil52\.tsp is missing"):
        data_file("tsplib", "eil52.tsp")
    with pytest.raises(ProblemError, match="packaged data folder 'nope' is missing"):
        data_folder("nope")
