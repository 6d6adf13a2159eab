"""The sandbox against hostile candidates: every failure becomes a Result, nothing
escapes, and the controller and its workers survive whatever the candidate does."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from sandbox import Limits, Sandbox, Status, execute
from tests.polling import eventually

FAST = Limits(timeout_s=2.0, memory_mb=256)


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip()


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(2, limits=FAST) as box:
        yield box


@pytest.fixture(scope="module")
def forking():
    """Without seccomp (fork allowed) and Landlock (signals allowed): the fallbacks that
    still hold, the group kill and the zygote's own survival, are tested on their own."""
    with Sandbox(1, limits=FAST, without_layers=("seccomp", "landlock")) as box:
        yield box


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_gone(pid: int) -> bool:
    return eventually(lambda: not alive(pid))


# --- candidate failures ---------------------------------------------------------------


def test_exception_is_error_with_type_message_and_line(sandbox: Sandbox) -> None:
    code = "def f():\n    x = 1\n    raise ValueError('bad value')\n"
    result = sandbox.run(code, "f")
    assert result.status is Status.ERROR
    assert result.error.startswith("ValueError: bad value")
    assert 'File "<candidate>", line 3, in f' in result.error
    assert "raise ValueError('bad value')" in result.error
    assert "sandbox" not in result.error  # no frames of the sandbox's own code


def test_syntax_error_is_error(sandbox: Sandbox) -> None:
    result = sandbox.run("def f(:\n    return 1\n", "f")
    assert result.status is Status.ERROR
    assert result.error.startswith("SyntaxError") and "line 1" in result.error


def test_missing_entry_is_error_naming_what_exists(sandbox: Sandbox) -> None:
    result = sandbox.run("def g():\n    return 1\n", "f")
    assert result.status is Status.ERROR
    assert "no function named 'f'" in result.error and "g" in result.error


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("raise KeyboardInterrupt", Status.ERROR, "KeyboardInterrupt"),
        ("raise RecursionError('deep')", Status.ERROR, "RecursionError"),
        ("import sys; sys.exit(3)", Status.CRASH, "sys.exit(3)"),
        ("import os; os._exit(0)", Status.CRASH, "exit code 0"),
        ("import ctypes; ctypes.string_at(0)", Status.CRASH, "SIGSEGV"),
        ("import os; os.closerange(0, 100); return 1", Status.CRASH, "without returning"),
    ],
)
def test_failures_are_classified(sandbox: Sandbox, body: str, status: Status, message: str) -> None:
    result = sandbox.run(f"def f():\n    {body}\n", "f")
    assert result.status is status
    assert message in result.error


def test_deep_recursion_is_error_and_c_stack_overflow_is_crash(sandbox: Sandbox) -> None:
    code = "def f(n=0):\n    return f(n + 1)\n"
    assert sandbox.run(code, "f").status is Status.ERROR
    code = src("""
        import sys
        def f():
            sys.setrecursionlimit(10**8)
            a, b = [], []
            for _ in range(300_000):
                a, b = [a], [b]
            return a == b  # list comparison recurses in C: overflows the 8 MB C stack
    """)
    result = sandbox.run(code, "f")
    assert result.status in (Status.CRASH, Status.MEMORY), result.error


@pytest.mark.slow
def test_infinite_loop_times_out(sandbox: Sandbox) -> None:
    result = sandbox.run(
        "def f():\n    while True:\n        pass\n", "f", limits=Limits(timeout_s=0.5)
    )
    assert result.status is Status.TIMEOUT
    assert "limit" in result.error


@pytest.mark.slow
def test_cpu_limit_is_timeout(sandbox: Sandbox) -> None:
    code = "def f():\n    while True:\n        pass\n"
    result = sandbox.run(code, "f", limits=Limits(timeout_s=10.0, cpu_s=0.5))
    assert result.status is Status.TIMEOUT
    assert "CPU time limit" in result.error


@pytest.mark.parametrize(
    "code",
    [
        "import numpy as np\ndef f():\n    return np.ones(10**10).sum()\n",
        "def f():\n    return len([0] * 10**9)\n",
        "def f():\n    return len(bytearray(2 * 10**9))\n",
    ],
)
def test_huge_allocation_is_memory(sandbox: Sandbox, code: str) -> None:
    result = sandbox.run(code, "f", limits=Limits(timeout_s=5.0, memory_mb=200))
    assert result.status is Status.MEMORY, result.error


@pytest.mark.slow
def test_no_process_survives_timeout_or_return(forking: Sandbox) -> None:
    code = src("""
        import os, time
        def f(wait):
            pids = []
            for _ in range(3):
                pid = os.fork()
                if pid == 0:
                    time.sleep(60)
                    os._exit(0)
                pids.append(pid)
            print(*pids, flush=True)
            time.sleep(wait)
            return pids
    """)
    timed_out = forking.run(code, "f", [60], limits=Limits(timeout_s=0.5))
    assert timed_out.status is Status.TIMEOUT
    returned = forking.run(code, "f", [0])
    assert returned.ok
    pids = [int(p) for p in timed_out.stdout.split()] + returned.value
    assert len(pids) == 6
    assert all(wait_gone(pid) for pid in pids)


