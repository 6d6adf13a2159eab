"""The sandbox's pure parts: strict JSON encoding, framing, classification, the fake."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from sandbox import FakeSandbox, Job, Limits, Result, SandboxError, Status, protocol
from sandbox.encode import BadResult, to_json_bytes
from sandbox.verdict import Exit, classify, report_complete
from sandbox.worker import worker_env


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": [1, 2.5, None, True, "s", (3,)]}, b'{"a":[1,2.5,null,true,"s",[3]]}'),
        ([np.int64(3), np.float32(0.5), np.bool_(True)], b"[3,0.5,true]"),
        (np.arange(4).reshape(2, 2), b"[[0,1],[2,3]]"),
        (2**63 - 1, str(2**63 - 1).encode()),
    ],
)
def test_plain_values_encode(value: object, expected: bytes) -> None:
    assert to_json_bytes(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("inf"), "result is inf"),
        ([1, [2, float("nan")]], "result[1][1] is nan"),
        (2**63, "64-bit"),
        (np.array([1.0, np.nan]), "result[1] is nan"),
        (np.array([object()], dtype=object), "type object"),
        ({"k": {3: 1}}, "result['k'] has a dict key of type int"),
        (lambda: 1, "type function"),
    ],
)
def test_non_plain_values_are_refused_with_their_place(value: object, message: str) -> None:
    with pytest.raises(BadResult, match=message.replace("[", r"\[")):
        to_json_bytes(value)


def test_self_containing_value_is_refused() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(BadResult, match="nested too deeply"):
        to_json_bytes(loop)


def test_protocol_round_trip_and_timeout() -> None:
    read_end, write_end = os.pipe()
    try:
        protocol.send(write_end, {"op": "x", "n": [1, "é"]}, b"\x00blob")
        assert protocol.recv(read_end) == ({"op": "x", "n": [1, "é"]}, b"\x00blob")
        with pytest.raises(TimeoutError):
            protocol.recv(read_end, deadline=0.0)
        os.close(write_end)
        with pytest.raises(EOFError):
            protocol.recv(read_end)
    finally:
        os.close(read_end)


def exit_with(
    status: int, *, timed_out: bool = False, cpu_s: float = 0.0, rss: float = 10.0
) -> Exit:
    return Exit(status, timed_out, wall_s=0.1, cpu_s=cpu_s, max_rss_mb=rss)


EXITED_0, KILLED = 0, signal.SIGKILL  # wait statuses: exit(0), killed by SIGKILL


@pytest.mark.parametrize(
    ("exit_", "report", "over_cap", "status"),
    [
        (exit_with(EXITED_0), b'{"status":"ok"}\n', False, Status.OK),
        (exit_with(EXITED_0), b'{"status":"ok"}\n[1]', False, Status.BAD_RESULT),
        (exit_with(EXITED_0), b"[" * 200_000 + b"\n", False, Status.BAD_RESULT),
        (
            exit_with(EXITED_0),
            b'{"status":"ok","e":' + b"[" * 9_000 + b"\n",
            False,
            Status.BAD_RESULT,
        ),
        (exit_with(EXITED_0), b'{"status":"\xff\xfe"}\n', False, Status.BAD_RESULT),
        (exit_with(EXITED_0), b'{"status":"error","error":[1]}\n', False, Status.BAD_RESULT),
        (
            exit_with(EXITED_0),
            b'{"status":"ok","x":"' + b"a" * 99_000 + b'"}\n',
            False,
            Status.BAD_RESULT,
        ),
        (exit_with(EXITED_0), b'{"status":"error","error":"E: x"}\n', False, Status.ERROR),
        (exit_with(EXITED_0), b"garbage", False, Status.BAD_RESULT),
        (exit_with(EXITED_0), b"", False, Status.CRASH),
        (exit_with(KILLED, timed_out=True), b"", False, Status.TIMEOUT),
        (exit_with(signal.SIGXCPU), b"", False, Status.TIMEOUT),
        (exit_with(KILLED, cpu_s=5.0), b"", False, Status.TIMEOUT),
        (exit_with(signal.SIGSEGV), b"", False, Status.CRASH),
        (exit_with(signal.SIGSEGV, rss=1000.0), b"", False, Status.MEMORY),
        (exit_with(KILLED), b'{"status":"ok"}\n[1]', True, Status.OUTPUT_LIMIT),
        (Exit(None, False, 0.1), b'{"status":"ok","bytes":0}\n', False, Status.OK),
        (Exit(None, False, 0.1), b"", False, Status.CRASH),
    ],
)
def test_classify(exit_: Exit, report: bytes, over_cap: bool, status: Status) -> None:
    meta, blob = classify(exit_, report, over_cap, Limits(timeout_s=5.0, memory_mb=1000))
    assert meta["status"] == status.value
    assert blob == b""  # the value never comes from the child's report
    assert bool(meta["error"]) == (status is not Status.OK)


def test_worker_env_has_no_parent_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "secret")
    env = worker_env()
    assert "ANTHROPIC_API_KEY" not in env and "secret" not in env.values()
    assert set(env) >= {"PATH", "LANG", "OMP_NUM_THREADS", "PYTHONHASHSEED"}


def test_job_message_round_trip() -> None:
    job = Job("src", "f", (1, [2]), "m:run", "train", Limits(timeout_s=3.0))
    assert Job.from_message(job.to_message()) == job


async def test_fake_sandbox_answers_with_its_handler() -> None:
    def handler(job: Job, instances: object) -> Result:
        return Result(Status.OK, value=[job.entry, instances])

    fake = FakeSandbox(handler)
    fake.share("train", {"a": 1})
    assert fake.run("src", "f", harness="m:run", shared="train").value == ["f", {"a": 1}]
    assert (await fake.arun("src", "g")).value == ["g", None]
    assert [job.entry for job in fake.jobs] == ["f", "g"]
    with pytest.raises(SandboxError):
        fake.run("src", "f", shared="missing")


@pytest.mark.parametrize(
    ("report", "complete"),
    [
        (b'{"status":"ok","bytes":3}\n[1]', True),
        (b'{"status":"ok","bytes":9}\n[1]', False),
        (b'{"status":"error","error":"E"}\n', True),
        (b'{"status":"ok","by', False),
        (b"", False),
    ],
)
def test_report_is_complete_only_when_whole(report: bytes, complete: bool) -> None:
    assert report_complete(report) is complete
