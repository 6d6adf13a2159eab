"""The sandbox end to end, friendly side: values, harnesses, shared data, the pool API.

Hostile candidates are in test_sandbox_hostile.py."""

from __future__ import annotations

import asyncio
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sandbox import Limits, Sandbox, SandboxError, Status, execute

FAST = Limits(timeout_s=2.0, memory_mb=256)

HARNESS = """
def run(program, instance):
    return program(instance["x"])

def run_args(program, a, b):
    return program(a) + b

def prepare(instance):
    return {"x": instance["x"] * 10}

def broken_prepare(instance):
    raise KeyError("nope")
"""


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip()


@pytest.fixture(scope="module")
def harness_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("harness")
    (folder / "toy_harness.py").write_text(HARNESS)
    return folder


@pytest.fixture(scope="module")
def sandbox(harness_dir: Path):
    with Sandbox(2, limits=FAST, sys_path=[str(harness_dir)]) as box:
        yield box


# --- values ---------------------------------------------------------------------------


def test_returns_value_of_entry_called_with_args(sandbox: Sandbox) -> None:
    code = "def f(a, b):\n    return [a + b, {'k': (1, 2.5)}, None, True, 's']\n"
    result = sandbox.run(code, "f", [2, 3])
    assert result.status is Status.OK, result.error
    assert result.value == [5, {"k": [1, 2.5]}, None, True, "s"]
    assert result.wall_s > 0 and result.max_rss_mb > 0


def test_numpy_values_become_lists_and_numbers(sandbox: Sandbox) -> None:
    code = "import numpy as np\ndef f():\n    return {'a': np.arange(3), 'b': np.float64(0.5)}\n"
    assert sandbox.run(code, "f").value == {"a": [0, 1, 2], "b": 0.5}


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("float('nan')", "finite"),
        ("object()", "type object"),
        ("(i for i in range(3))", "type generator"),
        ("2 ** 70", "64-bit"),
        ("{1: 2}", "keys must be str"),
        ("[1, {'x': [set()]}]", "result[1]['x'][0] is of type set"),
    ],
)
def test_non_json_values_are_bad_results(sandbox: Sandbox, expression: str, message: str) -> None:
    result = sandbox.run(f"def f():\n    return {expression}\n", "f")
    assert result.status is Status.BAD_RESULT
    assert message in result.error


def test_result_over_its_cap_is_output_limit(sandbox: Sandbox) -> None:
    limits = Limits(timeout_s=2.0, result_bytes=1000)
    result = sandbox.run("def f():\n    return 'x' * 5000\n", "f", limits=limits)
    assert result.status is Status.OUTPUT_LIMIT
    assert "1000" in result.error


def test_stdout_and_stderr_are_captured_and_capped(sandbox: Sandbox) -> None:
    code = src("""
        import sys
        def f():
            print('hello')
            print('x' * 3_000_000)
            sys.stderr.write('warn\\n')
            return 1
    """)
    result = sandbox.run(code, "f", limits=Limits(timeout_s=5.0, output_bytes=1000))
    assert result.ok
    assert result.stdout.startswith("hello\nxxx")
    assert len(result.stdout) < 1100 and "dropped" in result.stdout
    assert result.extra["stdout_dropped_bytes"] > 2_000_000
    assert result.stderr == "warn\n"


# --- harness and shared instances -------------------------------------------------------


def test_harness_runs_on_each_shared_instance_after_prepare(sandbox: Sandbox) -> None:
    sandbox.share("train", {"a": {"x": 1}, "b": {"x": 2}}, prepare="toy_harness:prepare")
    code = "def f(x):\n    return x + 1\n"
    result = sandbox.run(code, "f", harness="toy_harness:run", shared="train")
    assert result.value == {"a": 11, "b": 21}
    for _ in range(3):  # every worker gets the instances, not only the first one
        assert sandbox.run(code, "f", harness="toy_harness:run", shared="train").ok


def test_harness_with_args(sandbox: Sandbox) -> None:
    result = sandbox.run(
        "def f(x):\n    return 2 * x\n", "f", [5, 1], harness="toy_harness:run_args"
    )
    assert result.value == 11


def test_failing_prepare_raises_and_is_forgotten(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxError, match="broken_prepare failed on instance 'a'"):
        sandbox.share("bad", {"a": {"x": 1}}, prepare="toy_harness:broken_prepare")
    with pytest.raises(SandboxError, match="call share"):
        sandbox.run("def f(x):\n    return x\n", "f", harness="toy_harness:run", shared="bad")


def test_unimportable_harness_raises_with_advice(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxError, match="sys_path"):
        sandbox.run("def f():\n    return 1\n", "f", harness="no_such_module_xyz:run")
    assert sandbox.run("def f():\n    return 1\n", "f").ok


def test_args_and_instances_must_be_json(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxError, match="JSON"):
        sandbox.run("def f(x):\n    return 1\n", "f", [object()])
    with pytest.raises(SandboxError, match="JSON"):
        sandbox.share("k", {"a": float("nan")})


# --- pool ---------------------------------------------------------------------------


def test_concurrent_runs_from_threads(sandbox: Sandbox) -> None:
    code = "import time\ndef f(i):\n    time.sleep(0.01)\n    return i * i\n"
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda i: sandbox.run(code, "f", [i]), range(16)))
    assert [r.value for r in results] == [i * i for i in range(16)]


async def test_arun_runs_concurrently(sandbox: Sandbox) -> None:
    code = "def f(i):\n    return i + 1\n"
    results = await asyncio.gather(*(sandbox.arun(code, "f", [i]) for i in range(4)))
    assert [r.value for r in results] == [1, 2, 3, 4]


def test_unknown_preload_module_fails_at_start() -> None:
    with pytest.raises(SandboxError, match="no_such_module_xyz"):
        Sandbox(1, preload=["no_such_module_xyz"])


def test_closed_sandbox_refuses_runs() -> None:
    box = Sandbox(1, preload=())
    box.close()
    with pytest.raises(SandboxError, match="closed"):
        box.run("def f():\n    return 1\n", "f")


def test_execute_one_shot() -> None:
    result = execute("def f(x):\n    return x * 2\n", "f", [21], timeout_s=5.0)
    assert result.ok and result.value == 42
