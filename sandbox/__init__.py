"""Running untrusted candidate programs: zygote workers, limits, isolation, results.

    with Sandbox(workers=2, limits=Limits(timeout_s=5)) as sandbox:
        result = sandbox.run("def f(x):\\n    return x + 1\\n", "f", [41])
        assert result.ok and result.value == 42

A leaf package: it imports nothing else of this project (problem harnesses are imported
by name inside the workers). The controller-side classes are imported lazily, so the
zygote worker, which imports this package too, stays lean (fork cost grows with its size).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sandbox.errors import SandboxError
from sandbox.result import Job, Limits, Result, Status

if TYPE_CHECKING:
    from sandbox.fake import FakeSandbox
    from sandbox.pool import Sandbox, execute

__all__ = [
    "FakeSandbox",
    "Job",
    "Limits",
    "Result",
    "Sandbox",
    "SandboxError",
    "Status",
    "execute",
]

_LAZY = {"FakeSandbox": "sandbox.fake", "Sandbox": "sandbox.pool", "execute": "sandbox.pool"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
