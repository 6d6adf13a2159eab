"""Opening a database: URL parsing, engine options, SQLite pragmas, schema creation.

Everything SQLite-specific lives here, in the connect hook; the rest of the archive is
portable SQL for SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, col, select

from archive.errors import ArchiveError
from archive.migrations import OLDEST_UPGRADABLE, upgrade
from archive.tables import SCHEMA_VERSION, TABLES, MetaRow

__all__ = ["BUSY_TIMEOUT_MS", "error_line", "open_engine", "parse_url"]

BUSY_TIMEOUT_MS = 10_000
_SCHEMA_ATTEMPTS = 5  # creating or upgrading an archive that another process creates too
"""How long a SQLite writer waits for another process's write before giving up."""

_URL_HELP = "use a file path, sqlite:///path.db or postgresql://user:password@host/db"


def parse_url(url: str) -> URL:
    """An SQLAlchemy URL from a database URL or a bare SQLite file path."""
    if url in ("", ":memory:"):
        return make_url("sqlite://")
    if "://" not in url:
        return make_url(f"sqlite:///{Path(url).expanduser().resolve()}")
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ArchiveError(f"not a database URL: {url!r}; {_URL_HELP}") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ArchiveError(f"unsupported database {backend!r} in {url!r}; {_URL_HELP}")
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername=_postgresql_driver())
    return parsed


def _postgresql_driver() -> str:
    """The installed PostgreSQL driver (SQLAlchemy's default differs between 2.0 and 2.1)."""
    for module in ("psycopg", "psycopg2"):
        if importlib.util.find_spec(module) is not None:
            return f"postgresql+{module}"
    return "postgresql+psycopg"  # the error will say to install it


def open_engine(url: str, *, create: bool = True) -> Engine:
    """An engine on `url` with the archive's tables present and its schema version checked.
    `create=False` (for reading): an archive that does not exist yet is an ArchiveError,
    and nothing is created."""
    parsed = parse_url(url)
    where = parsed.render_as_string(hide_password=True)
    if not create:
        _must_exist(parsed, where)
    try:
        engine = _create(parsed)
    except (ImportError, NoSuchModuleError) as exc:
        raise ArchiveError(
            f"no driver for {where} ({exc}); install one, e.g. pip install 'psycopg[binary]'"
        ) from exc
    try:
        _ensure_schema(engine, where, create)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise ArchiveError(f"cannot open archive {where}: {error_line(exc)}") from exc
    except ArchiveError:
        engine.dispose()
        raise
    return engine


def _create(url: URL) -> Engine:
    options: dict[str, Any] = {"json_serializer": _json_dumps}
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **options)
    if url.database in (None, "", ":memory:"):
        # One shared connection, or every new connection would see an empty database.
        options.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    engine = create_engine(url, **options)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _json_dumps(value: Any) -> str:
    """Strict JSON on every backend: PostgreSQL refuses NaN and Infinity, so SQLite does too."""
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ArchiveError(f"not JSON data ({exc}); store dicts, lists, str, int, float") from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside one writer and other processes append to the same file.

    synchronous=NORMAL: in WAL mode a commit survives a killed process (not a power cut)
    and costs no fsync, which keeps one insert well under a millisecond.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _must_exist(url: URL, where: str) -> None:
    """An SQLite archive's file must exist (connecting would create it)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    if not Path(url.database).exists():
        raise ArchiveError(
            f"no archive at {Path(url.database).resolve()}: nothing was run with this --db yet "
            "(evolve run PROBLEM creates it; evolve runs --db FILE reads another)"
        )


def _ensure_schema(engine: Engine, where: str, create: bool = True) -> None:
    """Create the tables of a new archive, upgrade an older one, refuse any other.

    Two processes may create or upgrade the same archive at once: the loser's DDL or its
    schema row fails (SQLite commits each CREATE at once, so the race has several steps),
    and a later attempt finds the winner's tables.
    """
    version = None
    for attempt in range(1, _SCHEMA_ATTEMPTS + 1):
        try:
            with engine.begin() as connection:
                version = _stored_version(connection)
                if version is None and not create:
                    raise ArchiveError(
                        f"{where} holds no evolve archive (no runs were stored in it)"
                    )
                if version is None:
                    SQLModel.metadata.create_all(connection, tables=TABLES)
                    connection.execute(
                        insert(MetaRow).values(key="schema_version", value=str(SCHEMA_VERSION))
                    )
                elif version.isdigit() and OLDEST_UPGRADABLE <= int(version) < SCHEMA_VERSION:
                    upgrade(connection, int(version))
                    version = str(SCHEMA_VERSION)
            break
        except SQLAlchemyError:
            if attempt == _SCHEMA_ATTEMPTS:
                raise
            time.sleep(0.02 * attempt)
    _check_version(version, where)


def _stored_version(connection: Any) -> str | None:
    if not inspect(connection).has_table(MetaRow.__tablename__):
        return None
    query = select(col(MetaRow.value)).where(MetaRow.key == "schema_version")
    return connection.execute(query).scalar_one_or_none()


def _check_version(version: str | None, where: str) -> None:
    if version is None or version == str(SCHEMA_VERSION):
        return
    if version.isdigit() and int(version) > SCHEMA_VERSION:
        raise ArchiveError(
            f"archive {where} has schema version {version}, newer than this evolve reads "
            f"({SCHEMA_VERSION}); upgrade it: pip install -U evolve-engine"
        )
    raise ArchiveError(
        f"archive {where} has unknown schema version {version!r} (this evolve reads "
        f"{SCHEMA_VERSION}); open it with the evolve that wrote it or use a new --db"
    )


def error_line(exc: SQLAlchemyError) -> str:
    """The first line of a database error, without SQLAlchemy's background link."""
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
