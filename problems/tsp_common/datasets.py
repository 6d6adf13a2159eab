"""TSP data sets: generated from a seed (uniform, ReEvo's recipes), packaged, and read
from files.

Every loader returns `{instance_name: instance}` with JSON instances (see tours.py).
`load_dataset(spec)` understands the names listed in `DATASETS`; files that are missing
or malformed raise ProblemError naming the file (and the line, for text files). The
package ships TSPLIB's instances (`tsplib:eil51`) and EoH's random sets (`eoh-tsp50`), see
problems/data/tsplib and problems/data/tsp_random and their PROVENANCE.md.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from problems.base import ProblemError
from problems.data import data_file, data_folder
from problems.tsp_common.tours import tour_length

__all__ = [
    "DATASETS",
    "EOH_SETS",
    "REEVO_GLS_MEAN_OPTIMUM",
    "REEVO_GLS_SPLITS",
    "REEVO_SPLITS",
    "from_coords",
    "load_dataset",
    "load_npy",
    "load_tsplib",
    "read_opt_tour",
    "reevo",
    "reevo_gls",
    "tsplib_names",
    "uniform",
]

Instance = dict[str, Any]

# ReEvo (ai4co/reevo) problems/tsp_constructive/gen_inst.py: np.random.seed(1234) once, then
# rand(64, n, 2) for each of these splits, in this order, from one stream.
REEVO_SPLITS: tuple[tuple[str, int], ...] = (
    ("train50", 50),
    *((f"val{n}", n) for n in (20, 50, 100, 200)),
    *((f"test{n}", n) for n in (20, 50, 100, 200, 500, 1000)),
)
REEVO_SEED, REEVO_COUNT = 1234, 64

# ReEvo problems/tsp_gls/gen_inst.py: per split np.random.seed(len(split_name)), then
# np.random.random((count, n, 2)) for each size, in this order.
REEVO_GLS_SPLITS: dict[str, tuple[int, int, tuple[int, ...]]] = {  # seed, count, sizes
    "train": (5, 10, (200,)),
    "val": (3, 64, (20, 50, 100, 200)),
    "test": (4, 64, (20, 50, 100, 200, 500, 1000)),
}
# ReEvo problems/tsp_gls/test.ipynb: mean optimal (LKH) tour length of its test sets.
REEVO_GLS_MEAN_OPTIMUM = {
    20: 3.8362853943492015,
    50: 5.68457994395107,
    100: 7.778580370400294,
    200: 10.71194600194464,
}

# EoH's fixed random sets, packaged: name -> (file in problems/data/tsp_random, what it is).
# Nearest neighbour from node 0: 3.124 / 4.558 / 7.014 (EoH publishes n20 and n50).
EOH_SETS: dict[str, tuple[str, str]] = {
    **{
        f"eoh-tsp{n}": (f"eoh_tsp_test_n{n}.npy", f"EoH's test set: 100 instances of {n} points")
        for n in (10, 20, 50)
    },
    "eoh-tsp50-train": ("eoh_tsp_train_n50.npy", "EoH's training set: 64 instances of 50 points"),
}


def tsplib_names() -> list[str]:
    """The packaged TSPLIB instances (problems/data/tsplib), smallest first."""
    names = [path.stem for path in data_folder("tsplib").glob("*.tsp")]
    return sorted(names, key=lambda name: (int(re.sub(r"\D", "", name) or 0), name))


DATASETS: dict[str, str] = {
    **{name: text for name, (_, text) in EOH_SETS.items()},
    "tsplib:NAME": "a packaged TSPLIB instance (EUC_2D) with its optimum: "
    + ", ".join(tsplib_names()),
    "uniform-N[:COUNT[:SEED]]": "COUNT (default 64) instances of N points uniform in the unit "
    "square, from numpy.random.default_rng(SEED) (default 0)",
    "clustered-N[:COUNT[:SEED]]": "COUNT (default 16) instances of N points in clusters: "
    "max(2, N // 25) centres uniform in the unit square, points Normal(centre, 0.05) clipped "
    "to the square",
    "reevo:SPLIT": "ReEvo's sets, regenerated from its seed recipe (np.random.seed(1234), "
    "64 instances each): " + ", ".join(name for name, _ in REEVO_SPLITS),
    "reevo-gls:SPLITN": "ReEvo's GLS sets from its seed recipe (seed = len(split)): "
    "train200 (10 instances), val20/50/100/200 and test20/50/100/200/500/1000 (64 each)",
    "npy:FILE": "a .npy array of shape (instances, n, 2) (allow_pickle=False)",
    "tsplib:FILE": "a TSPLIB .tsp file (EUC_2D; a path with a '/' or ending in .tsp); optimum "
    "from optimal_lengths.json beside it, else from NAME.opt.tour beside it",
}


def from_coords(coords: np.ndarray, prefix: str) -> dict[str, Instance]:
    """One instance per (n, 2) slice of an (instances, n, 2) array."""
    return {f"{prefix}_{i}": {"coords": points.tolist()} for i, points in enumerate(coords)}


def uniform(n_nodes: int, count: int = 64, seed: int = 0) -> dict[str, Instance]:
    """`count` instances of `n_nodes` points uniform in the unit square."""
    coords = np.random.default_rng(seed).random((count, n_nodes, 2))
    return from_coords(coords, f"uniform{n_nodes}")


def clustered(n_nodes: int, count: int = 16, seed: int = 0) -> dict[str, Instance]:
    """`count` instances of `n_nodes` points around max(2, n // 25) random centres."""
    rng = np.random.default_rng(seed)
    clusters = max(2, n_nodes // 25)
    centres = rng.random((count, clusters, 2))
    owner = rng.integers(0, clusters, size=(count, n_nodes))
    points = np.take_along_axis(centres, owner[..., None], axis=1)
    coords = np.clip(points + rng.normal(0.0, 0.05, size=(count, n_nodes, 2)), 0.0, 1.0)
    return from_coords(coords, f"clustered{n_nodes}")


def reevo(split: str) -> dict[str, Instance]:
    """One of ReEvo's constructive-TSP sets (`REEVO_SPLITS`), regenerated exactly."""
    names = [name for name, _ in REEVO_SPLITS]
    if split not in names:
        raise ProblemError(f"unknown ReEvo set {split!r}; expected one of {', '.join(names)}")
    rng = np.random.RandomState(REEVO_SEED)  # legacy MT19937, as np.random.seed(1234)
    for name, n_nodes in REEVO_SPLITS:
        coords = rng.rand(REEVO_COUNT, n_nodes, 2)
        if name == split:
            return from_coords(coords, f"reevo_{name}")
    raise AssertionError("unreachable")


def reevo_gls(name: str) -> dict[str, Instance]:
    """One of ReEvo's GLS sets, e.g. "test100" (`REEVO_GLS_SPLITS`), regenerated exactly."""
    match = re.fullmatch(r"([a-z]+)(\d+)", name)
    split, n_nodes = (match[1], int(match[2])) if match else ("", 0)
    if n_nodes not in REEVO_GLS_SPLITS.get(split, (0, 0, ()))[2]:
        choices = [f"{s}{n}" for s, (_, _, sizes) in REEVO_GLS_SPLITS.items() for n in sizes]
        raise ProblemError(f"unknown ReEvo GLS set {name!r}; expected one of {', '.join(choices)}")
    seed, count, sizes = REEVO_GLS_SPLITS[split]
    rng = np.random.RandomState(seed)
    for size in sizes:
        coords = rng.random_sample((count, size, 2))
        if size == n_nodes:
            break
    return from_coords(coords, f"reevo_gls_{name}")


def load_npy(path: str | Path) -> dict[str, Instance]:
    """Instances from a .npy array of shape (instances, n, 2)."""
    path = Path(path)
    try:
        coords = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ProblemError(f"{path}: cannot read a .npy array: {error}") from None
    if coords.ndim != 3 or coords.shape[2] != 2 or coords.shape[1] < 3:
        raise ProblemError(f"{path}: expected shape (instances, n, 2), got {coords.shape}")
    if not np.issubdtype(coords.dtype, np.number) or not np.isfinite(coords).all():
        raise ProblemError(f"{path}: coordinates must be finite numbers")
    return from_coords(coords.astype(np.float64), path.stem)


def load_tsplib(path: str | Path) -> dict[str, Instance]:
    """A TSPLIB EUC_2D instance, with its optimum where one is known beside the file."""
    path = Path(path)
    name, coords = _parse_tsp(path)
    instance: Instance = {"name": name, "metric": "EUC_2D", "coords": coords.tolist()}
    optimum = _known_optimum(path, name, coords)
    if optimum is not None:
        instance["optimum"] = optimum
    return {name: instance}


def read_opt_tour(path: str | Path) -> list[int]:
    """The 0-based tour of a TSPLIB .opt.tour file (TOUR_SECTION, ids from 1, ended by -1)."""
    path = Path(path)
    tour: list[int] = []
    in_section = False
    for number, line in enumerate(_lines(path), start=1):
        if not in_section:
            in_section = line.strip() == "TOUR_SECTION"
            continue
        for token in line.split():
            if token in ("-1", "EOF"):
                return tour
            if not token.isdigit():
                raise ProblemError(f"{path}:{number}: expected a node id, got {token!r}")
            tour.append(int(token) - 1)
    if not in_section:
        raise ProblemError(f"{path}: no TOUR_SECTION; expected a TSPLIB .opt.tour file")
    return tour


def load_dataset(spec: str) -> dict[str, Instance]:
    """The instances of a named data set (see DATASETS)."""
    if spec in EOH_SETS:
        return load_npy(data_file("tsp_random", EOH_SETS[spec][0]))
    kind, _, argument = spec.partition(":")
    if kind == "reevo":
        return reevo(argument)
    if kind == "reevo-gls":
        return reevo_gls(argument)
    if kind == "npy" and argument:
        return load_npy(argument)
    if kind == "tsplib" and argument:
        return load_tsplib(_tsplib_file(argument))
    match = re.fullmatch(r"(uniform|clustered)-(\d+)(?::(\d+))?(?::(\d+))?", spec)
    if match and int(match[2]) >= 3:
        make = uniform if match[1] == "uniform" else clustered
        return make(
            int(match[2]), int(match[3] or (64 if make is uniform else 16)), int(match[4] or 0)
        )
    raise ProblemError(f"unknown TSP data set {spec!r}; expected one of: {', '.join(DATASETS)}")


def _tsplib_file(argument: str) -> Path:
    """The file of `tsplib:ARGUMENT`: a packaged instance's, by name, or the path given."""
    if "/" in argument or argument.endswith(".tsp"):
        return Path(argument).expanduser()
    names = tsplib_names()
    if argument not in names:
        raise ProblemError(
            f"no packaged TSPLIB instance {argument!r}; expected one of: {', '.join(names)} "
            f"(or a .tsp file: tsplib:PATH.tsp)"
        )
    return data_file("tsplib", f"{argument}.tsp")


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ProblemError(f"{path}: cannot read the file: {error}") from None


def _parse_tsp(path: Path) -> tuple[str, np.ndarray]:
    """(NAME, coords) of a .tsp file with EDGE_WEIGHT_TYPE EUC_2D and a NODE_COORD_SECTION."""
    lines, header = _lines(path), {}
    stripped = [line.strip() for line in lines]
    if "NODE_COORD_SECTION" not in stripped:
        raise ProblemError(f"{path}: no NODE_COORD_SECTION; expected a TSPLIB .tsp file")
    number = stripped.index("NODE_COORD_SECTION") + 1  # 1-based line of the section
    for line in lines[: number - 1]:
        key, colon, value = line.partition(":")
        if colon:
            header[key.strip().upper()] = value.strip()
    if header.get("EDGE_WEIGHT_TYPE") != "EUC_2D":
        raise ProblemError(
            f"{path}: EDGE_WEIGHT_TYPE is {header.get('EDGE_WEIGHT_TYPE')!r}; "
            f"only EUC_2D is supported"
        )
    if not header.get("DIMENSION", "").isdigit():
        raise ProblemError(f"{path}: missing or bad DIMENSION {header.get('DIMENSION')!r}")
    dimension = int(header["DIMENSION"])
    coords = _node_coords(path, lines, number, dimension)
    return header.get("NAME", path.stem), coords


def _node_coords(path: Path, lines: list[str], start: int, dimension: int) -> np.ndarray:
    """`dimension` lines `id x y` after line `start` (1-based ids in order)."""
    coords = np.empty((dimension, 2), dtype=np.float64)
    for index in range(dimension):
        number = start + 1 + index
        if number > len(lines) or lines[number - 1].strip() == "EOF":
            raise ProblemError(f"{path}:{number}: file ends after {index} of {dimension} nodes")
        fields = lines[number - 1].split()
        try:
            if len(fields) != 3 or int(fields[0]) != index + 1:
                raise ValueError
            coords[index] = float(fields[1]), float(fields[2])
        except ValueError:
            raise ProblemError(
                f"{path}:{number}: expected '{index + 1} x y', got {lines[number - 1].strip()!r}"
            ) from None
    return coords


def _known_optimum(path: Path, name: str, coords: np.ndarray) -> float | None:
    """The optimum of `name` from optimal_lengths.json or NAME.opt.tour beside `path`."""
    table = path.parent / "optimal_lengths.json"
    if table.is_file():
        try:
            optima = json.loads(table.read_text())
        except json.JSONDecodeError as error:
            raise ProblemError(f"{table}:{error.lineno}: bad JSON: {error.msg}") from None
        if name in optima:
            return float(optima[name])
    tour_file = path.parent / f"{name}.opt.tour"
    if not tour_file.is_file():
        return None
    tour = read_opt_tour(tour_file)
    if sorted(tour) != list(range(len(coords))):
        raise ProblemError(f"{tour_file}: the tour is not a permutation of {len(coords)} nodes")
    return tour_length(coords, np.asarray(tour), "EUC_2D")
