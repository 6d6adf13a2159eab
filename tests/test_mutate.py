"""builtin:mutate: valid, deterministic, crosses parents, and useful enough to climb a hill."""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from evolve.llm import LLMRequest
from evolve.mutate import MutateLLM, find_entry, mutate_function

BEST_FIT = """\
import numpy as np

# EVOLVE-BLOCK-START
def priority(item: float, bins: np.ndarray) -> np.ndarray:
    \"\"\"Best fit: prefer the bin with the least room left after the item.\"\"\"
    return -(bins - item)
# EVOLVE-BLOCK-END
"""

TSP = """\
import numpy as np

# EVOLVE-BLOCK-START
def select_next_node(current_node, destination_node, unvisited_nodes, distance_matrix):
    \"\"\"Nearest neighbour, with a pull toward the destination.\"\"\"
    best, best_score = None, float("inf")
    for node in unvisited_nodes:
        score = distance_matrix[current_node][node] - 0.1 * distance_matrix[node][destination_node]
        if score < best_score:
            best, best_score = node, score
    return best
# EVOLVE-BLOCK-END
"""

TINY = "def f(x):\n    return x\n"  # nothing says x is a number: assume it is

SCALAR = """\
def select_next_node(current_node, destination_node, unvisited_nodes, distance_matrix):
    return min(unvisited_nodes, key=lambda n: distance_matrix[current_node][n])
"""


def _function(text: str) -> ast.FunctionDef:
    code = re.search(r"```python\n(.*?)```", text, re.S)
    source = code.group(1) if code else text
    tree = ast.parse(source)
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef)
    return tree.body[0]


def _signature(source: str, name: str) -> str:
    fn = find_entry(ast.parse(source), source, name)
    assert fn is not None
    return ast.dump(fn.args)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("source", "entry"),
    [(BEST_FIT, "priority"), (TSP, "select_next_node"), (SCALAR, "select_next_node"), (TINY, "f")],
)
def test_200_mutations_are_valid_functions_with_the_same_signature(source: str, entry: str) -> None:
    signature, changed = _signature(source, entry), 0
    for seed in range(200):
        mutation = mutate_function(source, entry, seed=seed)
        fn = _function(mutation.source)
        assert fn.name == entry and ast.dump(fn.args) == signature
        assert 1 <= len(mutation.operators) <= 6
        changed += ast.unparse(fn) != ast.unparse(_function(_signature_free(source, entry)))
    assert changed == 200


def _signature_free(source: str, entry: str) -> str:
    fn = find_entry(ast.parse(source), source, entry)
    assert fn is not None
    return ast.unparse(fn)


def test_scalar_mutants_mostly_still_run_and_return_a_node() -> None:
    rng = np.random.default_rng(0)
    points = rng.random((12, 2))
    distances = np.linalg.norm(points[:, None] - points[None, :], axis=-1)
    unvisited, good = set(range(3, 12)), 0
    for seed in range(100):
        namespace: dict[str, Any] = {"np": np}
        exec(mutate_function(TSP, "select_next_node", seed=seed).source, namespace)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                node = namespace["select_next_node"](0, 1, unvisited, distances)
        except Exception:
            continue
        good += node in unvisited
    assert good >= 50


def test_mutations_are_deterministic_per_seed() -> None:
    first = [mutate_function(BEST_FIT, "priority", seed=s) for s in range(20)]
    again = [mutate_function(BEST_FIT, "priority", seed=s) for s in range(20)]
    assert first == again
    assert len({m.source for m in first}) >= 15


def test_crossover_takes_material_from_the_other_program() -> None:
    donor = BEST_FIT.replace("return -(bins - item)", "return np.cos(bins) * 0.123")
    crossed = [
        mutate_function(BEST_FIT, "priority", other_sources=[donor], seed=s) for s in range(40)
    ]
    from_donor = [m for m in crossed if "np.cos(bins)" in m.source]
    assert len(from_donor) >= 10
    assert all(any(op.startswith("crossover") for op in m.operators) for m in from_donor)
    alone = [mutate_function(BEST_FIT, "priority", seed=s).source for s in range(40)]
    assert not any("np.cos" in s for s in alone)


