"""What a candidate may read, and what it may leave behind for the next one.

A candidate reads only what it needs to run: the standard library, the packages its
problem preloads and its own scratch directory; never the project's source, the data
sets, an archive, /etc or a home directory. And nothing one candidate writes through
shared memory, message queues, semaphores or files is there for the next candidate.
Each test that depends on a layer skips where `probe_layers` says it is missing.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import sqlite3
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy
import pytest

from sandbox import Limits, Result, Sandbox
from sandbox.landlock import Landlock, landlock_abi, readable_paths
from sandbox.layers import LAYERS, probe_layers

REPO = Path(__file__).resolve().parent.parent
LIMITS = Limits(timeout_s=5.0, memory_mb=512)
IPC_KEY = 0x5EED0000 + os.getpid() % 0xFFFF  # unique enough between concurrent test runs

# The candidate's verdict on reading a path (or importing "import NAME"): "read" or the
# exception's type name.
TRY_READ = """
import importlib, os
def attempt(path):
    try:
        if path.startswith("import "):
            importlib.import_module(path.removeprefix("import "))
        elif os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as fh:
                fh.read(1)
        return "read"
    except Exception as exc:
        return type(exc).__name__
"""


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip()


def ok_value(result: Result) -> object:
    assert result.ok, f"{result.status}: {result.error}"
    return result.value


@pytest.fixture(scope="module")
def active() -> set[str]:
    return {layer.name for layer in probe_layers() if layer.active}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(1, limits=LIMITS, preload=("numpy",)) as box:
        yield box


def need(active: set[str], layer: str) -> None:
    if layer not in active:
        pytest.skip(f"the {layer!r} layer is not active here")


def here(code: str, as_json: bool = True) -> Any:
    """What `f` of `code` returns in this process (as the sandbox returns it: JSON)."""
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    value = namespace["f"]()
    return json.loads(json.dumps(value)) if as_json else value


def attempts(sandbox: Sandbox, paths: list[str]) -> list[str]:
    code = TRY_READ + "def f(paths):\n    return [attempt(p) for p in paths]\n"
    return ok_value(sandbox.run(code, "f", [paths]))  # type: ignore[return-value]


# --- the layers as reported ----------------------------------------------------------


def test_the_new_layers_are_reported() -> None:
    statuses = {layer.name: layer for layer in probe_layers()}
    assert {"landlock reads", "ipc namespace"} <= set(statuses) <= set(LAYERS)
    reads = statuses["landlock reads"]  # says what it does, or what is lost without it
    assert ("standard library" if reads.active else "project's source") in reads.detail
    if statuses["user namespace"].active:  # an IPC namespace never needs more than that
        assert statuses["ipc namespace"].active


def test_the_ipc_namespace_is_the_workers_own(sandbox: Sandbox, active: set[str]) -> None:
    need(active, "ipc namespace")
    code = "import os\ndef f():\n    return os.readlink('/proc/self/ns/ipc')\n"
    assert ok_value(sandbox.run(code, "f")) != os.readlink("/proc/self/ns/ipc")


def test_readable_paths_hold_the_stdlib_and_numpy_but_not_the_project() -> None:
    paths = readable_paths(["numpy"])

    def covered(path: str) -> bool:
        real = os.path.realpath(path)
        return any(real == p or real.startswith(p + os.sep) for p in paths)

    assert covered(os.__file__) and covered(textwrap.__file__)
    assert covered(numpy.__file__) and covered(os.path.dirname(numpy.__file__) + "/random")
    for forbidden in (REPO, REPO / "problems", REPO / "sandbox" / "landlock.py"):
        assert not covered(str(forbidden)), forbidden
    site_dirs = [p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")]
    for site_dir in site_dirs:
        assert not covered(site_dir) and not covered(os.path.join(site_dir, "litellm"))
    assert not covered("/etc/passwd") and not covered("/root") and not covered("/home")


def confined(landlock: Landlock, scratch: Path, reads: list[str], shared: bool) -> list[str]:
    """In a forked child confined by `landlock`: write into `scratch`, then read `reads`
    (TRY_READ's verdicts: "read" or the exception's type name)."""
    attempt = here(TRY_READ + "def f():\n    return attempt\n", as_json=False)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            landlock.restrict(str(scratch), shared=shared)
            (scratch / "new.txt").write_text("written")
            verdicts = [attempt(str(scratch / "new.txt"))] + [attempt(p) for p in reads]
            os.write(write_end, json.dumps(verdicts).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        data = reader.read()
    os.waitpid(pid, 0)
    return json.loads(data) if data else ["the child failed to confine itself"]


@pytest.mark.parametrize("shared", [True, False], ids=["prebuilt", "built in the child"])
def test_landlock_allows_the_stdlib_and_own_scratch_only(tmp_path: Path, shared: bool) -> None:
    if not landlock_abi():
        pytest.skip("no Landlock here")
    root = tmp_path / "scratch-root"
    (root / "earlier").mkdir(parents=True)
    (root / "earlier" / "left.txt").write_text("earlier candidate")
    (root / "mine").mkdir()
    landlock = Landlock(landlock_abi(), readable_paths(), str(root))
    try:
        harness = str(REPO / "problems" / "bin_packing" / "harness.py")
        reads = [os.__file__, str(root / "earlier" / "left.txt"), str(root), harness, "/etc"]
        verdicts = confined(landlock, root / "mine", reads, shared)
        assert verdicts == ["read", "read"] + ["PermissionError"] * 4
        root.rename(tmp_path / "moved")  # a new scratch root: the prebuilt rules miss it
        (root / "mine").mkdir(parents=True)
        assert confined(landlock, root / "mine", [os.__file__], shared) == ["read", "read"]
    finally:
        landlock.close()


# --- what a candidate cannot read ----------------------------------------------------


def test_candidate_cannot_read_the_project(sandbox: Sandbox, active: set[str]) -> None:
    need(active, "landlock reads")
    harness = REPO / "problems" / "bin_packing" / "harness.py"
    assert harness.is_file()  # what the sandbox must hide does exist
    paths = [str(harness), str(REPO), str(REPO / "evolve"), str(REPO / "sandbox" / "layers.py")]
    assert attempts(sandbox, paths) == ["PermissionError"] * len(paths)


def test_candidate_cannot_import_the_project_or_other_packages(
    sandbox: Sandbox, active: set[str]
) -> None:
    need(active, "landlock reads")
    names = ["problems", "evolve", "archive", "problems.bin_packing.harness", "litellm"]
    verdicts = attempts(sandbox, [f"import {name}" for name in names])
    assert len(verdicts) == len(names) and "read" not in verdicts, verdicts


# the packaged data sets (problems/data), relative to the `datasets` fixture's folder
PACKAGED = ["orlib_binpack/binpack1.txt", "orlib_binpack/weibull5k_funsearch.json",
            "tsplib/eil51.opt.tour", "tsplib/optimal_lengths.json",
            "tsp_random/eoh_tsp_test_n50.npy", "p3/puzzles.json", "p3", "."]  # fmt: skip


def test_readable_paths_never_cover_the_packaged_data(datasets: Path) -> None:
    """The package's data lies beneath the directory that holds this project's packages
    (the source tree, or site-packages when installed), which no rule may cover."""
    files = [path for path in datasets.rglob("*") if path.is_file()]
    assert len(files) > 80
    paths = readable_paths(["numpy"])
    # Not even for a problem that lists this project's own packages among its preloads.
    with_own = readable_paths(["numpy", "problems", "problems.data", "evolve", "archive"])
    assert with_own == paths
    for path in [datasets, *files]:
        real = os.path.realpath(path)
        assert not any(real == p or real.startswith(p + os.sep) for p in paths), path


def test_candidate_cannot_read_the_data_sets(
    sandbox: Sandbox, active: set[str], datasets: Path
) -> None:
    need(active, "landlock reads")
    paths = [str(datasets / name) for name in PACKAGED]
    assert all(os.path.exists(path) for path in paths)  # what the sandbox must hide exists
    assert attempts(sandbox, paths) == ["PermissionError"] * len(paths)


def test_candidate_cannot_read_an_archive(
    sandbox: Sandbox, active: set[str], tmp_path: Path
) -> None:
    need(active, "landlock reads")
    database = tmp_path / "archive.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE program (source TEXT)")
        connection.execute("INSERT INTO program VALUES ('def best(): ...')")
    connection.close()
    assert attempts(sandbox, [str(database), str(tmp_path)]) == ["PermissionError"] * 2


def test_candidate_cannot_read_etc_home_or_other_scratch_dirs(
    sandbox: Sandbox, active: set[str]
) -> None:
    need(active, "landlock reads")
    paths = ["/etc/passwd", "/etc", str(Path.home()), "/proc/self/environ", ".."]
    assert attempts(sandbox, paths) == ["PermissionError"] * len(paths)


def test_without_the_layer_the_project_is_readable() -> None:
    """The counterpart of the tests above: it is Landlock that hides the files."""
    harness = str(REPO / "problems" / "bin_packing" / "harness.py")
    if not os.access(harness, os.R_OK):
        pytest.skip("this user cannot read the repository at all")
    with Sandbox(1, limits=LIMITS, preload=(), without_layers=("landlock reads",)) as box:
        assert attempts(box, [harness]) == ["read"]


# --- what a candidate can still do ----------------------------------------------------

STDLIB = src("""
    import bisect, collections, copy, dataclasses, decimal, fractions, functools, heapq
    import itertools, json, math, operator, random, re, statistics, string, textwrap
    import typing
    Point = dataclasses.make_dataclass("Point", ["x", "y"], frozen=True)

    def f():
        heap = [5, 1, 4]
        heapq.heapify(heap)
        fraction = fractions.Fraction(1, 3) + fractions.Fraction(1, 6)
        return {"heapq": heapq.heappop(heap), "bisect": bisect.bisect_left([1, 3, 5], 4),
                "collections": collections.Counter("abca").most_common(1),
                "itertools": len(list(itertools.permutations(range(4)))),
                "functools": functools.reduce(operator.mul, range(1, 6)),
                "math": math.comb(5, 2), "random": random.Random(1).randint(0, 10**6),
                "statistics": statistics.median([3, 1, 2]), "typing": str(typing.TypeVar("T")),
                "dataclasses": dataclasses.astuple(copy.deepcopy(Point(1, 2))),
                "re": re.findall(r"\\d+", "a1b22"), "json": json.loads(json.dumps({"k": [1]})),
                "fractions": str(fraction), "decimal": str(decimal.Decimal(1) / 8),
                "string": string.ascii_lowercase[:3], "textwrap": textwrap.wrap("aa bb cc", 5)}
