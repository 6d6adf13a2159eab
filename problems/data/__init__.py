"""The public data sets the built-in problems ship with, each in a folder of its own:
OR-Library and FunSearch bin packing (orlib_binpack/), TSPLIB (tsplib/), EoH's random TSP
sets (tsp_random/) and P3's puzzles (p3/). Each folder has a PROVENANCE.md (source, commit,
format) and its licence terms. The problems' loaders address them by name (`or1`,
`tsplib:eil51`, `eoh-tsp50`, `p3` ...); see README.md here.

They are found through importlib.resources, so they load the same from a source checkout
and from an installed wheel, whatever the working directory. Candidates never read them:
the sandbox lets a candidate read only the standard library and its preloaded packages,
never the directory that holds this project's packages (sandbox/landlock.py).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from problems.base import ProblemError

__all__ = ["data_file", "data_folder"]


def data_folder(name: str) -> Path:
    """The folder of one packaged data set, e.g. "tsplib"; ProblemError if it is missing."""
    root = files(__name__)
    folder = root / name
    if not isinstance(folder, Path) or not folder.is_dir():
        raise ProblemError(
            f"the packaged data folder {name!r} is missing from {root}; reinstall the "
            f"package from a complete source (pip install .)"
        )
    return folder


def data_file(folder: str, name: str) -> Path:
    """One packaged file, e.g. ("tsplib", "eil51.tsp"); ProblemError if it is missing."""
    path = data_folder(folder) / name
    if not path.is_file():
        raise ProblemError(f"the packaged data file {path} is missing; reinstall the package")
    return path
