"""The trusted harness and the call channel: the harness runs in the host, the candidate
gets only its arguments, instances run in lockstep, and nothing the candidate sends or
scribbles over the channel can break the host or the run."""

from __future__ import annotations

import contextlib
import os
import textwrap

import numpy as np
import pytest

from sandbox import Limits, Sandbox, Status
from sandbox.rows import decode_rows, encode_rows
from sandbox.wire import MAX_DEPTH, WireError, decode, encode_into

HARNESSES = os.path.join(os.path.dirname(__file__), "harnesses")
FAST = Limits(timeout_s=5.0, memory_mb=512)
SECRET = "instance-secret-7f3a9c"


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip()


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(1, limits=FAST, sys_path=[HARNESSES]) as box:
        box.share("abc", {k: {"name": k, "secret": SECRET, "n": 3} for k in "abc"})
        box.share("x", {"one": {"x": 1, "y": 5, "n": 4}})
        yield box


def test_instances_run_in_lockstep(sandbox: Sandbox) -> None:
    program = src(
        """
        seen = []
        def f(name, step):
            if name == "report":
                return seen
            seen.append(f"{name}{step}")
        """
    )
    result = sandbox.run(program, "f", harness="channel_harnesses:record", shared="abc")
    assert result.ok, result.error
    # one call per instance per step, and each "report" sees everything before it
    assert result.value["a"][:9] == ["a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"]


def test_candidate_holds_no_instance_nor_harness(sandbox: Sandbox) -> None:
    program = src(
        """
        import gc, sys
        def f(name, step):
            if name != "report":
                return None
            found = [o for o in gc.get_objects() if isinstance(o, dict) and "secret" in o]
            strings = [o for o in gc.get_objects() if isinstance(o, str) and "instance-secret" in o]
            modules = sorted(m for m in sys.modules if "harness" in m or m.startswith("problems"))
            frames, frame = [], sys._getframe()
            while frame is not None:
                frames.append(frame.f_code.co_filename)
                frame = frame.f_back
            return {"dicts": len(found), "strings": len(strings), "modules": modules,
                    "frames": frames}
        """
    )
    result = sandbox.run(program, "f", harness="channel_harnesses:record", shared="abc")
    assert result.ok, result.error
    report = result.value["a"]
    assert report["dicts"] == 0 and report["strings"] == 0 and report["modules"] == []
    assert not any("harness" in name for name in report["frames"])


def test_map_and_keywords(sandbox: Sandbox) -> None:
    square = "def f(i):\n    return i * i\n"
    result = sandbox.run(square, "f", harness="channel_harnesses:mapped", shared="x")
    assert result.value == {"one": [0, 1, 4, 9]}
    add = "def f(x, y=0):\n    return x + y\n"
    assert sandbox.run(add, "f", harness="channel_harnesses:keywords", shared="x").value == {
        "one": 6
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        ("raise KeyError('boom')", Status.ERROR, "KeyError: 'boom'"),
        ("return 'x'", Status.ERROR, "the program must return an int, got str"),
        ("return object()", Status.BAD_RESULT, "cannot cross the sandbox boundary"),
        ("return (lambda: 1)", Status.BAD_RESULT, "function"),
        ("import os; os._exit(0)", Status.CRASH, "without returning"),
        ("while True: pass", Status.TIMEOUT, "limit"),
        ("return 'a' * (20 << 20)", Status.OUTPUT_LIMIT, "over the limit"),
    ],
)
def test_candidate_failures_are_its_own(
    sandbox: Sandbox, body: str, status: Status, text: str
) -> None:
    program = f"def f(x):\n    {body}\n"
    limits = Limits(timeout_s=1.0, memory_mb=512)
    result = sandbox.run(
        program, "f", harness="channel_harnesses:checked", shared="x", limits=limits
    )
    assert result.status is status, result.error
    assert text in result.error
    assert "harnesses/" not in result.error and "sandbox/" not in result.error
    assert sandbox.run(
        "def f(x):\n    return 7\n", "f", harness="channel_harnesses:checked", shared="x"
    ).value == {"one": 7}


def test_deeply_nested_values_are_refused(sandbox: Sandbox) -> None:
    program = "def f():\n    x = []\n    for _ in range(200_000):\n        x = [x]\n    return x\n"
    result = sandbox.run(program, "f")
    assert result.status is Status.BAD_RESULT and "nested" in result.error


