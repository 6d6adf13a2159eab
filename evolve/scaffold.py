"""Scaffolding a problem folder (`evolve new-problem NAME [--from START]`).

Starting points (`STARTS`):

- `curve-fit` (the default): a small working problem (fit an unknown curve: evolve
  `f(x)`) with every part of the contract in its own file, so a user edits it into their
  own problem: `__init__.py` (the Problem), `template.py` (the seed, between EVOLVE-BLOCK
  markers), `harness.py` (`run`, inside the sandbox), `scoring.py` (`score`, trusted),
  `datasets.py` (`instances`, `load_dataset`) and README.md.
- `minimal`: the smallest problem that runs: `__init__.py` with `instances`, `run`,
  `score` and the Problem, `template.py` and README.md.
- any built-in problem (`--from bin_packing`): a copy of it, with its imports rewritten
  to the new package name.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

from problems.base import ProblemError
from problems.loader import BUILTIN_DIR, available

__all__ = ["FILES", "MINIMAL_FILES", "STARTS", "scaffold"]

_INIT = '''\
"""{name}: evolve `f(x)` to fit an unknown curve (a scaffold: edit it). See README.md."""

from __future__ import annotations

from problems.base import Problem
from {name}.datasets import DATASETS, instances, load_dataset
from {name}.harness import run
from {name}.scoring import score

DESCRIPTION = """\\
Write `f(x)`, a function of one number that returns one number, as close as possible
to an unknown curve. It is tested on points x in [-2, 2]; the score is minus the mean
squared error, higher is better (0 is a perfect fit).
"""

problem = Problem(
    name="{name}",
    description=DESCRIPTION,
    entry="f",
    template="",  # read from template.py by the loader
    instances=instances,
    run=run,
    score=score,
    timeout_s=5.0,
    memory_mb=512,
    preload=(),
    datasets=DATASETS,
    load_dataset=load_dataset,
)
'''

_TEMPLATE = '''\
"""Seed program of {name}: the LLM rewrites the code between the markers."""

import math


# EVOLVE-BLOCK-START
def f(x: float) -> float:
    """Returns the value of the curve at x."""
    return 0.0 * math.pi


# EVOLVE-BLOCK-END
'''

_HARNESS = '''\
"""The harness, run INSIDE the sandbox: calls the candidate, returns plain data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def run(f: Callable[[float], Any], instance: dict[str, Any]) -> list[float]:
    """The candidate's value at every point of the instance."""
    return [float(f(x)) for x in instance["xs"]]
'''

_SCORING = '''\
"""Trusted checks, run in the parent: never trust the candidate's output."""

from __future__ import annotations

import math
from typing import Any

from problems.base import InvalidOutput


def score(instance: dict[str, Any], output: Any) -> dict[str, float]:
    """Minus the mean squared error of the output against the instance's ys."""
    ys = instance["ys"]
    if not isinstance(output, list) or len(output) != len(ys):
        raise InvalidOutput(f"expected a list of {{len(ys)}} numbers, got {{output!r:.80}}")
    if not all(isinstance(v, float) and math.isfinite(v) for v in output):
        raise InvalidOutput("every value must be a finite float")
    mse = math.fsum((v - y) ** 2 for v, y in zip(output, ys, strict=True)) / len(ys)
    return {{"mse": mse, "score": -mse}}
'''

_DATASETS = '''\
"""Instances: generated per split, or read from a JSON file (`json:FILE`)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

from problems.base import ProblemError

SPLIT_SEEDS = {{"train": 1, "probe": 2, "test": 3}}
DATASETS = {{
    "json:FILE": 'a JSON file {{name: {{"xs": [numbers], "ys": [numbers]}}}}',
}}


def curve(x: float) -> float:
    return math.sin(2 * x) + 0.5 * x  # the hidden truth


def instances(split: str, seed: int | None = None) -> dict[str, dict[str, Any]]:
    """A few sampled curves per split: the fixed public points (seed None), or a fresh
    draw from `seed` (a run draws its held-out test split from a secret seed)."""
    if split not in SPLIT_SEEDS:
        raise ProblemError(f"unknown split {{split!r}}; expected one of {{', '.join(SPLIT_SEEDS)}}")
    rng = random.Random(SPLIT_SEEDS[split] if seed is None else seed)
    count = 2 if split == "probe" else 3
    data = {{}}
    for i in range(count):
        xs = [rng.uniform(-2, 2) for _ in range(20)]
        data[f"{{split}}_{{i}}"] = {{"xs": xs, "ys": [curve(x) for x in xs]}}
    return data


def load_dataset(name: str) -> dict[str, dict[str, Any]]:
    """A named data set (see DATASETS); ProblemError naming the file and line."""
    kind, _, file = name.partition(":")
    if kind != "json" or not file:
        raise ProblemError(f"unknown data set {{name!r}}; expected one of: {{', '.join(DATASETS)}}")
    path = Path(file)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ProblemError(f"{{path}}: no such file") from None
    except json.JSONDecodeError as error:
        raise ProblemError(f"{{path}}:{{error.lineno}}: not valid JSON: {{error.msg}}") from None
    if not isinstance(data, dict) or not all(
        isinstance(v, dict) and len(v.get("xs", ())) == len(v.get("ys", ())) > 0
        for v in data.values()
    ):
        raise ProblemError(f"{{path}}: expected {{{{name: {{{{'xs': [...], 'ys': [...]}}}}}}}}")
    return data
'''

_README = """\
# {name}

A problem folder for `evolve`, made by `evolve new-problem`. As it is, it asks the LLM for
`f(x)` fitting an unknown curve; edit the files to pose your own problem.

