"""Replies as real LLMs write them: the reply's intent is kept, fixed code is protected."""

from __future__ import annotations

import pytest

from evolve.exceptions import PatchError
from evolve.patches import apply_reply, evolve_block

PARENT = '''\
"""Online bin packing."""
import numpy as np

EPSILON = 1e-9


# EVOLVE-BLOCK-START
def priority(item: float, bins: np.ndarray) -> np.ndarray:
    """Best fit."""
    return -(bins - item)
# EVOLVE-BLOCK-END


def unchanged_tail():
    """Fixed code."""
    return 0
'''


def block(reply: str) -> str:
    child = apply_reply(PARENT, reply, "priority")
    before, _, after = evolve_block(PARENT)
    assert child.startswith(before) and child.endswith(after)  # fixed text byte for byte
    return evolve_block(child)[1]


def refusal(reply: str) -> PatchError:
    with pytest.raises(PatchError) as caught:
        apply_reply(PARENT, reply, "priority")
    return caught.value


def fenced(code: str) -> str:
    return f"Here is the improved program:\n\n```python\n{code}```\n\nIt packs tighter."


NEW = "def priority(item: float, bins: np.ndarray) -> np.ndarray:\n    return -(bins - item) ** 2\n"


# --- full programs with changes outside the block ----------------------------------------


def test_full_program_reformatted_and_recommented_outside_is_accepted() -> None:
    program = PARENT.replace('"""Online bin packing."""', '"""Online bin packing (v2)."""')
    program = program.replace("EPSILON = 1e-9", "EPSILON = 1e-9  # tolerance")
    program = program.replace('    """Fixed code."""\n', '    """Fixed code,\n    reworded."""\n')
    program = program.replace("import numpy as np\n", "# numerics\nimport numpy  as np\n")
    new_block = NEW
    program = program.replace(evolve_block(PARENT)[1], new_block)
    assert block(fenced(program)) == new_block


def test_imports_added_outside_the_block_move_into_it() -> None:
    program = PARENT.replace("import numpy as np\n", "import math\nimport numpy as np\n")
    program = program.replace(evolve_block(PARENT)[1], NEW.replace("** 2", "** math.e"))
    result = block(fenced(program))
    assert result.startswith("import math\n") and "** math.e" in result


def test_helpers_added_outside_the_block_move_into_it() -> None:
    program = PARENT.replace(
        "EPSILON = 1e-9\n", "EPSILON = 1e-9\n\n\ndef gap(a, b):\n    return a - b\n"
    )
    program = program.replace(
        evolve_block(PARENT)[1], "def priority(item, bins):\n    return -gap(bins, item)\n"
    )
    result = block(fenced(program))
    assert result.index("def gap(a, b)") < result.index("def priority")


def test_a_real_change_of_the_fixed_code_is_refused_naming_it() -> None:
    program = PARENT.replace("    return 0\n", "    return 1\n")
    error = refusal(fenced(program))
    assert error.kind == "outside_evolve_block"
    assert "'unchanged_tail'" in str(error) and "between the EVOLVE-BLOCK markers" in str(error)
    error = refusal(fenced(PARENT.replace("EPSILON = 1e-9", "EPSILON = 0.5")))
    assert "'EPSILON = 0.5'" in str(error) and "'EPSILON = 1e-9'" in str(error)


def test_a_full_program_without_markers_keeps_only_its_changes() -> None:
    program = PARENT.replace("# EVOLVE-BLOCK-START\n", "").replace("# EVOLVE-BLOCK-END\n", "")
    program = program.replace("return -(bins - item)", "return -(bins - item) ** 3")
    result = block(fenced(program))
    assert "** 3" in result and "unchanged_tail" not in result and "EPSILON" not in result


# --- the evolved function under another name ----------------------------------------------


def test_eoh_style_score_is_renamed_and_its_helpers_are_not() -> None:
    reply = fenced(
        "import numpy as np\n\n\ndef waste(item, bins):\n    return bins - item\n\n\n"
        "def score(item, bins):\n    scores = -waste(item, bins)\n    return scores\n"
    )
    result = block(reply)
    assert "def priority(item, bins):\n    scores = -waste(item, bins)" in result
    assert "def waste(item, bins)" in result and "def score" not in result


def test_funsearch_versioned_name_is_renamed_with_its_recursive_calls() -> None:
    reply = fenced(
        "def priority_v2(item, bins, depth=0):\n    if depth:\n"
        "        return priority_v2(item, bins)\n    return bins\n"
    )
    result = block(reply)
    assert "def priority(item, bins, depth=0)" in result and "return priority(item, bins)" in result


def test_only_the_def_is_renamed_when_the_entry_name_is_a_local() -> None:
    reply = fenced("def score(item, bins):\n    priority = bins - item\n    return -priority\n")
    assert "def priority(item, bins):\n    priority = bins - item" in block(reply)


