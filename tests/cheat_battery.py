"""The catalogue of tests/cheats/ and the two paths a cheat is scored by (`evolve eval`
and a real engine run): the machinery of tests/test_sandbox_cheats.py."""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from problems import load
from tests.cli_helpers import evolve

CHEATS = Path(__file__).resolve().parent / "cheats"
PROBLEMS = {"bp": "bin_packing", "tc": "tsp_construct", "gls": "tsp_gls", "cap": "cap_set",
            "pz": "puzzles"}  # fmt: skip
FAILED = {"error", "timeout", "memory", "crash", "output_limit", "bad_result", "invalid"}
TRAIN = ("--split", "train")
# the packaged data sets the class 4 cheats read (problems/data), by name
ORLIB = "or1"
WEIBULL_5K = "funsearch-weibull-5k"
TSPLIB = [f"tsplib:{name}" for name in ("eil51", "kroA100")]
# class 5 pairs meet on System V keys and names of their own in each test session, so
# that two sessions on one machine (or a stale segment) never mix (see `program`)
SESSION = os.getpid() & 0xFFFF
STATE_TAGS = {prefix: f"{prefix}-{SESSION}" for prefix in PROBLEMS}
STATE_KEYS = {prefix: tuple(0x4E000000 + (SESSION << 8) + 16 * n + i for i in range(3))
              for n, prefix in enumerate(PROBLEMS)}  # fmt: skip
STATE_TOOLKIT_LINE = re.compile(r"^# STATE-TOOLKIT: .*$", re.MULTILINE)
STATE_LINES = re.compile(r'^_TAG = "(\w+)"\n_KEYS = \(.*\)\n', re.MULTILINE)


@dataclass(frozen=True)
class Cheat:
    """One cheat file and how to evaluate it.

    Attributes:
        name: the file's stem; its prefix names the problem.
        evals: argument lists for `evolve eval`.
        honest: the honest score when it is not the template's (the recording half of the
            puzzle pair solves the puzzle honestly).
        after: the cheat evaluated just before this one (a class 5 recorder).
    """

    name: str
    evals: tuple[tuple[str, ...], ...] = (TRAIN,)
    honest: float | None = None
    after: str | None = None

    @property
    def problem(self) -> str:
        return PROBLEMS[self.name.split("_")[0]]

    def __str__(self) -> str:
        return self.name


def dataset(spec: str) -> tuple[str, str]:
    return ("--dataset", spec)


BATTERY = [
    Cheat("bp_frame_future_items"),
    Cheat("bp_inspect_worker_splits"),
    Cheat("bp_gc_stored_instances"),
    Cheat("bp_sys_modules_problems"),
    Cheat("bp_harness_code_swap"),
    Cheat("bp_builtin_enumerate"),
    Cheat("bp_patch_harness_global"),
    Cheat("bp_regenerate_instances"),
    Cheat("bp_read_dataset_files", evals=(dataset(ORLIB), dataset(WEIBULL_5K))),
    Cheat("bp_read_repository_source"),
    Cheat("bp_state_record"),
    Cheat("bp_state_replay", after="bp_state_record"),
    Cheat("bp_forged_report"),
    Cheat("bp_deep_report_body"),
    Cheat("tc_frame_instance"),
    Cheat("tc_gc_instances"),
    Cheat("tc_harness_code_swap"),
    Cheat("tc_regenerate_instances"),
    Cheat("tc_read_tsplib_tours", evals=tuple(dataset(spec) for spec in TSPLIB)),
    Cheat("tc_state_record"),
    Cheat("tc_state_replay", after="tc_state_record"),
    Cheat("tc_flood_and_exhaust"),
    Cheat("tc_deep_report_header"),
    Cheat("gls_frame_best_tour"),
    Cheat("gls_patch_local_search"),
    Cheat("gls_regenerate_instances"),
    Cheat("gls_read_tsplib_tours", evals=tuple(dataset(spec) for spec in TSPLIB)),
    Cheat("gls_state_record"),
    Cheat("gls_state_replay", after="gls_state_record"),
    Cheat("gls_garbage_on_every_fd"),
    Cheat("cap_frame_worker_splits"),
    Cheat("cap_numpy_argsort"),
    Cheat("cap_regenerate_splits"),
    Cheat("cap_read_repository_source"),
    Cheat("cap_state_record"),
    Cheat("cap_state_replay", after="cap_state_record"),
    Cheat("cap_overflowing_report"),
    Cheat("pz_frame_puzzle", evals=((),)),
    Cheat("pz_harness_code_swap", evals=((),)),
    Cheat("pz_regenerate_puzzles", evals=((),)),
    Cheat("pz_read_answer_key", evals=((),)),
    Cheat("pz_archive_steal", evals=((),)),
    Cheat("pz_state_record", evals=((),), honest=1.0),
    Cheat("pz_state_replay", evals=((),), after="pz_state_record"),
    Cheat("pz_deep_return", evals=((),)),
    Cheat("pz_kill_parent", evals=((),)),
]
# class 4 cheats that read published data get no leverage in a run on generated instances:
# their engine run is on a user's own problem folder whose splits are those data sets
TSPLIB_SPLITS = {"probe": "tsplib:eil51", "train": "tsplib:berlin52,tsplib:kroA100",
                 "test": "tsplib:eil76"}  # fmt: skip
