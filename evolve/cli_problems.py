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

from evolve.cli_common import JsonOption, emit_json, err_console, out_console, user_errors
from evolve.config import DEFAULT_DB
from evolve.evaluate import Evaluation, Evaluator
from evolve.exceptions import EvolveError, PatchError
from evolve.patches import apply_reply
from problems import SPLITS, Problem, ProblemError, available, check_template, load

__all__ = ["evaluate_file", "program_source", "register"]

ProblemArg = Annotated[
    str, typer.Argument(metavar="PROBLEM", help="Built-in problem name or problem folder.")
]


def register(app: typer.Typer) -> None:
    """Adds this module's commands to `app`."""
    app.command("eval")(eval_program)
    app.command("problems")(list_problems)
    app.command("new-problem")(new_problem)


def eval_program(
    problem: ProblemArg,
    program: Annotated[
        Path, typer.Argument(help="A full program (with EVOLVE-BLOCK) or just the function.")
    ],
    dataset: Annotated[
        str | None, typer.Option(help="A named data set (see `evolve problems`).")
    ] = None,
    split: Annotated[str, typer.Option(help="Split, when no --dataset is given.")] = "test",
    draw_seed: Annotated[
        int | None,
        typer.Option(
            "--test-seed",
            "--draw-seed",
            help="Draw the split's instances from this seed (printed by an earlier eval, or "
            "a run's draw_seeds in `evolve runs --json`) [default for test: a fresh secret "
            "seed; train and probe: the problem's fixed instances].",
        ),
    ] = None,
    run_ref: Annotated[
        str | None,
        typer.Option("--run", help="Use this run's secret draw of the split (with --db)."),
    ] = None,
    db: Annotated[str, typer.Option(help="Archive of --run.")] = DEFAULT_DB,
    suite: Annotated[
        str, typer.Option(help="puzzles with a JSON {puzzle: source} file: the puzzle set.")
    ] = "builtin",
    as_json: JsonOption = False,
) -> None:
    """Evaluate one program file and print the score and the metrics.

    A problem that generates its instances draws the test split from a fresh secret seed
    each time (printed, to reproduce with --test-seed); --dataset names a fixed data set.
    """
    if problem == "puzzles" and program.suffix == ".json":
        _eval_puzzles(program, suite, as_json)
        return
    with user_errors():
        target = load(problem)
        if dataset is None:
            draw_seed = _draw_seed(target, split, draw_seed, run_ref, db)
        elif draw_seed is not None or run_ref is not None:
            raise EvolveError("--test-seed and --run draw a split; --dataset is a fixed set")
        evaluation, label = evaluate_file(
            target, program, dataset=dataset, split=split, draw_seed=draw_seed
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


def _eval_puzzles(path: Path, suite: str, as_json: bool) -> None:
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
        report = evaluate_solutions(solutions, suite_spec=suite)
    if as_json:
        emit_json(report)
    else:
        for name, status in report["per_puzzle"].items():
            if status != "missing":
                out_console.print(f"  {name:<24} {escape(status)}", highlight=False)
        out_console.print(f"{suite}: solved {report['solved']} / {report['total']}")
    if report["solved"] < len(solutions):
        raise typer.Exit(1)


def evaluate_file(
    problem: Problem,
    program: Path,
    *,
    dataset: str | None = None,
    split: str = "test",
    draw_seed: int | None = None,
) -> tuple[Evaluation, str]:
    """(evaluation, what it was evaluated on) of a program file, in a real sandbox.

    `draw_seed` draws the split's instances from that seed (see `Problem.draw`)."""
    from sandbox import Sandbox

    source = program_source(problem, program)
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
        evaluator = Evaluator(problem, sandbox)
        evaluator.share(key)
        return asyncio.run(evaluator.evaluate(source, key)), label


def program_source(problem: Problem, program: Path) -> str:
    """The full program in a file: as it is when it has EVOLVE-BLOCK markers, else the
    file's code (e.g. just the entry function) put into the problem's template."""
    try:
        text = program.read_text()
    except FileNotFoundError:
        raise EvolveError(f"{program}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise EvolveError(f"{program}: cannot read the file: {error}") from None
    if "EVOLVE-BLOCK-START" in text or "EVOLVE-BLOCK-END" in text:
        check_template(text, problem.entry, program)
        return text
    try:
        return apply_reply(problem.template, text, problem.entry)
    except PatchError as error:
        raise EvolveError(
            f"{program}: {error}; give a full program with EVOLVE-BLOCK markers or a "
            f"file that defines {problem.entry}(...)"
        ) from None


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
        sets = "\n".join(
            f"[bold]{escape(k)}[/bold]: {escape(v)}" for k, v in row["datasets"].items()
        )
        splits = "splits: " + ", ".join(f"{k} ({v})" for k, v in row["splits"].items())
        if row.get("draws"):
            splits += "; runs draw the test split from a secret seed"
        text = escape(row.get("error") or row["description"])
        table.add_row(row["name"], row["entry"], text, f"{splits}\n{sets}".strip())
    out_console.print(table)


def _problem_row(name: str) -> dict[str, Any]:
    """One problem's listing; a problem that fails to load is listed with its error."""
    try:
        problem = load(name)
        splits = {split: len(problem.instances(split)) for split in SPLITS}
    except ProblemError as error:
        return {"name": name, "entry": "", "description": "", "error": str(error),
                "datasets": {}, "splits": {}}  # fmt: skip
    return {
        "name": problem.name,
        "entry": problem.entry,
        "description": _first_sentence(problem.description),
        "datasets": dict(problem.datasets),
        "splits": splits,
        "draws": problem.draws,
        "baselines": [b.name for b in problem.baselines],
    }


def _first_sentence(text: str) -> str:
    """The first sentence of the first paragraph (the whole paragraph if it has no '. ')."""
    paragraph = " ".join(text.strip().split("\n\n")[0].split())
    head, dot, _ = paragraph.partition(". ")
    return head + dot.strip()


def new_problem(
    name: Annotated[str, typer.Argument(help="Folder to create (its name is the problem's).")],
    from_problem: Annotated[
        str | None, typer.Option("--from", help="Start from a copy of this built-in problem.")
    ] = None,
) -> None:
    """Scaffold a problem folder that `evolve run ./NAME` runs at once."""
    from evolve.scaffold import scaffold

    with user_errors():
        folder = scaffold(Path(name), from_problem=from_problem)
    shown = folder if folder.is_absolute() or str(folder).startswith(".") else f"./{folder}"
    out_console.print(f"created {shown}/ with a working example problem; try:", highlight=False)
    out_console.print(f"  evolve eval {shown} {shown}/template.py", highlight=False)
    out_console.print(
        f"  evolve run {shown} --model builtin:mutate --max-evals 20", highlight=False
    )
