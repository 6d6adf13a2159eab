"""Turning LLM replies into child programs (evolve.patches)."""

from __future__ import annotations

import random

import pytest

from evolve.exceptions import PatchError
from evolve.patches import apply_reply, evolve_block, extract_function

PARENT = '''\
"""Online bin packing."""
import numpy as np

EPSILON = 1e-9


# EVOLVE-BLOCK-START
SCALE = 1.0


def helper(x):
    return x * SCALE


def priority(item: float, bins: np.ndarray) -> np.ndarray:
    """Best fit."""
    gap = bins - item
    return -helper(gap)
# EVOLVE-BLOCK-END


def unchanged_tail():
    return 0
'''


def child_block(child: str) -> str:
    return evolve_block(child)[1]


def assert_outside_kept(child: str) -> None:
    before, _, after = evolve_block(PARENT)
    assert child.startswith(before)
    assert child.endswith(after)


def kind_of(reply: str, parent: str = PARENT) -> str:
    with pytest.raises(PatchError) as caught:
        apply_reply(parent, reply, "priority")
    return caught.value.kind


def diff(search: str, replace: str) -> str:
    return f"<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


# --- helpers -----------------------------------------------------------------------------


def test_evolve_block_splits_losslessly() -> None:
    before, block, after = evolve_block(PARENT)
    assert before + block + after == PARENT
    assert before.endswith("# EVOLVE-BLOCK-START\n")
    assert after.startswith("# EVOLVE-BLOCK-END\n")
    assert block.startswith("SCALE = 1.0")


@pytest.mark.parametrize(
    "source",
    [
        "def f(): pass\n",
        "# EVOLVE-BLOCK-START\nx = 1\n",
        "# EVOLVE-BLOCK-END\nx = 1\n# EVOLVE-BLOCK-START\n",
        "# EVOLVE-BLOCK-START\n# EVOLVE-BLOCK-START\n# EVOLVE-BLOCK-END\n",
    ],
)
def test_evolve_block_refuses_bad_markers(source: str) -> None:
    with pytest.raises(ValueError, match="EVOLVE-BLOCK"):
        evolve_block(source)


def test_extract_function() -> None:
    assert extract_function(PARENT, "helper") == "def helper(x):\n    return x * SCALE\n"
    assert extract_function(PARENT, "priority").endswith("return -helper(gap)\n")
    with pytest.raises(ValueError, match="nope"):
        extract_function(PARENT, "nope")


# --- SEARCH/REPLACE ----------------------------------------------------------------------


def test_search_replace_single_block() -> None:
    reply = "Use a square.\n" + diff("    return -helper(gap)\n", "    return -(gap**2)\n")
    child = apply_reply(PARENT, reply, "priority")
    assert "return -(gap**2)" in child and "return -helper(gap)" not in child
    assert_outside_kept(child)


def test_search_replace_several_blocks_in_order() -> None:
    reply = (
        diff("SCALE = 1.0\n", "SCALE = 2.0\n")
        + "and then\n"
        + diff("    gap = bins - item\n", "    gap = bins - item + SCALE\n")
        + diff("    gap = bins - item + SCALE\n", "    gap = (bins - item) * SCALE\n")
    )
    block = child_block(apply_reply(PARENT, reply, "priority"))
    assert "SCALE = 2.0" in block
    assert "gap = (bins - item) * SCALE" in block


def test_search_replace_in_fence_with_crlf_and_think() -> None:
    reply = (
        "<think>maybe change <<<<<<< SEARCH nothing</think>\r\nHere:\r\n```diff\r\n"
        + diff("    return -helper(gap)\n", "    return -gap\n").replace("\n", "\r\n")
        + "```\r\n"
    )
    child = apply_reply(PARENT, reply, "priority")
    assert "    return -gap\n" in child and "\r" not in child


def test_search_tolerates_trailing_whitespace() -> None:
    reply = diff("    gap = bins - item   \n    return -helper(gap)\t\n", "    return 0\n")
    assert "    return 0\n" in child_block(apply_reply(PARENT, reply, "priority"))


def test_search_with_consistent_indentation_shift() -> None:
    search = "gap = bins - item\nreturn -helper(gap)\n"  # copied without indentation
    replace = "gap = bins - item\nif gap.size:\n    gap = gap + 1\nreturn -helper(gap)\n"
    block = child_block(apply_reply(PARENT, diff(search, replace), "priority"))
    assert "    gap = bins - item\n    if gap.size:\n        gap = gap + 1\n" in block


