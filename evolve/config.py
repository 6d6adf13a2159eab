"""Run configuration: one TOML/YAML file plus command-line overrides, validated."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from evolve.exceptions import ConfigError
from evolve.strategies.registry import DEFAULT_STRATEGY, strategy_options

__all__ = ["DEFAULT_DB", "DEFAULT_MAX_EVALS", "RunConfig", "load_config_file", "make_config"]

DEFAULT_DB = "sqlite:///evolve.db"
DEFAULT_MAX_EVALS = 200  # about half a minute offline on 2 cores


class RunConfig(BaseModel):
    """Everything that defines a run. Keys match the `evolve run` options.

    Budgets (`max_evals`, `max_llm_calls`, `budget_usd`) count the whole run, across
    resumes; `time_limit` counts this invocation only.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    problem: str
    models: tuple[str, ...] = ()
    api_base: str | None = None
    db: str = DEFAULT_DB
    run_name: str | None = None
    max_evals: int | None = Field(default=None, gt=0)
    max_llm_calls: int | None = Field(default=None, gt=0)
    budget_usd: float | None = Field(default=None, gt=0)
    max_tokens: int | None = Field(default=None, gt=0)
    time_limit: float | None = Field(default=None, gt=0, description="seconds")
    concurrency: int = Field(default=4, ge=1, le=256)
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=256)
    seed: int = 0
    strategy: dict[str, Any] = Field(
        default_factory=lambda: {"name": DEFAULT_STRATEGY},
        validate_default=True,
        description="the search strategy: its `name` and the keys of its config class "
        "(a `[strategy]` table); a bare name is accepted",
    )
    llm_timeout: float = Field(default=120.0, gt=0, description="seconds per LLM call")
    llm_retries: int = Field(default=4, ge=0)
    eval_timeout: float | None = Field(default=None, gt=0, description="seconds per candidate")
    functional_hashing: bool = True
    target_score: float | None = None
    audit_rate: float = Field(default=0.05, ge=0, le=1)
    secret_train: bool = Field(
        default=False, description="draw train and probe from a secret seed too, like test"
    )
    validate_top: int = Field(
        default=5, ge=0, description="programs re-validated on the test split at the end"
    )
    deterministic: bool | None = Field(
        default=None,
        description="store results in step order, so a deterministic model gives the same "
        "run at any concurrency; default: on for builtin:mutate and replay: only",
    )

    @model_validator(mode="before")
    @classmethod
    def _strategy_aliases(cls, data: Any) -> Any:
        """`islands`, `functions_per_prompt`, `reset_period`: FunSearch's keys, accepted
        at the top level as before `[strategy]` existed (and in older runs' configs)."""
        if not isinstance(data, dict) or not any(k in data for k in STRATEGY_ALIASES):
            return data
        data = dict(data)
        table = strategy_table(data.get("strategy"))
        for alias, key in STRATEGY_ALIASES.items():
            value = data.pop(alias, None)
            if value is None:
                continue
            if table["name"] != "funsearch":
                raise ConfigError(f"{alias!r} is a funsearch option, not {table['name']}'s")
            if table.setdefault(key, value) != value:
                raise ConfigError(f"{alias!r} ({value}) and [strategy] {key} ({table[key]}) differ")
        data["strategy"] = table
        return data

    @field_validator("strategy", mode="before")
    @classmethod
    def _strategy_table(cls, value: Any) -> dict[str, Any]:
        """The table with every option of its strategy, validated by its config class."""
        table = strategy_table(value)
        name = table.pop("name")
        return {"name": name, **strategy_options(name, table)}

    @field_validator("models", mode="before")
    @classmethod
    def _models_as_tuple(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    def with_default_limits(self) -> RunConfig:
        """A run with no budget at all stops after a sensible number of evaluations."""
        budgets = (self.max_evals, self.max_llm_calls, self.budget_usd, self.time_limit)
        if any(b is not None for b in budgets):
            return self
        return self.model_copy(update={"max_evals": DEFAULT_MAX_EVALS})


STRATEGY_ALIASES = {
    "islands": "num_islands",
    "functions_per_prompt": "functions_per_prompt",
    "reset_period": "reset_period",
}
"""Top-level keys kept for FunSearch's options (now in `[strategy]`)."""


def strategy_table(value: Any) -> dict[str, Any]:
    """`"NAME"` or a `[strategy]` table as a new dict with its `name` (default: funsearch)."""
    if value is None:
        return {"name": DEFAULT_STRATEGY}
    if isinstance(value, str):
        return {"name": value}
    if not isinstance(value, dict):
        raise ConfigError(f"strategy must be a name or a table, not {type(value).__name__}")
    return {"name": DEFAULT_STRATEGY, **value}


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a TOML or YAML config file into plain keys (dashes become underscores)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
        else:
            raise ConfigError(f"config file {path} must end in .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        first_line = str(exc).splitlines()[0]
        raise ConfigError(f"config file {path} is not valid: {first_line}") from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"config file {path} must hold a table of options, not {type(data).__name__}"
        )
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def make_config(file_values: dict[str, Any], overrides: dict[str, Any]) -> RunConfig:
    """Merge file values with CLI overrides (CLI wins; None means 'not given') and validate."""
    merged = {**file_values, **{k: v for k, v in overrides.items() if v is not None}}
    if "model" in merged:  # accept the CLI's singular spelling in files too
        merged["models"] = merged.pop("model")
    if overrides.get("strategy") is not None:  # --strategy NAME keeps that table's options
        merged["strategy"] = _merged_strategy(file_values.get("strategy"), overrides["strategy"])
    try:
        return RunConfig(**merged)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, overrides, file_values)) from exc


def _merged_strategy(base: Any, override: Any) -> dict[str, Any]:
    """The override's table over the base's when both name the same strategy; else the
    override alone (one strategy's options mean nothing to another)."""
    top, low = strategy_table(override), strategy_table(base)
    return {**low, **top} if top["name"] == low["name"] else top


FLAGS = {"problem": "PROBLEM", "models": "--model", "secret_train": "--secret-train"}
"""Fields whose `evolve run` option is not `--field-name`."""


def _explain(exc: ValidationError, overrides: dict[str, Any], file_values: dict[str, Any]) -> str:
    """The first validation error, named as the user wrote it: the command-line flag
    (`--max-evals`) for a value from the command line, the key for one from the config
    file, the field otherwise (e.g. a resumed run's stored config)."""
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err["loc"] else ""
    if field == "models" and "model" in file_values:
        field = "model"
    what = err["msg"][0].lower() + err["msg"][1:]
    if err["type"] == "extra_forbidden":
        return f"unknown key {field!r} in the config file; its keys are `evolve run`'s options"
    shown = f" (got {err['input']!r})" if "input" in err and err["type"] != "missing" else ""
    if overrides.get(field) is not None:
        flag = FLAGS.get(field, "--" + field.replace("_", "-"))
        return f"invalid {flag}: {what}{shown}"
    if field in file_values:
        return f"invalid {field!r} in the config file: {what}{shown}"
    return f"invalid option {field or 'config'!r}: {what}{shown}"