def test_grandchild_that_left_the_group_is_killed_too(forking: Sandbox) -> None:
    code = src("""
        import os, time
        def f():
            pid = os.fork()
            if pid == 0:
                os.setsid()  # escapes killpg; the zygote adopts and kills it
                time.sleep(60)
                os._exit(0)
            return pid
    """)
    result = forking.run(code, "f")
    assert result.ok
    assert wait_gone(result.value)


@pytest.mark.slow
def test_fork_storm_ends_with_the_deadline(forking: Sandbox) -> None:
    code = src("""
        import os, time
        def f():
            for _ in range(200):
                if os.fork() == 0:
                    print(os.getpid(), flush=True)
                    time.sleep(60)
                    os._exit(0)
            time.sleep(60)
    """)
    result = forking.run(code, "f", limits=Limits(timeout_s=1.0, output_bytes=1 << 20))
    assert result.status is Status.TIMEOUT
    pids = [int(p) for p in result.stdout.split()]
    assert pids and all(wait_gone(pid) for pid in pids)


# --- isolation ------------------------------------------------------------------------


def test_environment_is_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVOLVE_TEST_SECRET", "hunter2")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    code = "import os\ndef f():\n    return dict(os.environ)\n"
    env = execute(code, "f", timeout_s=5.0).value
    assert "EVOLVE_TEST_SECRET" not in env and "OPENAI_API_KEY" not in env
    assert "hunter2" not in str(env) and env["OPENBLAS_NUM_THREADS"] == "1"


def test_files_land_in_a_scratch_dir_that_is_removed(sandbox: Sandbox) -> None:
    code = src("""
        import os
        def f():
            with open('out.txt', 'w') as fh:
                fh.write('data')
            os.mkdir('locked')
            os.chmod('locked', 0)
            return [os.getcwd(), sorted(os.listdir('.'))]
    """)
    result = sandbox.run(code, "f")
    assert result.ok, result.error
    cwd, listing = result.value
    assert listing == ["locked", "out.txt"]
    assert cwd != os.getcwd()
    assert eventually(lambda: not os.path.exists(cwd))


def test_one_candidate_cannot_poison_the_next(sandbox: Sandbox) -> None:
    poison = "import builtins\ndef f():\n    builtins.sum = lambda *a: 42\n    return 0\n"
    for _ in range(2):  # both workers
        assert sandbox.run(poison, "f").ok
    assert sandbox.run("def f():\n    return sum([1, 2])\n", "f").value == 3


def test_candidate_cannot_write_into_the_control_channel(sandbox: Sandbox) -> None:
    code = src("""
        import os
        def f():
            for fd in range(64):
                try:
                    os.write(fd, b'\\x00\\x00\\x00\\x05garbage')
                except OSError:
                    pass
            return 1
    """)
    result = sandbox.run(code, "f")
    assert result.status is Status.BAD_RESULT  # it could only garble its own result
    assert sandbox.run("def f():\n    return 2\n", "f").value == 2


@pytest.mark.slow
def test_killing_the_worker_is_crash_and_the_worker_restarts(tmp_path: Path) -> None:
    (tmp_path / "tiny_harness.py").write_text("def run(program, x):\n    return program(x)\n")
    killer = src("""
        import os, time
        def f(path):
            with open(path, "w") as fh:
                fh.write(str(os.getpid()))
            os.kill(os.getppid(), 9)
            time.sleep(60)
    """)
    pid_file = tmp_path / "killer.pid"
    weak = ("seccomp", "landlock", "namespaces")
    with Sandbox(1, limits=FAST, preload=(), sys_path=[str(tmp_path)], without_layers=weak) as box:
        box.share("s", {"a": {"x": 1}})
        result = box.run(killer, "f", [str(pid_file)])
        assert result.status is Status.CRASH and "worker died" in result.error
        assert wait_gone(int(pid_file.read_text()))  # the orphaned child is killed too
        again = box.run("def f(x):\n    return x\n", "f", harness="tiny_harness:run", shared="s")
        assert again.value == {"a": {"x": 1}}  # restarted, with the shared data re-sent


@pytest.mark.slow
def test_a_stopped_worker_is_timeout_and_restarted() -> None:
    """The candidate stops its zygote: the controller's own deadline (the candidate's plus
    2.5 s) gives up on it. Deadlines are loose enough for a loaded machine: 1 s for the
    candidate to start and stop the zygote, 10 s for the first job of the new zygote."""
    weak = ("seccomp", "landlock", "namespaces")
    with Sandbox(1, limits=Limits(timeout_s=1.0), preload=(), without_layers=weak) as box:
        stopper = "import os, signal\ndef f():\n    os.kill(os.getppid(), signal.SIGSTOP)\n"
        result = box.run(stopper, "f")
        assert result.status is Status.TIMEOUT and "did not answer" in result.error
        again = box.run("def f():\n    return 1\n", "f", limits=Limits(timeout_s=10.0))
        assert again.ok and again.value == 1  # a worker still stopped would time out
