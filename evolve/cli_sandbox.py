"""`evolve sandbox check` and `evolve sandbox run`: the sandbox's layers, and one program
run in it by hand."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from evolve.cli_common import App, JsonOption, emit_json, err_console, out_console, user_errors
from sandbox import Limits, Sandbox, SandboxError
from sandbox.layers import probe_layers

__all__ = ["register"]

sandbox_app = App(help="Inspect the sandbox that runs candidate programs.")


@sandbox_app.command("check")
def check(as_json: JsonOption = False) -> None:
    """Show which isolation layers are active here, and what each missing one means."""
    with user_errors():
        layers = probe_layers()
    if as_json:
        emit_json([asdict(layer) for layer in layers])
        return
    for layer in layers:
        mark = "[green]active [/green]" if layer.active else "[yellow]missing[/yellow]"
        out_console.print(f"{mark} [bold]{layer.name}[/bold]: {layer.detail}", highlight=False)
    missing = sum(not layer.active for layer in layers)
    if missing:
        out_console.print(f"{missing} layer(s) missing; candidates still run with the others.")


@sandbox_app.command("run")
def run(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Python file with the program.")],
    entry: Annotated[str, typer.Option("--entry", metavar="NAME", help="Function to call.")],
    args: Annotated[
        str, typer.Option("--args", metavar="JSON", help="JSON list of arguments.")
    ] = "[]",
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="SECONDS", help="Wall-clock seconds.")
    ] = 10.0,
    memory_mb: Annotated[
        int, typer.Option("--memory-mb", metavar="MB", help="Memory limit in MB.")
    ] = 1024,
    as_json: JsonOption = False,
) -> None:
    """Run FILE's function ENTRY on ARGS in the sandbox and show the result."""
    with user_errors():
        source, arguments = _read_inputs(file, args)
        limits = Limits(timeout_s=timeout, memory_mb=memory_mb)
        with Sandbox(1, limits=limits) as sandbox:
            result = sandbox.run(source, entry, arguments)
    if as_json:
        emit_json(asdict(result))
    else:
        _print_result(asdict(result))
    if not result.ok:
        raise typer.Exit(1)


def _read_inputs(file: Path, args: str) -> tuple[str, list[Any]]:
    try:
        source = file.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise SandboxError(f"cannot read {file}: {exc}") from None
    try:
        arguments = json.loads(args)
    except ValueError as exc:
        raise SandboxError(f"--args must be a JSON list, e.g. '[1, \"a\"]' ({exc})") from None
    if not isinstance(arguments, list):
        raise SandboxError("--args must be a JSON list, e.g. '[1, \"a\"]'")
    return source, arguments


def _print_result(result: dict[str, Any]) -> None:
    status = result["status"]
    colour = "green" if status == "ok" else "red"
    out_console.print(
        f"[{colour}]{status}[/{colour}] in {result['wall_s'] * 1000:.1f} ms "
        f"(cpu {result['cpu_s'] * 1000:.1f} ms, peak {result['max_rss_mb']:.1f} MB)",
        highlight=False,
    )
    if status == "ok":
        out_console.print(json.dumps(result["value"]), highlight=False, markup=False)
    for name in ("stdout", "stderr"):
        if result[name]:
            err_console.print(f"--- {name} ---", highlight=False)
            err_console.print(result[name], highlight=False, markup=False, end="")
    if result["error"]:
        err_console.print(result["error"], highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Adds `evolve sandbox ...` to `app`."""
    app.add_typer(sandbox_app, name="sandbox")