def test_crossover_respects_names_in_scope() -> None:
    donor = BEST_FIT.replace("return -(bins - item)", "gap = bins - item\n    return -gap * 2")
    used = 0
    for seed in range(40):
        mutation = mutate_function(BEST_FIT, "priority", other_sources=[donor], seed=seed)
        if "gap" in mutation.source and "delete_statement" not in mutation.operators:
            used += 1  # `gap` only comes with the statement that assigns it, before its use
            lines = mutation.source.splitlines()
            first_use = next(i for i, line in enumerate(lines) if "gap" in line)
            assert lines[first_use].strip().startswith("gap = ")
    assert used >= 5


async def test_mutate_llm_answers_like_a_model() -> None:
    client = MutateLLM()
    request = LLMRequest(messages=(), parent_source=BEST_FIT, entry="priority", seed=3)
    completion = await client.complete(request)
    assert completion.ok and completion.model == "builtin:mutate"
    assert "not an LLM" in completion.text and "```python\ndef priority(" in completion.text
    assert (completion.prompt_tokens, completion.cost_usd, completion.latency_s) == (0, 0.0, 0.0)
    assert completion == await client.complete(request)
    no_entry = await client.complete(LLMRequest((), parent_source="x = 1\n", entry="priority"))
    assert no_entry.error_kind == "bad_request" and "priority" in no_entry.error
    broken = await client.complete(LLMRequest((), parent_source="def (:\n", entry="priority"))
    assert broken.error_kind == "bad_request" and not broken.ok


def test_entry_defaults_to_the_function_in_the_evolve_block() -> None:
    source = "def helper(x):\n    return x\n\n" + BEST_FIT
    assert _function(mutate_function(source, "", seed=1).source).name == "priority"


# --- a hill-climb on FunSearch's online bin packing (Weibull) -------------------------------


def _weibull_instances(count: int, items: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.clip(rng.weibull(3, items) * 45, 1, 100).astype(int) for _ in range(count)]


def _bins_used(priority: Callable[[int, np.ndarray], Any], items: np.ndarray) -> int:
    bins = np.full(len(items), 100.0)
    for item in items:
        valid = np.nonzero(bins >= item)[0]
        scores = np.asarray(priority(item, bins[valid]), dtype=float)
        if scores.shape != valid.shape:
            raise ValueError("priority must return one score per bin")
        bins[valid[int(np.argmax(scores))]] -= item
    return int((bins < 100).sum())


def _excess(source: str, instances: list[np.ndarray]) -> float:
    """FunSearch's excess: (mean bins used - mean L1 bound) / mean L1; inf when broken."""
    namespace: dict[str, Any] = {"np": np}
    try:
        exec(source, namespace)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            used = sum(_bins_used(namespace["priority"], items) for items in instances)
    except Exception:
        return float("inf")
    lower = sum(int(np.ceil(items.sum() / 100)) for items in instances)
    return (used - lower) / lower


@pytest.mark.slow
def test_hill_climb_from_best_fit_finds_a_better_heuristic() -> None:
    """Accept a mutant when it packs the training instances better; the winner must also
    beat best fit on held-out instances (found here: best fit 4.89% -> 3.38% excess on
    training, 4.78% -> 2.41% held out, in 150 mutations)."""
    train = _weibull_instances(count=4, items=500, seed=0)
    held_out = _weibull_instances(count=5, items=1000, seed=99)
    best, best_excess = BEST_FIT, _excess(BEST_FIT, train)
    for step in range(150):
        child = mutate_function(best, "priority", seed=300_000 + step).source
        if (excess := _excess(child, train)) < best_excess:
            best, best_excess = "import numpy as np\n\n" + child, excess
    assert best_excess < _excess(BEST_FIT, train), "the grammar found nothing better"
    assert _excess(best, held_out) < _excess(BEST_FIT, held_out), best
