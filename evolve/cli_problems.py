"""`evolve` commands about problems: eval, problems, new-problem."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from evolve.cli_common import (
    JsonOption,
    SuiteAlias,
    emit_json,
    err_console,
    one_dataset,
    out_console,
    user_errors,
)
from evolve.config import DEFAULT_DB
from evolve.evaluate import Evaluation, Evaluator
from evolve.exceptions import EvolveError
from evolve.programs import program_source
from problems import SPLITS, Problem, ProblemError, available, load

__all__ = ["evaluate_file", "program_source", "register"]

ProblemArg = Annotated[
    str, typer.Argument(metavar="PROBLEM", help="Built-in problem name or problem folder.")
]
EntryOption = Annotated[
    str | None,
    typer.Option(
        metavar="NAME",
        help="The name of the file's evolved function, when it is not the problem's entry "
        "(e.g. EoH's score for bin_packing's priority): it is renamed to the entry.",
    ),
]


def register(app: typer.Typer) -> None:
    """Adds this module's commands to `app`."""
    app.command("eval")(eval_program)
    app.command("problems")(list_problems)
    app.command("new-problem")(new_problem)


DatasetOption = Annotated[
    str | None,
    typer.Option(
        "--dataset",
        metavar="NAME",
        help="A named data set (see `evolve problems`); for puzzles, the puzzle suite "
        "(builtin, p3, p3:FILE ...).",
    ),
]