def test_ambiguous_renamed_functions_are_refused_naming_them() -> None:
    reply = fenced(
        "def alpha(item, bins):\n    return bins\n\n\ndef beta(item, bins):\n    return -bins\n"
    )
    error = refusal(reply)
    assert error.kind == "missing_entry" and "`alpha`" in str(error) and "`beta`" in str(error)


def test_a_helper_the_parent_uses_is_not_taken_for_the_entry() -> None:
    parent = PARENT.replace("    return -(bins - item)\n", "    return -gap(item, bins)\n")
    parent = parent.replace(
        "# EVOLVE-BLOCK-START\n",
        "# EVOLVE-BLOCK-START\ndef gap(item, bins):\n    return bins - item\n\n\n",
    )
    child = apply_reply(
        parent, fenced("def gap(item, bins):\n    return (bins - item) ** 2\n"), "priority"
    )
    assert "return -gap(item, bins)" in child and "return (bins - item) ** 2" in child


# --- class methods ------------------------------------------------------------------------


def test_a_method_is_called_through_an_instance() -> None:
    reply = fenced(
        "class Packer:\n    def __init__(self):\n        self.power = 2\n\n"
        "    def priority(self, item, bins):\n        return -(bins - item) ** self.power\n"
    )
    result = block(reply)
    assert "class Packer:" in result and result.rstrip().endswith("priority = Packer().priority")


def test_a_static_method_is_called_through_the_class() -> None:
    reply = fenced(
        "class Packer:\n    @staticmethod\n    def priority(item, bins):\n        return bins\n"
    )
    assert "priority = Packer.priority" in block(reply)


def test_a_method_of_a_class_that_needs_arguments_is_refused() -> None:
    reply = fenced(
        "class Packer:\n    def __init__(self, power):\n        self.power = power\n\n"
        "    def priority(self, item, bins):\n        return bins ** self.power\n"
    )
    error = refusal(reply)
    assert error.kind == "missing_entry" and "top-level function" in str(error)


# --- prose, fences, thinking, cut-off replies --------------------------------------------


def test_helper_and_function_in_separate_fences_are_both_taken() -> None:
    reply = (
        "First a helper:\n```python\ndef tightness(item, bins):\n    return item / bins\n```\n"
        "Then use it:\n```python\ndef priority(item, bins):\n"
        "    return tightness(item, bins)\n```\n"
        "Run it with:\n```bash\npython run.py\n```\nOutput:\n```\nExcess: 3.1%\n```\n"
    )
    result = block(reply)
    assert "def tightness" in result and "return tightness(item, bins)" in result


def test_code_among_prose_without_fences() -> None:
    reply = (
        "The best fit rule can be sharpened. Here is the code:\n\n"
        "import math\n\ndef priority(item, bins):\n    gap = bins - item\n\n"
        "    return -gap ** 2\n\nThis squares the gap, so tight bins win by more.\n"
    )
    result = block(reply)
    assert result.startswith("import math\n") and "return -gap ** 2" in result


def test_thinking_tags_of_several_families_are_dropped() -> None:
    for tag in ("think", "thinking", "reasoning"):
        reply = f"<{tag}>maybe ```python\ndef priority(a, b): return 0\n```</{tag}>\n" + fenced(NEW)
        assert block(reply) == NEW


@pytest.mark.parametrize(
    "reply",
    [
        "```python\ndef priority(item, bins):\n    gaps = bins - item\n    return np.where(gaps",
        "<think>I should weigh the gap against the item size and then",
        "Sure.\n<<<<<<< SEARCH\n    return -(bins - item)\n=======\n    return -(bins",
    ],
)
def test_cut_off_replies_are_refused_as_truncated(reply: str) -> None:
    error = refusal(reply)
    assert error.kind == "truncated" and "cut off" in str(error)


def test_demos_and_top_level_loops_are_dropped() -> None:
    reply = fenced(NEW + "\n\nfor item in [3, 5]:\n    print(priority(item, np.array([10, 7])))\n")
    assert block(reply) == NEW


def test_numpy_imported_inside_the_function_is_kept_as_written() -> None:
    code = "def priority(item, bins):\n    import numpy\n    return numpy.asarray(bins) * 0.0\n"
    assert block(fenced(code)) == code


def test_fence_tags_with_titles_and_output_fences() -> None:
    reply = f"```Python title=priority.py\n{NEW}```\nOutput:\n```\nsize: 256\n```\n"
    assert block(reply) == NEW
    assert refusal("```\nexcess: 3.98%\n```").kind == "no_code"


def test_an_import_that_rebinds_a_fixed_name_is_refused() -> None:
    error = refusal(fenced("import jax.numpy as np\n\n\n" + NEW))
    assert error.kind == "outside_evolve_block" and "'np'" in str(error)
    assert "import math" in block(fenced("import math\nimport numpy as np\n\n\n" + NEW))
