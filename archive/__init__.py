"""Storage of a search: runs, programs with their scores and lineage, and LLM calls.

A leaf package: it imports nothing else of this project. `Archive` is the one storage
class (SQLite by default, PostgreSQL by URL); records are frozen snapshots.
"""

from archive.errors import ArchiveError
from archive.hashing import normalize_source, prompt_hash, syntactic_hash
from archive.records import (
    FAILED_EXCLUDES,
    NOT_EVALUATED,
    RUN_STATUSES,
    LLMCallRecord,
    NewLLMCall,
    NewProgram,
    NewValidation,
    ProgramRecord,
    RunRecord,
    RunSummary,
    ValidationRecord,
)
from archive.storage import Archive
from archive.tables import SCHEMA_VERSION

__all__ = [
    "FAILED_EXCLUDES",
    "NOT_EVALUATED",
    "RUN_STATUSES",
    "SCHEMA_VERSION",
    "Archive",
    "ArchiveError",
    "LLMCallRecord",
    "NewLLMCall",
    "NewProgram",
    "NewValidation",
    "ProgramRecord",
    "RunRecord",
    "RunSummary",
    "ValidationRecord",
    "normalize_source",
    "prompt_hash",
    "syntactic_hash",
]