| file | runs | what |
|---|---|---|
| `template.py` | sandbox | the seed program; the LLM changes only the EVOLVE-BLOCK |
| `harness.py` | sandbox host | `run(f, instance)`: calls the candidate, returns plain data |
| `scoring.py` | parent, trusted | `score(instance, output)`: checks, returns metrics |
| `datasets.py` | parent | `instances(split, seed)` for train/probe/test, `load_dataset(name)` |
| `__init__.py` | parent | `problem = Problem(...)`: the description the LLM reads |

Try it:

    evolve eval ./{name} ./{name}/template.py          # the seed's score
    evolve run ./{name} --model builtin:mutate --max-evals 20

`score` must raise `problems.base.InvalidOutput` for any output that breaks the rules;
the harness must return only JSON data (lists, numbers, strings, dicts).
"""

FILES = {
    "__init__.py": _INIT,
    "template.py": _TEMPLATE,
    "harness.py": _HARNESS,
    "scoring.py": _SCORING,
    "datasets.py": _DATASETS,
    "README.md": _README,
}

_MINIMAL_INIT = '''\
"""{name}: evolve `f(x)` towards an unknown line (the smallest problem that runs)."""

from __future__ import annotations

import math
from typing import Any

from problems.base import InvalidOutput, Problem

POINTS = {{"train": [0, 1, 2, 5], "probe": [1, 7], "test": [3, 4, 10]}}


def instances(split: str) -> dict[str, dict[str, float]]:
    """The data of each split, one instance per point."""
    return {{f"x{{x}}": {{"x": x}} for x in POINTS[split]}}


def run(f: Any, instance: dict[str, float]) -> Any:
    """The harness: calls the candidate, returns plain data."""
    return f(instance["x"])


def score(instance: dict[str, float], output: Any) -> dict[str, float]:
    """Trusted check: minus the distance to the line 3x + 1; 0 is perfect."""
    number = isinstance(output, int | float) and not isinstance(output, bool)
    if not number or not math.isfinite(output):
        raise InvalidOutput(f"expected a finite number, got {{output!r:.80}}")
    error = abs(output - (3 * instance["x"] + 1))
    return {{"error": error, "score": -error}}


problem = Problem(
    name="{name}",
    description="Write f(x) returning a number as close as possible to an unknown line.",
    entry="f",
    template="",  # read from template.py by the loader
    instances=instances,
    run=run,
    score=score,
    timeout_s=2.0,
    memory_mb=512,
    preload=(),
)
'''

_MINIMAL_TEMPLATE = '''\
"""Seed program of {name}: the LLM rewrites the code between the markers."""


# EVOLVE-BLOCK-START
def f(x):
    return x


# EVOLVE-BLOCK-END
'''

_MINIMAL_README = """\
# {name}

The smallest problem `evolve` runs, made by `evolve new-problem --from minimal`: it asks for
`f(x)` close to an unknown line. `__init__.py` holds the whole problem (`instances`, the
harness `run`, the trusted `score`, and `problem = Problem(...)`); `template.py` the seed.

    evolve eval ./{name} ./{name}/template.py
    evolve run ./{name} --model builtin:mutate --max-evals 20
"""

MINIMAL_FILES = {
    "__init__.py": _MINIMAL_INIT,
    "template.py": _MINIMAL_TEMPLATE,
    "README.md": _MINIMAL_README,
}

STARTS = {"curve-fit": FILES, "minimal": MINIMAL_FILES}
"""Starting points of `evolve new-problem --from`, besides the built-in problems."""
DEFAULT_START = "curve-fit"


def scaffold(folder: Path, *, from_problem: str | None = None) -> Path:
    """Creates `folder` as a new problem package from a starting point (`STARTS`, or a
    built-in problem; None: the default); returns it. ProblemError if the name cannot be
    a package, the folder already has files or the starting point is unknown."""
    name = folder.name
    start = from_problem or DEFAULT_START
    if start not in STARTS and start not in available():
        raise ProblemError(
            f"unknown starting point {start!r} for --from; expected "
            f"{', '.join(STARTS)} or a built-in problem: {', '.join(available())}"
        )
    _check_target(folder, name)
    if start in STARTS:
        folder.mkdir(parents=True, exist_ok=True)
        for file, text in STARTS[start].items():
            (folder / file).write_text(text.format(name=name))
    else:
        _copy_builtin(start, folder, name)
    return folder


def _check_target(folder: Path, name: str) -> None:
    if not name.isidentifier():
        suggestion = re.sub(r"\W", "_", name)
        suggestion = suggestion if suggestion.isidentifier() else f"p_{suggestion}"
        raise ProblemError(
            f"{folder}: {name!r} is not a Python identifier; name the folder e.g. {suggestion!r}"
        )
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ProblemError(f"{folder}: already exists and is not empty; choose another name")
    spec = importlib.util.find_spec(name)
    origin = spec.origin if spec is not None else None
    if origin not in (None, "namespace", "built-in", "frozen"):
        raise ProblemError(
            f"{folder}: {name!r} is the name of the module {origin}; choose another name"
        )
    if name in sys.stdlib_module_names or name in sys.builtin_module_names:
        raise ProblemError(f"{folder}: {name!r} is a standard module; choose another name")


def _copy_builtin(source: str, folder: Path, name: str) -> None:
    """Copies built-in problem `source` to `folder`, importing itself as `name`."""
    shutil.copytree(
        BUILTIN_DIR / source, folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    for path in folder.rglob("*.py"):
        text = path.read_text()
        text = re.sub(rf"\bproblems\.{source}\b", name, text)
        text = re.sub(rf"""(["']){source}\1""", rf"\g<1>{name}\g<1>", text)  # its name
        path.write_text(text)
