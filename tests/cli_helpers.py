"""Running the `evolve` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

__all__ = ["evolve", "evolve_json"]


def evolve(
    *args: str, timeout: float = 120, env: dict[str, str] | None = None, cwd: str | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "evolve", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=cwd,
    )


def evolve_json(*args: str, **kwargs: Any) -> Any:
    done = evolve(*args, "--json", **kwargs)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