""")


def test_candidate_can_use_the_standard_library(sandbox: Sandbox) -> None:
    assert ok_value(sandbox.run(STDLIB, "f")) == here(STDLIB)


def test_candidate_can_use_numpy_submodules_loaded_lazily(sandbox: Sandbox) -> None:
    code = src("""
        import numpy as np
        import numpy.fft, numpy.linalg, numpy.polynomial, numpy.random
        def f():
            rng = np.random.default_rng(0)
            a = rng.random((4, 4)) + 4 * np.eye(4)
            return {"inv": bool(np.allclose(np.linalg.inv(a) @ a, np.eye(4))),
                    "solve": np.linalg.solve(np.eye(2) * 2, [2.0, 4.0]).tolist(),
                    "fft": np.abs(np.fft.fft(np.ones(4))).round(6).tolist(),
                    "polyfit": np.polyfit([0, 1, 2], [1, 3, 5], 1).round(6).tolist(),
                    "legacy": np.random.RandomState(1).randint(0, 10, 3).tolist()}
    """)
    value = ok_value(sandbox.run(code, "f"))
    assert value == here(code) and isinstance(value, dict) and value["inv"] is True


def test_candidate_keeps_its_scratch_devices_and_what_the_call_channel_needs(
    sandbox: Sandbox,
) -> None:
    code = src("""
        import mmap, os, select, tempfile, threading
        def f():
            with open("notes.txt", "w") as fh:
                fh.write("kept")
            fd, name = tempfile.mkstemp()
            memfd = os.memfd_create("x")
            os.ftruncate(memfd, 4096)
            view = mmap.mmap(memfd, 4096)
            view[:2] = b"ok"
            threading.Event().wait(0.001)  # futex
            os.sched_yield()
            poller = select.poll()
            with open("/dev/urandom", "rb") as rnd, open("/dev/zero", "rb") as zero:
                noise, zeros = rnd.read(8), zero.read(2)
            with open(os.devnull, "w") as null:
                null.write("x")
            return [open("notes.txt").read(), os.path.dirname(name) == os.getcwd(),
                    bytes(view[:2]).decode(), len(noise), zeros.hex(), poller.poll(0)]
    """)
    assert ok_value(sandbox.run(code, "f")) == ["kept", True, "ok", 8, "0000", []]


def test_a_package_that_is_not_preloaded_cannot_be_imported(active: set[str]) -> None:
    need(active, "landlock reads")
    with Sandbox(1, limits=LIMITS, preload=()) as box:
        result = box.run("def f():\n    import numpy\n    return 1\n", "f")
    assert not result.ok and "numpy" in result.error


# --- no state from one candidate to the next ------------------------------------------

LIBC = "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"


def test_system_v_shared_memory_is_refused(sandbox: Sandbox, active: set[str]) -> None:
    need(active, "seccomp")
    code = LIBC + src("""
        def f(key):
            shmid = libc.shmget(key, 4096, 0o1600)
            get_errno = ctypes.get_errno()
            address = libc.shmat(0, None, 0)
            return [shmid, get_errno, address, ctypes.get_errno()]
    """)
    libc_errors = [-1, errno.EPERM, -1, errno.EPERM]
    assert ok_value(sandbox.run(code, "f", [IPC_KEY])) == libc_errors


LEAVE = LIBC + src("""
    def f(key, secret):
        def write(path):
            with open(path, "w") as fh:
                return fh.write(secret)
        def shm():
            if (shmid := libc.shmget(key, 4096, 0o1600)) < 0:
                return os.strerror(ctypes.get_errno())
            libc.shmat.restype = ctypes.c_void_p
            return ctypes.memmove(libc.shmat(shmid, None, 0), secret.encode(), len(secret))
        left = {"dev shm": lambda: write("/dev/shm/evolve-reads-test"), "shm": shm,
                "tmp": lambda: write("/tmp/evolve-reads-test"), "scratch": lambda: write("x"),
                "sem": lambda: libc.semget(key, 1, 0o1600), "msg": lambda: libc.msgget(key, 0o1600),
                "mqueue": lambda: libc.syscall(240, b"evolve-reads-test", 0o102, 0o600, None)}
        for name, action in left.items():
            try:
                left[name] = action()
            except Exception as exc:
                left[name] = type(exc).__name__
        os.environ["EVOLVE_READS_TEST"] = secret
        return [left, os.path.abspath("x")]