SCRIBBLE = src(
    """
    import ctypes, os, random
    def f(i):
        if i < 2:
            return i
        for line in open("/proc/self/maps"):
            if "evolve-calls" in line:
                start, end = (int(x, 16) for x in line.split()[0].split("-"))
                rng = random.Random(MODE)
                if MODE == 0:  # a huge length, a bogus sequence number
                    ctypes.c_uint64.from_address(start + 32).value = 2**63
                    ctypes.c_uint64.from_address(start + 8).value += 1
                else:  # random bytes over the header and the message
                    for offset in range(0, 4096, 8):
                        ctypes.c_uint64.from_address(start + offset).value = rng.getrandbits(64)
                    ctypes.c_uint64.from_address(start + 8).value += 1
                while True:
                    pass
        return -1
    """
)


@pytest.mark.parametrize("mode", range(6))
def test_scribbling_over_the_channel_is_the_candidates_failure(sandbox: Sandbox, mode: int) -> None:
    program = SCRIBBLE.replace("MODE", str(mode))
    limits = Limits(timeout_s=2.0, memory_mb=512)
    result = sandbox.run(
        program, "f", harness="channel_harnesses:repeat", shared="x", limits=limits
    )
    assert result.status in (Status.BAD_RESULT, Status.ERROR, Status.TIMEOUT, Status.CRASH), result
    again = sandbox.run(
        "def f(i):\n    return i\n", "f", harness="channel_harnesses:repeat", shared="x"
    )
    assert again.value == {"one": 4}


def test_wire_round_trip_and_refusals() -> None:
    buf = memoryview(bytearray(1 << 16))
    values = [
        None,
        True,
        -3,
        2**80,
        1.5,
        float("inf"),
        "é",
        b"x",
        [1, (2, {3})],
        {"k": [1]},
        frozenset({1}),
        np.arange(4),
        np.int64(3),
        np.float32(0.5),
        np.ones((2, 2)),
    ]
    for value in values:
        end = encode_into(buf, 0, value)
        out, after = decode(buf, 0, end)
        assert after == end and type(out) is type(value)
        assert np.array_equal(out, value) if isinstance(value, np.ndarray) else out == value
    nested: list = []
    for _ in range(MAX_DEPTH + 1):
        nested = [nested]
    for bad in (object(), np.array(["s"]), np.array([None]), nested):
        with pytest.raises(WireError):
            encode_into(buf, 0, bad)


def test_decoding_hostile_bytes_raises_only_wire_errors() -> None:
    rng = np.random.default_rng(0)
    deep = memoryview(bytearray(b"l\x01\x00\x00\x00" * 10_000 + b"N"))
    with pytest.raises(WireError):
        decode(deep, 0, len(deep))
    for _ in range(3000):
        data = bytearray(rng.integers(0, 256, 64, dtype=np.uint8).tobytes())
        for decoder, first in ((decode, None), (decode_rows, b"c"), (decode_rows, b"g")):
            if first:
                data[0] = first[0]
            with contextlib.suppress(WireError):
                decoder(memoryview(data), 0, len(data))


def test_rows_columns_round_trip() -> None:
    buf = memoryview(bytearray(1 << 20))
    bins = np.arange(10, dtype=np.int64)
    rows = [(np.int64(i), bins[: 5 + i]) for i in range(3)]
    out, _ = decode_rows(buf, 0, encode_rows(buf, 0, rows))
    assert [(type(a), b.tolist()) for a, b in out] == [(np.int64, r[1].tolist()) for r in rows]
    out[0][1][0] = 99  # the decoded arrays are copies, one per row
    assert out[1][1][0] == 0 and bins[0] == 0


def test_candidate_cannot_read_the_hosts_memory(sandbox: Sandbox) -> None:
    """The host (the zygote's parent) holds the instances: no way into its memory."""
    program = src(
        """
        import ctypes, os
        def f(name, step):
            if name != "report":
                return None
            found = []
            for pid in range(max(os.getppid() - 50, 1), os.getppid() + 50):
                try:
                    with open(f"/proc/{pid}/mem", "rb") as memory:
                        found.append(("mem", pid, len(memory.read(1))))
                except OSError:
                    pass
                local = (ctypes.c_char * 8)()
                iov = (ctypes.c_void_p * 2)(ctypes.addressof(local), 8)
                remote = (ctypes.c_void_p * 2)(0x400000, 8)
                libc = ctypes.CDLL(None, use_errno=True)
                if libc.process_vm_readv(pid, iov, 1, remote, 1, 0) > 0:
                    found.append(("vm_readv", pid))
            return found
        """
    )
    result = sandbox.run(program, "f", harness="channel_harnesses:record", shared="abc")
    assert result.ok, result.error
    assert result.value["a"] == []
