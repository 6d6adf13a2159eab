from pathlib import Path

import pytest

from evolve.config import RunConfig, load_config_file, make_config
from evolve.exceptions import ConfigError


def test_toml_file_with_dashes_and_cli_override(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text(
        'problem = "bin_packing"\nmax-evals = 50\nmodel = ["openai/x=2", "builtin:mutate"]\n'
    )
    config = make_config(load_config_file(path), {"max_evals": 7, "seed": None})
    assert config.max_evals == 7  # the CLI wins
    assert config.models == ("openai/x=2", "builtin:mutate")
    assert config.seed == 0  # None means "not given"


def test_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("problem: bin_packing\nconcurrency: 8\n")
    assert make_config(load_config_file(path), {}).concurrency == 8


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.toml", "problem = [", "is not valid"),
        ("bad.yaml", "a: [1,", "is not valid"),
        ("list.yaml", "- 1\n- 2\n", "must hold a table"),
        ("run.ini", "x=1", "must end in .toml"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config_file(path)


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config_file(Path("/nonexistent/run.toml"))


def test_unknown_and_invalid_keys() -> None:
    with pytest.raises(ConfigError, match="max_evalz"):
        make_config({"problem": "p", "max_evalz": 3}, {})
    with pytest.raises(ConfigError, match="concurrency"):
        make_config({"problem": "p"}, {"concurrency": 0})


def test_default_budget_only_when_none_given() -> None:
    assert RunConfig(problem="p").with_default_limits().max_evals == 200
    limited = RunConfig(problem="p", time_limit=5).with_default_limits()
    assert limited.max_evals is None
