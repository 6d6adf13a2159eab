"""Opening archives: URLs, SQLite files (WAL, two writers), schema version checks."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from pathlib import Path

import pytest

from archive import SCHEMA_VERSION, Archive, ArchiveError, NewProgram


def test_a_bare_path_is_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    with Archive(str(path)) as archive:
        archive.create_run("r", "tsp", {}, 0)
        assert archive.url == f"sqlite:///{path}"
    assert path.exists()
    with Archive(f"sqlite:///{path}") as archive:
        assert [run.name for run in archive.list_runs()] == ["r"]


def test_in_memory_archive(tmp_path: Path) -> None:
    with Archive(":memory:") as archive:
        run = archive.create_run("r", "tsp", {}, 0)
        assert archive.add_program(run.id, NewProgram(source="x = 1")).id == 1


def test_sqlite_file_is_in_wal_mode_with_the_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Archive(str(path)).close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        version = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        assert version.fetchone() == (str(SCHEMA_VERSION),)
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"meta", "runs", "programs", "llm_calls", "lineage"} <= tables


def _set_version(path: Path, version: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (str(SCHEMA_VERSION + 1), rf"version {SCHEMA_VERSION + 1}, newer .* pip install -U evolve"),
        ("0", r"unknown schema version '0' .* use a new --db"),
        ("abc", r"unknown schema version 'abc'"),
    ],
)
def test_another_schema_version_is_refused(tmp_path: Path, version: str, message: str) -> None:
    path = tmp_path / "a.db"
    Archive(str(path)).close()
    _set_version(path, version)
    with pytest.raises(ArchiveError, match=message):
        Archive(str(path))
    _set_version(path, str(SCHEMA_VERSION))
    Archive(str(path)).close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://user@host/db", r"unsupported database 'mysql' .* use a file path"),
        ("://nothing", r"not a database URL: '://nothing'"),
        ("sqlite:////no/such/dir/a.db", r"cannot open archive sqlite:////no/such/dir/a.db: "),
    ],
)
def test_bad_urls_give_one_line_errors(url: str, message: str) -> None:
    with pytest.raises(ArchiveError, match=message) as error:
        Archive(url)
    assert "\n" not in str(error.value)


def test_a_missing_driver_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no PostgreSQL driver importable (hidden here, so the test runs either way)."""
    for name in ("psycopg", "psycopg2"):
        monkeypatch.setitem(sys.modules, name, None)  # `import name` raises ImportError
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("psycopg", "psycopg2") else real_find_spec(name, *a),
    )
    with pytest.raises(
        ArchiveError, match=r"no driver for postgresql\+psycopg://u:\*\*\*@h/db .*pip"
    ):
        Archive("postgresql://u:secret@h/db")


def test_unreachable_server_is_an_archive_error(tmp_path: Path) -> None:
    """A file that is not a database stands in for a server that cannot be used."""
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(
        ArchiveError, match=r"cannot open archive .*junk.db: file is not a database"
    ):
        Archive(str(path))


def test_two_archives_on_one_file_write_alternately(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    with Archive(path) as first, Archive(path) as second:
        run = first.create_run("r", "tsp", {}, 0)
        assert second.get_run("r") == run
        ids = []
        for i in range(10):
            writer = first if i % 2 == 0 else second
            ids.append(writer.add_program(run.id, NewProgram(source=f"x = {i}")).id)
        assert ids == sorted(ids) and len(set(ids)) == 10
        assert [p.id for p in first.iter_programs(run.id)] == ids
        assert [p.id for p in second.iter_programs(run.id)] == ids
        second.update_run(run.id, status="finished")
        assert first.get_run(run.id).status == "finished"