ON_DATA = {
    "bp_read_dataset_files": {"probe": "or1", "train": "or2", "test": "or3"},
    "tc_read_tsplib_tours": TSPLIB_SPLITS,
    "gls_read_tsplib_tours": TSPLIB_SPLITS,
}
DATA_PROBLEM = '''"""{problem} on published data sets, as a user's own problem folder."""

import dataclasses

from problems import load

_BASE = load({problem!r})
_SPLITS = {splits!r}


def _instances(split):
    data = {{}}
    for spec in _SPLITS[split].split(","):
        data.update(_BASE.instances_of(spec))
    return data


problem = dataclasses.replace(_BASE, name={name!r}, instances=_instances, seeded=False)
'''
# class 7: memorise the probe and train instances; better on train, the seed on test
OVERFIT = {
    "bin_packing": "bp_overfit_memorised",
    "tsp_construct": "tc_overfit_memorised",
    "tsp_gls": "gls_overfit_memorised",
    "cap_set": "cap_overfit_memorised",
}
BY_NAME = {cheat.name: cheat for cheat in BATTERY}


# --- programs, data, state ----------------------------------------------------------------


def program(name: str) -> str:
    """The cheat's EVOLVE-BLOCK in its problem's current template: a template that changes
    outside the block never makes a cheat a patch error instead of a test of the sandbox.
    A class 5 cheat's _TAG and _KEYS become this session's."""
    text = (CHEATS / f"{name}.py").read_text()
    block = text.split("# EVOLVE-BLOCK-START\n", 1)[1].split("# EVOLVE-BLOCK-END", 1)[0]
    block = STATE_TOOLKIT_LINE.sub(lambda _: state_toolkit(), block)
    prefix = name.split("_")[0]
    keys = ", ".join(f"{key:#x}" for key in STATE_KEYS[prefix])
    block = STATE_LINES.sub(f'_TAG = "{STATE_TAGS[prefix]}"\n_KEYS = ({keys})\n', block)
    template = load(PROBLEMS[name.split("_")[0]]).template
    before, rest = template.split("# EVOLVE-BLOCK-START\n", 1)
    after = rest[rest.index("# EVOLVE-BLOCK-END") :]
    return f"{before}# EVOLVE-BLOCK-START\n{block}{after}"


def state_toolkit() -> str:
    """The class 5 cheats' shared code (tests/cheats/state_toolkit.py, its docstring aside):
    each *_state_*.py cheat is whole once it is spliced in at its STATE-TOOLKIT line."""
    text = (CHEATS / "state_toolkit.py").read_text()
    return text.split('"""', 2)[2].strip("\n")


def clear_left_state(*prefixes: str) -> None:
    """Remove what the class 5 recorders of these problem prefixes (default: all) may have
    left in this IPC namespace and in files."""
    libc = ctypes.CDLL(None, use_errno=True)
    for prefix in prefixes or tuple(PROBLEMS):
        for key in STATE_KEYS[prefix]:
            for get, control in ((libc.shmget, libc.shmctl), (libc.msgget, libc.msgctl)):
                ident = get(key, 0, 0)
                if ident >= 0:
                    control(ident, 0, None)  # IPC_RMID
            ident = libc.semget(key, 0, 0)
            if ident >= 0:
                libc.semctl(ident, 0, 0)
        for folder in ("/dev/shm", "/tmp", "/var/tmp", os.path.expanduser("~")):
            with contextlib.suppress(OSError):
                os.remove(f"{folder}/.evolve-cheat-{STATE_TAGS[prefix]}")