""")
FIND = LIBC + src("""
    def f(key, secret, scratch_file):
        def read(path):
            with open(path) as fh:
                return fh.read()
        def shm():
            if (shmid := libc.shmget(key, 0, 0)) < 0:
                return -1
            libc.shmat.restype = ctypes.c_void_p
            address = libc.shmat(shmid, None, 0o10000)  # SHM_RDONLY
            return ctypes.string_at(address, len(secret)).decode(errors="replace")
        found = {"dev shm": lambda: read("/dev/shm/evolve-reads-test"), "shm": shm,
                 "tmp": lambda: read("/tmp/evolve-reads-test"),
                 "scratch": lambda: read(scratch_file),
                 "sem": lambda: libc.semget(key, 0, 0), "msg": lambda: libc.msgget(key, 0),
                 "mqueue": lambda: libc.syscall(240, b"evolve-reads-test", 0, 0, None),
                 "environ": lambda: os.environ.get("EVOLVE_READS_TEST")}
        for name, look in found.items():
            try:
                value = look()
                found[name] = None if value == -1 else value  # -1: the call failed
            except Exception:
                found[name] = None
        return found
""")


def test_nothing_one_candidate_writes_is_there_for_the_next(sandbox: Sandbox) -> None:
    secret = f"reads-secret-{os.getpid()}"
    try:
        written = ok_value(sandbox.run(LEAVE, "f", [IPC_KEY, secret]))
        assert isinstance(written, list)
        left, scratch_file = written
        assert left["scratch"] == len(secret)  # its own scratch directory is writable
        found = ok_value(sandbox.run(FIND, "f", [IPC_KEY, secret, scratch_file]))
        assert isinstance(found, dict) and set(found) == {*left, "environ"}
        assert all(value is None for value in found.values()), (left, found)
    finally:
        for path in ("/dev/shm/evolve-reads-test", "/tmp/evolve-reads-test"):
            if os.path.exists(path):
                os.unlink(path)


def test_the_ipc_namespace_keeps_shared_memory_from_the_host(active: set[str]) -> None:
    need(active, "ipc namespace")
    code = LIBC + "def f(key):\n    return libc.shmget(key, 4096, 0o1600)\n"
    libc = ctypes.CDLL(None, use_errno=True)
    with Sandbox(1, limits=LIMITS, preload=(), without_layers=("seccomp",)) as box:
        shmid = ok_value(box.run(code, "f", [IPC_KEY + 1]))
        assert isinstance(shmid, int) and shmid >= 0  # made, in the worker's namespace
        leaked, why = libc.shmget(IPC_KEY + 1, 0, 0), ctypes.get_errno()
    if leaked >= 0:
        libc.shmctl(leaked, 0, None)  # IPC_RMID: do not leave it on the host
    assert leaked == -1 and why == errno.ENOENT
