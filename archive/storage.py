"""The archive: every run, program and LLM call of a search, in SQLite or PostgreSQL.

Each public method is one transaction through `Archive._session`, takes ids and plain
values, and returns frozen records (`archive.records`), never live ORM objects. Database
errors come out as `ArchiveError` with a one-line message.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, select

from archive import leases
from archive.calls import add_call, read_call
from archive.database import error_line, open_engine
from archive.errors import ArchiveError
from archive.history import best_over_time, lineage_ids
from archive.leases import RunLeases
from archive.queries import (
    failure_counts,
    failures_query,
    summarize,
    top_query,
    twin_query,
    validation_query,
)
from archive.records import (
    FAILED_EXCLUDES,
    RUN_STATUSES,
    LeaseOwner,
    LLMCallRecord,
    NewLLMCall,
    NewProgram,
    NewValidation,
    ProgramRecord,
    RunRecord,
    RunSummary,
    ValidationRecord,
)
from archive.tables import (
    LineageRow,
    LLMCallRow,
    ProgramRow,
    RunRow,
    program_record,
    program_row,
    run_record,
    utc_now,
    validation_record,
    validation_row,
)

__all__ = ["Archive", "ArchiveError"]

_IN_CHUNK = 500  # ids per IN (...) list, well under every database's parameter limit


class Archive(RunLeases):
    """A search's storage; the database is also the run's checkpoint.

    `url` is "sqlite:///path.db", "postgresql://user:password@host/db" or a bare file
    path (SQLite). Tables are created when missing, unless `create` is False (reading an
    existing archive: a missing one is an ArchiveError). Safe to share one SQLite file
    between processes (WAL); one `Archive` object is meant for one thread.
    """

    def __init__(self, url: str, *, create: bool = True) -> None:
        self._engine = open_engine(url, create=create)
        self._where = self._engine.url.render_as_string(hide_password=True)
        self._closed = False

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._where

    @property
    def in_memory(self) -> bool:
        """True for an in-memory SQLite archive: one connection, this process only."""
        return self._engine.url.get_backend_name() == "sqlite" and not self._engine.url.database

    def close(self) -> None:
        """Release the database connections; the archive cannot be used afterwards."""
        self._engine.dispose()
        self._closed = True

    def __enter__(self) -> Archive:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _session(self, refused: str = "") -> Iterator[Session]:
        """One transaction: commit on success, roll back on any error.

        `refused` replaces the start of the message when a constraint rejects a write.
        """
        if self._closed:
            raise ArchiveError(f"archive {self._where} is closed; open a new Archive")
        try:
            with Session(self._engine, expire_on_commit=False) as session, session.begin():
                yield session
        except IntegrityError as exc:
            reason = refused or f"archive {self._where} refused a write"
            raise ArchiveError(f"{reason} ({error_line(exc)})") from exc
        except SQLAlchemyError as exc:
            raise ArchiveError(f"archive {self._where}: {error_line(exc)}") from exc

    # -- runs -------------------------------------------------------------------------

    def create_run(
        self,
        name: str,
        problem: str,
        config: dict[str, Any],
        seed: int,
        draw_seeds: Mapping[str, int] | None = None,
        *,
        owner: LeaseOwner | None = None,
        lease_s: float = 0.0,
    ) -> RunRecord:
        """A new run with status "running"; the name must be new. With `owner`, the run is
        created held by it for `lease_s` seconds (see `take_run`)."""
        exists = f"run {name!r} exists; use --resume {name} or another --run-name"
        with self._session(refused=exists) as session:
            if session.exec(select(RunRow.id).where(RunRow.name == name)).first() is not None:
                raise ArchiveError(exists)
            held = leases.lease_values(owner, lease_s) if owner is not None else {}
            row = RunRow(name=name, problem=problem, config=dict(config), seed=seed, **held)
            row.draw_seeds = dict(draw_seeds or {})
            session.add(row)
            session.flush()
            return run_record(row)

    def get_run(self, name_or_id: str | int) -> RunRecord:
        """The run with this name, or this id (an int or a string of digits)."""
        with self._session() as session:
            return run_record(self._find_run(session, name_or_id))

    def list_runs(self) -> list[RunRecord]:
        """All runs, oldest first."""
        with self._session() as session:
            rows = session.exec(select(RunRow).order_by(col(RunRow.id))).all()
            return [run_record(row) for row in rows]

    def update_run(
        self,
        run_id: int,
        *,
        status: str | None = None,
        state: dict[str, Any] | None = None,
        draw_seeds: Mapping[str, int] | None = None,
    ) -> RunRecord:
        """Set a run's status, engine state and/or draw seeds; touches `updated_at`."""
        if status is not None and status not in RUN_STATUSES:
            raise ArchiveError(f"unknown run status {status!r}; use one of {RUN_STATUSES}")
        with self._session() as session:
            row = self._find_run(session, run_id)
            if status is not None:
                row.status = status
            if state is not None:
                row.state = dict(state)
            if draw_seeds is not None:
                row.draw_seeds = dict(draw_seeds)
            row.updated_at = utc_now()
            session.flush()
            return run_record(row)

    def _find_run(self, session: Session, key: str | int) -> RunRow:
        row = None
        if isinstance(key, str):
            row = session.exec(select(RunRow).where(RunRow.name == key)).first()
        if row is None and (isinstance(key, int) or key.isdigit()):
            row = session.get(RunRow, int(key))
        if row is None:
            raise ArchiveError(
                f"no run {key!r} in {self._where}; `evolve runs` lists the runs in it"
            )
        return row

    # -- writes -------------------------------------------------------------------------

    def add_program(
        self, run_id: int, program: NewProgram, llm_call: NewLLMCall | None = None
    ) -> ProgramRecord:
        """Store a program, and the LLM call that produced it, in one transaction."""
        refused = f"program refused: run {run_id}, its parents and duplicate_of must exist"
        with self._session(refused=refused) as session:
            call_id = None if llm_call is None else add_call(session, run_id, llm_call).id
            row = program_row(run_id, program, call_id)
            session.add(row)
            session.flush()
            assert row.id is not None
            session.add_all(
                LineageRow(child_id=row.id, position=position, parent_id=parent_id)
                for position, parent_id in enumerate(program.parent_ids)
            )
            return program_record(row)

    def add_llm_call(self, run_id: int, call: NewLLMCall) -> LLMCallRecord:
        """Store an LLM call that produced no program (typically a failed one)."""
        with self._session(refused=f"LLM call refused: run {run_id} must exist") as session:
            return read_call(session, add_call(session, run_id, call))

    # -- reads --------------------------------------------------------------------------

    def get_program(self, program_id: int) -> ProgramRecord:
        with self._session() as session:
            row = session.get(ProgramRow, program_id)
            if row is None:
                raise ArchiveError(f"no program {program_id} in {self._where}")
            return program_record(row)

    def get_programs(self, ids: Sequence[int]) -> list[ProgramRecord]:
        """The programs with these ids, in the order given (repeats allowed)."""
        found: dict[int, ProgramRecord] = {}
        unique = list(dict.fromkeys(ids))
        with self._session() as session:
            for start in range(0, len(unique), _IN_CHUNK):
                chunk = unique[start : start + _IN_CHUNK]
                rows = session.exec(select(ProgramRow).where(col(ProgramRow.id).in_(chunk)))
                found.update((row.id, program_record(row)) for row in rows if row.id)
        missing = [i for i in unique if i not in found]
        if missing:
            raise ArchiveError(f"no programs {missing[:10]} in {self._where}")
        return [found[i] for i in ids]

    def get_llm_call(self, call_id: int) -> LLMCallRecord:
        with self._session() as session:
            row = session.get(LLMCallRow, call_id)
            if row is None:
                raise ArchiveError(f"no LLM call {call_id} in {self._where}")
            return read_call(session, row)

    def find_by_syntactic_hash(self, run_id: int, h: str) -> ProgramRecord | None:
        """The first program of the run with this syntactic hash that is no duplicate."""
        return self._first(twin_query(run_id, ProgramRow.syntactic_hash, h))

    def find_by_functional_hash(self, run_id: int, h: str) -> ProgramRecord | None:
        """The first program of the run with this functional hash that is no duplicate
        (`duplicate_kind` "": neither a skipped duplicate nor an audit)."""
        return self._first(twin_query(run_id, ProgramRow.functional_hash, h))

    def _first(self, query: Any) -> ProgramRecord | None:
        with self._session() as session:
            row = session.exec(query).first()
            return None if row is None else program_record(row)

    def top_programs(self, run_id: int, k: int = 10) -> list[ProgramRecord]:
        """The k best "ok" programs: highest score first, oldest first among equals."""
        with self._session() as session:
            return [program_record(row) for row in session.exec(top_query(run_id, k))]

    def iter_programs(self, run_id: int, batch: int = 1000) -> Iterator[ProgramRecord]:
        """Every program of the run by id, fetched `batch` at a time (one transaction each).

        Keyset pagination: memory stays at one batch whatever the archive's size, and
        programs added while iterating are included.
        """
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        return self._iter_batches(run_id, batch)

    def _iter_batches(self, run_id: int, batch: int) -> Iterator[ProgramRecord]:
        last_id = 0
        while True:
            query = (
                select(ProgramRow)
                .where(ProgramRow.run_id == run_id, col(ProgramRow.id) > last_id)
                .order_by(col(ProgramRow.id))
                .limit(batch)
            )
            with self._session() as session:
                records = [program_record(row) for row in session.exec(query)]
            yield from records
            if len(records) < batch:
                return
            last_id = records[-1].id

    def recent_failures(
        self, run_id: int, program_ids: Sequence[int], limit: int = 3
    ) -> list[ProgramRecord]:
        """The newest failed children of any of `program_ids` (status not "ok"/"duplicate").

        For error feedback in prompts: what went wrong the last times these were parents.
        """
        if not program_ids or limit < 1:
            return []
        children = select(LineageRow.child_id).where(
            col(LineageRow.parent_id).in_(list(program_ids))
        )
        query = (
            select(ProgramRow)
            .where(ProgramRow.run_id == run_id, col(ProgramRow.id).in_(children))
            .where(col(ProgramRow.status).not_in(FAILED_EXCLUDES))
            .order_by(col(ProgramRow.id).desc())
            .limit(limit)
        )
        with self._session() as session:
            return [program_record(row) for row in session.exec(query)]

    def failure_counts(self, run_id: int) -> dict[str, int]:
        """{kind: failed programs} of the run, most frequent first; a program's kind is its
        `error_kind`, or its status when that is empty."""
        with self._session() as session:
            self._find_run(session, run_id)
            return failure_counts(session, run_id)

    def failed_programs(
        self, run_id: int, kind: str | None = None, limit: int = 10
    ) -> list[ProgramRecord]:
        """The run's newest failed programs, only those of `kind` if given."""
        with self._session() as session:
            rows = session.exec(failures_query(run_id, kind, limit))
            return [program_record(row) for row in rows]

    def replies_for(self, run_id: int, prompt_hash: str) -> list[str]:
        """The successful replies recorded for this prompt hash, oldest first (for replay)."""
        query = (
            select(LLMCallRow.reply)
            .where(LLMCallRow.run_id == run_id, LLMCallRow.prompt_hash == prompt_hash)
            .where(LLMCallRow.error == "")
            .order_by(col(LLMCallRow.id))
        )
        with self._session() as session:
            return list(session.exec(query))

    def best_over_time(self, run_id: int) -> list[tuple[datetime, int, float]]:
        """Each new best "ok" program of the run, oldest first: (created_at, id, score)."""
        with self._session() as session:
            self._find_run(session, run_id)
            return best_over_time(session, run_id)

    def lineage(self, program_id: int) -> list[ProgramRecord]:
        """The program, its last parent, that one's last parent, ... back to the seed.

        The last parent is the one the LLM improved (the engine lists parents best-last).
        """
        with self._session() as session:
            if session.get(ProgramRow, program_id) is None:
                raise ArchiveError(f"no program {program_id} in {self._where}")
            ids = lineage_ids(session, program_id)
        return self.get_programs(ids)

    # -- re-validation on the held-out split --------------------------------------------

    def add_validation(self, run_id: int, validation: NewValidation) -> ValidationRecord:
        """Store a program's held-out result, replacing an earlier one of the same program."""
        refused = f"validation refused: run {run_id} and program {validation.program_id} must exist"
        with self._session(refused=refused) as session:
            old = session.exec(validation_query(run_id, [validation.program_id])).first()
            if old is not None:
                session.delete(old)
                session.flush()
            row = validation_row(run_id, validation)
            session.add(row)
            session.flush()
            return validation_record(row)

    def validations(
        self, run_id: int, program_ids: Sequence[int] | None = None
    ) -> dict[int, ValidationRecord]:
        """{program_id: held-out result} of the run's re-validated programs (or of these)."""
        with self._session() as session:
            rows = session.exec(validation_query(run_id, program_ids))
            return {row.program_id: validation_record(row) for row in rows}

    def seed_program(self, run_id: int) -> ProgramRecord | None:
        """The run's first starting program (no LLM call made it), if any."""
        query = (
            select(ProgramRow)
            .where(ProgramRow.run_id == run_id, col(ProgramRow.llm_call_id).is_(None))
            .order_by(col(ProgramRow.id))
            .limit(1)
        )
        return self._first(query)

    def summary(self, run_id: int) -> RunSummary:
        """Counts and totals for one run (see `RunSummary` for what each counts)."""
        with self._session() as session:
            self._find_run(session, run_id)
            return summarize(session, run_id)