def eval_program(
    problem: ProblemArg,
    program: Annotated[
        Path,
        typer.Argument(
            metavar="PROGRAM", help="A full program (with EVOLVE-BLOCK) or just the function."
        ),
    ],
    dataset: DatasetOption = None,
    split: Annotated[
        str | None,
        typer.Option(
            metavar="SPLIT",
            help="train, probe or test, when no --dataset is given [default: test]; for "
            "puzzles with a P3 suite, P3's train or test puzzles.",
        ),
    ] = None,
    draw_seed: Annotated[
        int | None,
        typer.Option(
            "--test-seed",
            "--draw-seed",
            metavar="SEED",
            help="Draw the split's instances from this seed (printed by an earlier eval, or "
            "a run's draw_seeds in `evolve runs --json`) [default for test: a fresh secret "
            "seed; train and probe: the problem's fixed instances].",
        ),
    ] = None,
    run_ref: Annotated[
        str | None,
        typer.Option(
            "--run", metavar="RUN", help="Use this run's secret draw of the split (with --db)."
        ),
    ] = None,
    db: Annotated[
        str | None, typer.Option(metavar="URL", help=f"Archive of --run [default: {DEFAULT_DB}].")
    ] = None,
    suite: SuiteAlias = None,
    entry: EntryOption = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            metavar="SECONDS",
            min=0.001,
            help="Wall-clock limit for the whole split or data set [default: the "
            "problem's, e.g. 30 for bin_packing].",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Evaluate one program file and print the score and the metrics.

    A problem that generates its instances draws the test split from a fresh secret seed
    each time (printed, to reproduce with --test-seed); --dataset names a fixed data set.
    For puzzles, a JSON file {puzzle_name: solution_source} is checked on a suite of
    puzzles (--dataset, default builtin). An option that does not apply is an error.
    """
    with user_errors():
        dataset = one_dataset(dataset, suite)
        given = {"--test-seed": draw_seed, "--run": run_ref, "--db": db}
        if problem == "puzzles" and program.suffix == ".json":
            _refuse(given, "with puzzles and a JSON file of solutions")
        else:
            _check_eval_options(dataset, split, given)
    if problem == "puzzles" and program.suffix == ".json":
        _eval_puzzles(program, dataset or "builtin", split, as_json)
        return
    with user_errors():
        target = load(problem)
        if problem == "puzzles" and dataset is not None:
            raise EvolveError(
                "for puzzles, --dataset names a puzzle suite: give a JSON file "
                "{puzzle_name: solution_source} to check its solutions"
            )
        if dataset is None:
            draw_seed = _draw_seed(target, split or "test", draw_seed, run_ref, db or DEFAULT_DB)
        evaluation, label = evaluate_file(
            target,
            program,
            dataset=dataset,
            split=split or "test",
            draw_seed=draw_seed,
            entry=entry,
            timeout_s=timeout,
        )
    if as_json:
        emit_json({**_evaluation_json(target, label, evaluation), "draw_seed": draw_seed})
    else:
        _print_evaluation(target, label, evaluation)
        if draw_seed is not None:
            out_console.print(
                f"  instances drawn from seed {draw_seed}: reproduce with --test-seed {draw_seed}",
                highlight=False,
                soft_wrap=True,
            )
    if not evaluation.ok:
        raise typer.Exit(1)


def _refuse(given: dict[str, Any], where: str) -> None:
    """EvolveError naming the options in `given` that were given (not None)."""
    extra = [name for name, value in given.items() if value is not None]
    if extra:
        verb = "does" if len(extra) == 1 else "do"
        raise EvolveError(f"{' and '.join(extra)} {verb} not apply {where}")


def _check_eval_options(dataset: str | None, split: str | None, given: dict[str, Any]) -> None:
    """A data set is fixed: no split or draw goes with it; --db only says where --run is."""
    if dataset is not None:
        _refuse({"--split": split, **given}, f"to a fixed data set (--dataset {dataset})")
    elif given["--db"] is not None and given["--run"] is None:
        raise EvolveError("--db goes with --run (the archive of that run)")


def _draw_seed(
    problem: Problem, split: str, seed: int | None, run_ref: str | None, db: str
) -> int | None:
    """The seed to draw `split` from: given, a run's, a fresh secret one for the test split
    of a problem that draws its instances, or None (the problem's fixed instances)."""
    if seed is not None and run_ref is not None:
        raise EvolveError("give --test-seed or --run, not both")
    if run_ref is not None:
        from archive import Archive

        with Archive(db, create=False) as archive:
            run = archive.get_run(run_ref)
        if run.problem != problem.name:
            raise EvolveError(f"run {run.name!r} is a {run.problem} run, not {problem.name}")
        return run.draw_seeds.get(split)
    if seed is not None and not problem.draws:
        raise EvolveError(f"{problem.name} has fixed instances: its instances take no seed")
    if seed is None and split == "test" and problem.draws:
        return secrets.randbits(63)
    return seed


def _eval_puzzles(path: Path, suite: str, split: str | None, as_json: bool) -> None:
    """`evolve eval puzzles SOLUTIONS.json`: {puzzle_name: solution_source} on a suite."""
    import json

    from evolve.suite import evaluate_solutions

    with user_errors():
        try:
            solutions = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise EvolveError(
                f"{path}: cannot read a JSON {{puzzle: source}} file: {error}"
            ) from None
        if not isinstance(solutions, dict):
            raise EvolveError(f"{path}: expected a JSON object {{puzzle_name: solution_source}}")
        report = evaluate_solutions(solutions, suite_spec=suite, split=split)
    if as_json:
        emit_json(report)
    else:
        for name, status in report["per_puzzle"].items():
            if status != "missing":
                out_console.print(f"  {name:<24} {escape(status)}", highlight=False)
        label = suite if split is None else f"{suite} ({split} split)"
        out_console.print(f"{escape(label)}: solved {report['solved']} / {report['total']}")
    if report["solved"] < len(solutions):
        raise typer.Exit(1)


def evaluate_file(
    problem: Problem,
    program: Path,
    *,
    dataset: str | None = None,
    split: str = "test",
    draw_seed: int | None = None,
    entry: str | None = None,
    timeout_s: float | None = None,
) -> tuple[Evaluation, str]:
    """(evaluation, what it was evaluated on) of a program file, in a real sandbox.

    `draw_seed` draws the split's instances from that seed (see `Problem.draw`); `entry`
    names the file's evolved function when it is not the problem's (evolve/programs.py);
    `timeout_s` replaces the problem's time limit."""
    from sandbox import Sandbox

    source = program_source(problem, program, entry)
    if dataset is not None:
        data = problem.instances_of(dataset)
        problem = dataclasses.replace(problem, instances=lambda _split: data, seeded=False)
        key, label = "dataset", f"dataset {dataset}"
    elif split not in SPLITS:
        raise ProblemError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    else:
        key, label = split, f"split {split}"
        if draw_seed is not None:
            problem = problem.with_draws({split: draw_seed})
            label += " (secret draw)"
    with Sandbox(workers=1, preload=problem.preload, sys_path=problem.sys_path) as sandbox:
        evaluator = Evaluator(problem, sandbox, timeout_s=timeout_s)
        evaluator.share(key)
        return asyncio.run(evaluator.evaluate(source, key)), label


def _evaluation_json(problem: Problem, label: str, evaluation: Evaluation) -> dict[str, Any]:
    return {
        "problem": problem.name,
        "on": label,
        "status": evaluation.status,
        "score": evaluation.score,
        "metrics": evaluation.metrics,
        "scores": evaluation.scores,
        "error": evaluation.error,
        "error_kind": evaluation.error_kind,
        "eval_s": round(evaluation.eval_s, 4),
    }


def _print_evaluation(problem: Problem, label: str, evaluation: Evaluation) -> None:
    head = f"{problem.name} on {label}: {evaluation.status}"
    if not evaluation.ok:
        first = evaluation.error.strip().splitlines()[0] if evaluation.error.strip() else ""
        err_console.print(f"[bold red]{head}[/bold red]: {first}", highlight=False)
        return
    out_console.print(f"{head}  score {evaluation.score:.6g}  ({evaluation.eval_s:.2f} s)")
    for name, value in sorted(evaluation.metrics.items()):
        out_console.print(f"  {name:<14} {value:.6g}", highlight=False)
    if len(evaluation.scores) > 1:
        worst = min(evaluation.scores, key=lambda k: evaluation.scores[k])
        out_console.print(f"  {len(evaluation.scores)} instances; lowest score: {worst}")


def list_problems(as_json: JsonOption = False) -> None:
    """List the built-in problems with their data sets."""
    rows = [_problem_row(name) for name in available()]
    if as_json:
        emit_json(rows)
        return
    table = Table(title="Problems", show_lines=True)
    for column in ("problem", "entry", "description", "data sets"):
        table.add_column(column, overflow="fold")
    for row in rows:
        sets = [f"[bold]{escape(k)}[/bold]: {escape(v)}" for k, v in row["datasets"].items()]
        splits = "splits: " + ", ".join(f"{k} ({v})" for k, v in row["splits"].items())
        if row.get("draws"):
            splits += "; runs draw the test split from a secret seed"
        if row.get("interfaces"):
            names = ", ".join(f"{row['name']}:{i}" for i in row["interfaces"])
            splits += f"\ninterfaces (other papers' calls): {names}"
        text = escape(row.get("error") or row["description"])
        table.add_row(row["name"], row["entry"], text, "\n".join([splits, *sets]))
    out_console.print(table)


def _problem_row(name: str) -> dict[str, Any]:
    """One problem's listing; a problem that fails to load is listed with its error."""
    try:
        problem = load(name)
        splits = {split: len(problem.instances(split)) for split in SPLITS}
    except ProblemError as error:
        return {"name": name, "entry": "", "description": "", "error": str(error),
                "datasets": {}, "splits": {}}  # fmt: skip
    row = {
        "name": problem.name,
        "entry": problem.entry,
        "description": _first_sentence(problem.description),
        "datasets": dict(problem.datasets),
        "splits": splits,
        "draws": problem.draws,
        "baselines": [b.name for b in problem.baselines],
        "interfaces": {k: v.reference for k, v in problem.interfaces.items()},
    }
    if name == "puzzles":  # its data sets are suites of puzzles, one run per puzzle
        from problems.puzzles.suites import SUITE_NAMES

        row["datasets"] = dict(SUITE_NAMES)
    return row


def _first_sentence(text: str) -> str:
    """The first sentence of the first paragraph (the whole paragraph if it has no '. ')."""
    paragraph = " ".join(text.strip().split("\n\n")[0].split())
    head, dot, _ = paragraph.partition(". ")
    return head + dot.strip()


def new_problem(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Folder to create (its name is the problem's).")
    ],
    from_problem: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="START",
            help="What to start from: curve-fit (fit f(x) to a curve, one file per part of "
            "the contract), minimal (the smallest problem that runs, one file), or a built-in "
            "problem to copy (see `evolve problems`) [default: curve-fit].",
        ),
    ] = None,
) -> None:
    """Scaffold a problem folder that `evolve run ./NAME` runs at once."""
    from evolve.scaffold import DEFAULT_START, scaffold

    with user_errors():
        folder = scaffold(Path(name), from_problem=from_problem)
    shown = folder if folder.is_absolute() or str(folder).startswith(".") else f"./{folder}"
    start = from_problem or DEFAULT_START
    out_console.print(f"created {shown}/ from {start}; try:", highlight=False, markup=False)
    out_console.print(f"  evolve eval {shown} {shown}/template.py", highlight=False)
    out_console.print(
        f"  evolve run {shown} --model builtin:mutate --max-evals 20", highlight=False
    )
