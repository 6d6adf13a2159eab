"""The adversarial battery of issue 8: cheats against both paths a score takes.

Each file in tests/cheats/ is a full candidate program, written as an attacker would write
it (see tests/cheats/README.md for the catalogue and what each did on the old code). When
its attack fails, every cheat is exactly its problem's template, so the secure outcome is
exact: the template's score on the same instances, or a failure status. Never the cheat's.

- `evolve eval PROBLEM FILE --json` (a subprocess, as a user runs it);
- a real engine run per problem whose LLM (tests/fake_openai.py) answers each prompt with
  the next cheat: the run must finish, every cheat's stored score must be the honest one
  (or a failure), and nothing may beat the seed;
- the overfit guard: a program that memorises the probe and train instances is flagged,
  the run's result is judged on test, and `evolve export` refuses it without
  --allow-overfit.

The recording half of a class 5 pair runs before the replaying half, on the same worker in
the engine run and in two separate `evolve eval` processes, on System V keys and file names
of this test session's own, removed before and after.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cheat_battery import (
    BATTERY,
    CHEATS,
    ON_DATA,
    OVERFIT,
    PROBLEMS,
    Cheat,
    EvalVerdicts,
    HonestScores,
    evaluate_cheat,
    evolve_eval,
    is_honest,
    program,
)
from tests.cheat_engine import Engines, run_engine
from tests.cli_helpers import evolve


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> HonestScores:
    return HonestScores(tmp_path_factory.mktemp("honest"))


@pytest.fixture(scope="module")
def verdicts(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, honest: HonestScores
) -> Iterator[EvalVerdicts]:
    evals = test_cheat_gets_no_more_than_its_honest_score_from_evolve_eval
    chosen = [item for item in request.session.items if getattr(item, "function", None) is evals]
    selected = [item.callspec.params["cheat"].name for item in chosen]  # type: ignore[attr-defined]
    # pz_archive_steal needs the donor run's archive first: it runs in its own test
    prefetched = [name for name in selected if name != "pz_archive_steal"]
    ahead = EvalVerdicts(tmp_path_factory.mktemp("eval"), honest, prefetched)
    yield ahead
    ahead.pool.shutdown(cancel_futures=True)


@pytest.mark.slow
@pytest.mark.parametrize("cheat", BATTERY, ids=str)
def test_cheat_gets_no_more_than_its_honest_score_from_evolve_eval(
    cheat: Cheat, verdicts: EvalVerdicts, honest: HonestScores, tmp_path: Path, request: Any
) -> None:
    if cheat.name == "pz_archive_steal":
        verdicts.wait()  # (the puzzles runs below leave and clear state of their own)
        request.getfixturevalue("engine").get("puzzles")  # an archive that holds a solution
        outcomes = evaluate_cheat(cheat, tmp_path, honest)
    else:
        outcomes = verdicts.get(cheat.name)
    for name, args, verdict, expected in outcomes:
        assert is_honest(verdict["status"], verdict["score"], expected), (
            f"{name} with {' '.join(args) or 'the defaults'}: {verdict['status']}, score "
            f"{verdict['score']}; honest {expected}\n{verdict['error'][:1500]}"
        )


@pytest.mark.slow
def test_p3_reference_solutions_are_out_of_reach(tmp_path: Path) -> None:
    """pz_read_answer_key on P3 puzzles: their sol_bodies sit in the packaged puzzles.json."""
    text = (CHEATS / "pz_read_answer_key.py").read_text()
    block = text.split("# EVOLVE-BLOCK-START\n", 1)[1].split("# EVOLVE-BLOCK-END", 1)[0]
    names = ["Study_1:0", "Study_3:0", "Study_9:0"]  # the template's answer solves none
    solutions = tmp_path / "solutions.json"
    solutions.write_text(
        json.dumps({n: block.replace('_PUZZLE = "Reverse:0"', f"_PUZZLE = {n!r}") for n in names})
    )
    done = evolve("eval", "puzzles", str(solutions), "--dataset", "p3", "--json", timeout=300)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["solved"] == 0, report["per_puzzle"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engines:
    return Engines(tmp_path_factory.mktemp("engine"))


@pytest.mark.slow
@pytest.mark.parametrize("problem", PROBLEMS.values())
def test_engine_run_finishes_and_no_cheat_beats_the_seed(problem: str, engine: Engines) -> None:
    run = engine.get(problem)
    for each in (run, engine.donor):
        if each is not None:
            assert each.summary["stop_reason"] and each.status() == "finished"
    summary = run.summary
    assert summary["best_score"] == summary["seed_score"], (
        f"a cheat is the run's best: program {summary['best_program_id']}"
    )
    assert summary["best_test_score"] is not None  # the end of the run was reached


@pytest.mark.slow
@pytest.mark.parametrize("cheat", BATTERY, ids=str)
def test_cheat_gets_no_more_than_its_honest_score_in_a_run(cheat: Cheat, engine: Engines) -> None:
    run = engine.on_data(cheat) if cheat.name in ON_DATA else engine.get(cheat.problem)
    if cheat.name in ON_DATA:  # its own run: it must finish with the seed as its best
        assert run.status() == "finished"
        assert run.summary["best_score"] == run.summary["seed_score"]
    if cheat.name == "pz_state_record":
        assert engine.donor is not None
        run = engine.donor  # it ran in the donor run, an honest solution
    found = run.find(cheat.name)
    honest = cheat.honest if cheat.honest is not None else run.seed_score()
    assert is_honest(found.status, found.score, honest), (
        f"{cheat.name} is stored with {found.status}, score {found.score}; honest {honest}"
        f"\n{found.error[:1500]}"
    )


# --- the overfit guard ----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("problem", OVERFIT)
def test_a_memorising_program_is_flagged_and_not_exported(
    problem: str, tmp_path: Path, honest: HonestScores
) -> None:
    name = OVERFIT[problem]
    if problem != "tsp_gls":  # (its test split takes seconds per program)
        memoriser = tmp_path / f"{name}.py"
        memoriser.write_text(program(name))
        verdict = evolve_eval(problem, memoriser, ())  # the test split: the seed's score
        seed = verdict.get("draw_seed")  # a fresh secret draw: the template on the same one
        drawn = () if seed is None else ("--test-seed", str(seed))
        assert is_honest(verdict["status"], verdict["score"], honest(problem, drawn)), verdict
    run = run_engine(problem, [name], tmp_path, "memoriser")
    summary = run.summary
    found = run.find(name)
    # a real memoriser: better than the seed on the search split, whose seeds are public
    assert found.status == "ok" and found.score > summary["seed_score"], found.error
    assert "overfit" in summary, "the run's --json summary has no overfit verdict"
    held_out = {checked["program_id"]: checked for checked in summary["test"]["validated"]}
    # ... and the seed itself on the held-out instances (the same draw for both)
    assert held_out[found.id]["test_score"] == pytest.approx(summary["seed_test_score"])
    assert summary["overfit"] is True, summary["test"]
    assert summary["result_test_score"] <= summary["seed_test_score"] + 1e-9
    out = tmp_path / "best.py"
    refused = evolve("export", "memoriser", "--db", run.db, "--out", str(out))
    assert refused.returncode != 0 and not out.exists()
    assert "--allow-overfit" in re.sub(r"\s+", " ", refused.stderr + refused.stdout)
    allowed = evolve("export", "memoriser", "--db", run.db, "--out", str(out), "--allow-overfit")
    assert allowed.returncode == 0, allowed.stderr
    assert out.exists()
