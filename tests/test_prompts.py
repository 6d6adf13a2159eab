"""Building prompts (evolve.prompts)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from evolve.patches import apply_reply
from evolve.prompts import (
    MAX_ERROR_LINES,
    MAX_EXCERPT_LINES,
    MAX_FAILURES,
    SEARCH_REPLACE_FORMAT,
    Failure,
    Shot,
    build_messages,
)

TEMPLATE = '''\
"""Online bin packing."""
import numpy as np

# EVOLVE-BLOCK-START
def priority(item: float, bins: np.ndarray) -> np.ndarray:
    return {body}
# EVOLVE-BLOCK-END
'''
DESCRIPTION = "Online bin packing: score each bin for the item; fewer bins is better."
FIRST_FIT = Shot(TEMPLATE.format(body="-np.arange(len(bins))"), -0.0423, {"excess": 0.0423})
BEST_FIT = Shot(TEMPLATE.format(body="-(bins - item)"), -0.0398, {"excess": 0.0398, "score": 1})


def messages(
    shots: Sequence[Shot] = (FIRST_FIT, BEST_FIT), failures: Sequence[Failure] = ()
) -> list[dict[str, str]]:
    return build_messages(DESCRIPTION, "priority", list(shots), list(failures))


def test_roles_and_determinism() -> None:
    first, second = messages(), messages()
    assert first == second
    assert [m["role"] for m in first] == ["system", "user"]
    assert all(isinstance(m["content"], str) and m["content"] for m in first)


def test_system_message_states_task_rules_and_exact_format() -> None:
    system = messages()[0]["content"]
    assert DESCRIPTION in system
    assert "`priority`" in system
    assert "# EVOLVE-BLOCK-START" in system and "# EVOLVE-BLOCK-END" in system
    assert SEARCH_REPLACE_FORMAT in system
    assert "<<<<<<< SEARCH\n" in system and "\n=======\n" in system
    assert "\n>>>>>>> REPLACE" in system
    assert "```python" in system


def test_system_message_depends_only_on_the_problem() -> None:
    assert messages()[0] == messages([BEST_FIT])[0]


def test_shots_in_given_order_parent_last_and_in_full() -> None:
    user = messages()[1]["content"]
    assert user.index("-np.arange(len(bins))") < user.index("-(bins - item)")
    assert "### Version 1 (score -0.0423; excess 0.0423)" in user
    assert "### Version 2: the program to improve (score -0.0398; excess 0.0398)" in user
    assert user.count('"""Online bin packing."""') == 1  # the context, once: the parent's
    assert user.count("import numpy as np") == 1
    assert "# EVOLVE-BLOCK-START" in user.split("### Version 2")[1]
    assert "# EVOLVE-BLOCK-START" not in user.split("### Version 2")[0]
    assert user.rstrip().endswith("fenced block.")
    assert "priority" in user.split("\n\n")[-1]


def test_single_shot_and_unscored_shot() -> None:
    user = messages([Shot(TEMPLATE.format(body="bins"), None)])[1]["content"]
    assert "Earlier versions" not in user
    assert "### Version 1: the program to improve (not scored)" in user


def test_metrics_sorted_and_limited() -> None:
    metrics = {f"m{i}": float(i) for i in range(10, 0, -1)}
    user = messages([Shot(BEST_FIT.source, 1.5, metrics)])[1]["content"]
    assert "score 1.5; m1 1, m10 10, m2 2, m3 3, m4 4, m5 5)" in user
    assert "m6" not in user


def test_failures_included_truncated_and_recent_only() -> None:
    error = "ZeroDivisionError: boom\n" + "\n".join(f"  note {i}" for i in range(40))
    excerpt = "\n".join(f"line_{i} = {i}" for i in range(50))
    failures = [Failure("runtime_error", error, excerpt)]
    failures += [Failure(f"old_{i}", f"Error {i}: x") for i in range(5)]  # newest first
    user = messages(failures=failures)[1]["content"]
    assert "runtime_error" in user and "ZeroDivisionError: boom" in user
    assert f"old_{MAX_FAILURES - 2}" in user and f"old_{MAX_FAILURES - 1}" not in user
    assert f"note {MAX_ERROR_LINES - 2}" in user and f"note {MAX_ERROR_LINES - 1}" not in user
    assert "..." in user
    assert f"line_{MAX_EXCERPT_LINES - 1} =" in user and f"line_{MAX_EXCERPT_LINES} =" not in user
    assert user.index("runtime_error") < user.index("Write an improved version")


CANDIDATE_ERROR = """\
ZeroDivisionError: float division by zero
Traceback (most recent call last):
  File "/opt/venv/lib/python3.11/site-packages/numpy/core/fromnumeric.py", line 59, in _wrapfunc
    return bound(*args, **kwds)
  File "<candidate>", line {line}, in priority
    return 1.0 / (item - item)
           ~~~~^~~~~~~~~~~~~~~
--- stderr (tail) ---
/opt/venv/lib/python3.11/site-packages/numpy/core/_methods.py:118: RuntimeWarning: oops"""


def test_failures_show_the_candidates_frames_not_internals_nor_paths() -> None:
    failure = Failure("sandbox:error", CANDIDATE_ERROR.format(line=7))
    user = messages(failures=[failure])[1]["content"]
    shown = user.split("### Recent failed")[1]
    assert "ZeroDivisionError: float division by zero" in shown
    assert "line 7, in priority" in shown and "return 1.0 / (item - item)" in shown
    assert "_wrapfunc" not in shown and "/opt/venv" not in shown and "site-packages" not in shown
    assert "numpy/core/_methods.py:118: RuntimeWarning" in shown


def test_repeated_failures_are_one_line_with_a_count() -> None:
    failures = [
        Failure("sandbox:error", CANDIDATE_ERROR.format(line=n), f"x = {n}") for n in (9, 8, 7)
    ]
    failures.insert(1, Failure("patch:no_code", "the reply has no code"))
    user = messages(failures=failures)[1]["content"]
    shown = user.split("### Recent failed")[1]
    assert shown.count("ZeroDivisionError") == 1 and "sandbox:error (3 times" in shown
    assert "line 9, in priority" in shown and "x = 9" in shown  # the newest one
    assert "patch:no_code: the reply has no code" in shown


def test_failure_excerpt_shows_the_block_of_a_full_program() -> None:
    failure = Failure("runtime_error", "ZeroDivisionError", TEMPLATE.format(body="1 / 0"))
    user = messages([BEST_FIT], [failure])[1]["content"]
    failed = user.split("### Recent failed")[1]
    assert "return 1 / 0" in failed and "import numpy" not in failed


def test_long_single_line_error_is_cut() -> None:
    user = messages(failures=[Failure("syntax_error", "x" * 10_000)])[1]["content"]
    assert len(user) < 3_000


def test_no_shots_is_an_error() -> None:
    with pytest.raises(ValueError, match="parent"):
        build_messages(DESCRIPTION, "priority", [])


def test_search_blocks_copied_from_the_prompt_apply() -> None:
    """What the prompt shows of the parent can be used verbatim as a SEARCH part."""
    user = messages()[1]["content"]
    line = next(x for x in user.split("### Version 2")[1].split("\n") if "return" in x)
    reply = f"<<<<<<< SEARCH\n{line}\n=======\n    return -(bins - item) ** 2\n>>>>>>> REPLACE"
    assert "** 2" in apply_reply(BEST_FIT.source, reply, "priority")
