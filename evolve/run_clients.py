"""A run's LLM clients from its model specs, and the notices they give the user."""

from __future__ import annotations

from collections.abc import Callable

from archive import Archive
from evolve.config import RunConfig
from evolve.llm import LLMClient, make_client, parse_model_specs
from evolve.providers import check_credentials
from sandbox.layers import probe_layers

__all__ = ["BUILTIN_MUTATE", "run_clients", "sandbox_notices"]

BUILTIN_MUTATE = "builtin:mutate"


def run_clients(
    config: RunConfig, archive: Archive, *, chosen: bool
) -> tuple[list[tuple[LLMClient, float]], list[str]]:
    """The run's LLM clients, and notices for the user (`chosen`: the models were given,
    not the default)."""
    specs = parse_model_specs(list(config.models))
    notices = []
    for model, _ in specs:
        if model == BUILTIN_MUTATE and not chosen:
            notices.append(
                "No LLM configured: using builtin:mutate, random program "
                "transformations to try the engine offline (pass --model to use an LLM)."
            )
        elif not model.startswith("replay:"):
            check_credentials(model, config.api_base)
    clients = [
        (
            make_client(
                model,
                api_base=config.api_base,
                timeout_s=config.llm_timeout,
                max_retries=config.llm_retries,
                replay_lookup=_replay_lookup(archive, model),
            ),
            weight,
        )
        for model, weight in specs
    ]
    return clients, notices


def sandbox_notices() -> list[str]:
    """One line when an isolation layer is missing on this machine (the run goes on)."""
    missing = [layer.name for layer in probe_layers() if not layer.active]
    if not missing:
        return []
    return [
        f"sandbox: {len(missing)} isolation layer(s) missing here ({', '.join(missing)}); "
        "candidates run with the others. Details: evolve sandbox check"
    ]


def _replay_lookup(archive: Archive, model: str) -> Callable[[str], list[str]] | None:
    """For replay:RUN, the recorded replies of RUN by prompt hash."""
    if not model.startswith("replay:"):
        return None
    source = archive.get_run(model.removeprefix("replay:"))
    return lambda digest: archive.replies_for(source.id, digest)