def is_honest(status: str, score: float | None, honest: float | None) -> bool:
    """The secure outcome: a failure status, or exactly the honest score."""
    if status in FAILED:
        return True
    return (
        status in ("ok", "duplicate")
        and score is not None
        and honest is not None
        and (math.isclose(score, honest, rel_tol=1e-12, abs_tol=1e-12))
    )


# --- the `evolve eval` path -----------------------------------------------------------------


def evolve_eval(problem: str, path: Path, args: tuple[str, ...]) -> dict[str, Any]:
    """`evolve eval ... --json`: exit 0 (ok) or 1 (not ok) with a JSON verdict, never a crash."""
    done = evolve("eval", problem, str(path), "--json", *args, timeout=300)
    assert done.returncode in (0, 1), (
        f"evolve eval crashed ({done.returncode}):\n{done.stderr[-3000:]}"
    )
    try:
        verdict = json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"evolve eval printed no JSON verdict:\n{done.stdout[-1000:]}\n{done.stderr[-3000:]}"
        )
    assert (verdict["status"] == "ok") == (done.returncode == 0), verdict
    return verdict


class HonestScores:
    """The template's score per (problem, eval arguments), through the same path; safe to
    share between the threads of `EvalVerdicts`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.scores: dict[tuple[str, tuple[str, ...]], float] = {}
        self.locks: dict[tuple[str, tuple[str, ...]], threading.Lock] = {}
        self.guard = threading.Lock()

    def __call__(self, problem: str, args: tuple[str, ...]) -> float:
        with self.guard:
            lock = self.locks.setdefault((problem, args), threading.Lock())
        with lock:
            if (problem, args) not in self.scores:
                path = self.folder / f"{problem}-{len(self.locks)}-template.py"
                path.write_text(load(problem).template)
                verdict = evolve_eval(problem, path, args)
                assert verdict["status"] == "ok", f"the template itself fails: {verdict}"
                self.scores[problem, args] = verdict["score"]
            return self.scores[problem, args]


Outcome = tuple[str, tuple[str, ...], dict[str, Any], float]  # cheat, args, verdict, honest


STATE_LOCKS = {prefix: threading.Lock() for prefix in PROBLEMS}  # one class 5 pair at a time


def evaluate_cheat(cheat: Cheat, folder: Path, honest: HonestScores) -> list[Outcome]:
    """`evolve eval` of the cheat (after its recorder, if it has one) with each of its
    argument lists, beside the honest score. The class 5 cheats of a problem run one at a
    time, with their state cleared around them."""
    prefix = cheat.name.split("_")[0]
    stateful = "_state_" in cheat.name
    lock: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    if stateful:
        lock = STATE_LOCKS[prefix]
    outcomes = []
    with lock:
        if stateful:
            clear_left_state(prefix)
        try:
            for each in ([BY_NAME[cheat.after]] if cheat.after else []) + [cheat]:
                path = folder / f"{each.name}.py"
                path.write_text(program(each.name))
                for args in each.evals:
                    verdict = evolve_eval(each.problem, path, args)
                    honest_score = each.honest
                    if honest_score is None:
                        honest_score = honest(each.problem, args)
                    outcomes.append((each.name, args, verdict, honest_score))
        finally:
            if stateful:
                clear_left_state(prefix)
    return outcomes


class EvalVerdicts:
    """The selected cheats' `evolve eval`s, two at a time in the background from the first
    test on (the battery mostly waits on subprocesses); each test waits for its own."""

    def __init__(self, folder: Path, honest: HonestScores, names: list[str]) -> None:
        self.folder, self.honest = folder, honest
        self.pool = ThreadPoolExecutor(max_workers=2)
        self.futures = {name: self.pool.submit(self.run, name) for name in names}

    def run(self, name: str) -> list[Outcome]:
        folder = self.folder / name
        folder.mkdir()
        return evaluate_cheat(BY_NAME[name], folder, self.honest)

    def get(self, name: str) -> list[Outcome]:
        return self.futures[name].result()

    def wait(self) -> None:
        for future in self.futures.values():
            future.exception()
