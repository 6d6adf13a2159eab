"""The reply corpus (tests/replies): every reply gives its expected child or error.

A reply that a reference harness would run must give a child that runs and scores on the
probe instances; every refusal says what to change. `python benchmarks/replies.py`
prints the acceptance rate per style.
"""

from __future__ import annotations

from collections import Counter

import pytest

from evolve.patches import evolve_block
from problems import load
from tests.replies.corpus import Case, cases, evaluate, patch

CASES = list(cases())
ACTIONS = ("reply with", "copy", "keep", "change only", "define", "name the", "include more",
           "write each block", "think less", "reply with shorter")  # fmt: skip


def test_the_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES)
    assert len({c.style for c in CASES}) >= 12 and len({c.family for c in CASES}) >= 6
    assert {c.problem for c in CASES} == {"bin_packing", "tsp_construct", "cap_set", "tsp_gls"}


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reply_gives_its_expected_child_or_error(case: Case) -> None:
    outcome = patch(case)
    assert outcome.kind == case.expect, outcome.message
    if outcome.child is None:
        assert case.message in outcome.message
        assert any(action in outcome.message for action in ACTIONS), outcome.message
        return
    template = load(case.problem).template
    before, _, after = evolve_block(template)
    assert outcome.child.startswith(before) and outcome.child.endswith(after)
    block = evolve_block(outcome.child)[1]
    for text in case.contains:
        assert text in block, text
    for text in case.lacks:
        assert text not in block, text
    if case.reference == "accept":
        assert evaluate(case, outcome.child) == ""


def test_at_most_five_percent_of_what_a_reference_runs_is_lost() -> None:
    runnable = [c for c in CASES if c.reference == "accept"]
    lost = Counter(c.style for c in runnable if c.expect != "ok")
    assert sum(lost.values()) <= 0.05 * len(runnable), lost