def test_search_indented_deeper_than_program() -> None:
    search = "        def helper(x):\n            return x * SCALE\n"
    replace = "        def helper(x):\n            return x * SCALE * 2\n"
    block = child_block(apply_reply(PARENT, diff(search, replace), "priority"))
    assert "def helper(x):\n    return x * SCALE * 2\n" in block


def test_search_not_found_names_the_block() -> None:
    reply = diff("SCALE = 1.0\n", "SCALE = 3.0\n") + diff("    return gap\n", "    return 1\n")
    with pytest.raises(PatchError) as caught:
        apply_reply(PARENT, reply, "priority")
    assert caught.value.kind == "search_not_found"
    assert "SEARCH block 2 of 2" in str(caught.value)
    assert "return gap" in str(caught.value)


def test_ambiguous_search() -> None:
    twice = PARENT.replace(
        "    return x * SCALE\n", "    gap = bins - item\n    return x * SCALE\n"
    )
    assert kind_of(diff("    gap = bins - item\n", "    gap = 0\n"), twice) == "ambiguous_search"
    unique = diff("    gap = bins - item\n    return -helper(gap)\n", "    return 0\n")
    assert "    return 0\n" in apply_reply(twice, unique, "priority")


def test_search_outside_the_block_is_refused() -> None:
    assert kind_of(diff("EPSILON = 1e-9\n", "EPSILON = 0.1\n")) == "outside_evolve_block"
    assert kind_of(diff("def unchanged_tail():\n", "def changed():\n")) == "outside_evolve_block"


def test_search_touching_a_marker_is_refused() -> None:
    reply = diff("# EVOLVE-BLOCK-END\n", "")
    assert kind_of(reply) == "outside_evolve_block"
    reply = diff("    return -helper(gap)\n", "    return 0\n# EVOLVE-BLOCK-END\nx = 1\n")
    assert kind_of(reply) == "outside_evolve_block"


def test_incomplete_search_replace_block() -> None:
    cut = "<<<<<<< SEARCH\n    return -helper(gap)\n=======\n    return 0\n"
    assert kind_of(cut) == "truncated"  # the reply ends inside the block: cut off
    malformed = "<<<<<<< SEARCH\n    return -helper(gap)\n    return 0\n>>>>>>> REPLACE\n"
    assert kind_of(malformed) == "no_code"


def test_edit_that_breaks_syntax() -> None:
    with pytest.raises(PatchError) as caught:
        apply_reply(PARENT, diff("    gap = bins - item\n", "    gap = (bins - \n"), "priority")
    assert caught.value.kind == "syntax_error"
    assert "line 17" in str(caught.value)


def test_edit_that_removes_the_entry() -> None:
    reply = diff(extract_function(PARENT, "priority"), "")
    assert kind_of(reply) == "missing_entry"


def test_edit_that_renames_the_entry_is_named_back() -> None:
    reply = diff(
        "def priority(item: float, bins: np.ndarray) -> np.ndarray:\n", "def p(item, bins):\n"
    )
    block = child_block(apply_reply(PARENT, reply, "priority"))
    assert "def priority(item, bins):\n" in block and "def p(" not in block


# --- fenced code -------------------------------------------------------------------------


def test_fenced_single_function_replaces_entry_only() -> None:
    code = "def priority(item, bins):\n    return -(bins - item) ** 2\n"
    reply = f"Try this:\n```python\n{code}```\nIt should help."
    child = apply_reply(PARENT, reply, "priority")
    block = child_block(child)
    assert "return -(bins - item) ** 2" in block
    assert "def helper(x):\n    return x * SCALE" in block  # untouched helper kept
    assert '"""Best fit."""' not in block
    assert_outside_kept(child)


def test_fenced_function_with_new_helper_and_import() -> None:
    reply = (
        "```py\nimport math\nimport numpy as np\n\n\n# a new helper\ndef smooth(x):\n"
        "    return math.log1p(x)\n\n\ndef helper(x):\n    return x * 3\n\n\n"
        "def priority(item, bins):\n    return -smooth(helper(bins - item))\n```"
    )
    block = child_block(apply_reply(PARENT, reply, "priority"))
    assert block.startswith("import math\n")
    assert "import numpy as np" not in block  # repeated context is dropped
    assert block.index("# a new helper\ndef smooth") < block.index("def priority")
    assert "return x * 3" in block and "return x * SCALE" not in block
    assert block.count("def helper") == 1


def test_fenced_whole_module_without_markers_repeats_context() -> None:
    reply = (
        '```python\n"""Online bin packing."""\nimport numpy as np\n\nEPSILON = 1e-9\n\n'
        "SCALE = 0.5\n\n\ndef priority(item, bins):\n    return -(bins - item) * SCALE\n\n\n"
        "def unchanged_tail():\n    return 0\n```"
    )
    child = apply_reply(PARENT, reply, "priority")
    block = child_block(child)
    assert "SCALE = 0.5" in block and "SCALE = 1.0" not in block
    assert "EPSILON" not in block and "unchanged_tail" not in block
    assert_outside_kept(child)


def test_fenced_code_redefining_outside_name_is_refused() -> None:
    reply = "```python\ndef unchanged_tail():\n    return 1\n\n\n"
    reply += "def priority(item, bins):\n    return bins\n```"
    assert kind_of(reply) == "outside_evolve_block"


def test_fenced_full_program_with_markers() -> None:
    before, _, after = evolve_block(PARENT)
    new_block = "def priority(item, bins):\n    return -bins\n"
    program = before.replace("\n", "  \n") + new_block + after.replace("\n", " \n")
    reply = "Full program:\n```python\n" + program + "```\n"
    child = apply_reply(PARENT, reply, "priority")
    assert child == before + "def priority(item, bins):\n    return -bins\n" + after


def test_fenced_full_program_changing_outside_is_refused() -> None:
    changed = PARENT.replace("EPSILON = 1e-9", "EPSILON = 1e-3")
    with pytest.raises(PatchError) as caught:
        apply_reply(PARENT, f"```python\n{changed}```", "priority")
    assert caught.value.kind == "outside_evolve_block"
    assert "EPSILON = 1e-3" in str(caught.value)


def test_full_program_without_entry() -> None:
    entry = extract_function(PARENT, "priority")
    program = PARENT.replace(entry, "")
    assert kind_of(f"```python\n{program}```") == "missing_entry"


def test_full_program_with_a_renamed_entry_is_named_back() -> None:
    program = PARENT.replace("def priority(", "def priority_v2(")
    block = child_block(apply_reply(PARENT, f"```python\n{program}```", "priority"))
    assert "def priority(item: float" in block and "priority_v2" not in block


def test_last_fence_that_defines_entry_wins() -> None:
    reply = (
        "```python\ndef priority(item, bins):\n    return 1\n```\nBetter:\n"
        "```python\ndef priority(item, bins):\n    return 2\n```\nUsage:\n"
        "```python\nprint(priority(1, bins))\n```"
    )
    block = child_block(apply_reply(PARENT, reply, "priority"))
    assert "return 2" in block and "return 1\n" not in block and "print(" not in block


def test_fenced_helper_only_is_merged() -> None:
    block = child_block(apply_reply(PARENT, "```\ndef helper(x):\n    return -x\n```", "priority"))
    assert "return -x" in block and "def priority" in block


def test_unclosed_fence_from_a_cut_off_reply() -> None:
    reply = "Here it is:\n```python\ndef priority(item, bins):\n    return -(bins - item)\n"
    assert "return -(bins - item)" in child_block(apply_reply(PARENT, reply, "priority"))
    assert kind_of("```python\ndef priority(item, bins):\n    return -(bins -") == "truncated"


def test_bare_code_without_fence() -> None:
    block = child_block(
        apply_reply(PARENT, "def priority(item, bins):\n    return bins\n", "priority")
    )
    assert "return bins" in block


def test_syntax_error_in_fenced_code_reports_line() -> None:
    with pytest.raises(PatchError) as caught:
        apply_reply(
            PARENT, "```python\ndef priority(item, bins):\n    return bins +\n```", "priority"
        )
    assert caught.value.kind == "syntax_error"
    assert "line 2" in str(caught.value)


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "I am not sure how to improve this.",
        "priority should favour tight bins",
    ],
)
def test_replies_without_code(reply: str) -> None:
    assert kind_of(reply) == "no_code"


def test_random_text_never_crashes() -> None:
    rng = random.Random(7)
    alphabet = "abc def():\n\t =<>`#\"'()[]{}SEARCH REPLACE EVOLVE-BLOCK-START priority"
    for _ in range(200):
        reply = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 200)))
        try:
            child = apply_reply(PARENT, reply, "priority")
        except PatchError:
            continue
        assert_outside_kept(child)


def test_fenced_code_drops_demos_and_duplicate_definitions() -> None:
    reply = (
        "```python\ndef priority(item, bins):\n    return 1\n\n\n"
        "def priority(item, bins):\n    return 2\n\n\nprint(priority(3, [4]))\n\n\n"
        'if __name__ == "__main__":\n    priority(1, [2])\n```'
    )
    block = child_block(apply_reply(PARENT, reply, "priority"))
    assert block.count("def priority") == 1 and "return 2" in block
    assert "print(" not in block and "__main__" not in block
