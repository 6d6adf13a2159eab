"""Storage of a search: runs, programs with their scores and lineage, and LLM calls.

A leaf package: it imports nothing else of this project. `Archive` is the one storage
class (SQLite by default, PostgreSQL by URL); records are frozen snapshots.
"""

from archive.errors import ArchiveError
from archive.hashing import normalize_source, prompt_hash, syntactic_hash
from archive.leases import RunHeldError
from archive.records import (
    CALL_KINDS,
    FAILED_EXCLUDES,
    NOT_EVALUATED,
    RUN_STATUSES,
    LeaseOwner,
    LLMCallRecord,
    NewLLMCall,
    NewProgram,
    NewValidation,
    ProgramRecord,
    RunLease,
    RunRecord,
    RunSummary,
    ValidationRecord,
)
from archive.storage import Archive
from archive.tables import SCHEMA_VERSION

__all__ = [
    "CALL_KINDS",
    "FAILED_EXCLUDES",
    "NOT_EVALUATED",
    "RUN_STATUSES",
    "SCHEMA_VERSION",
    "Archive",
    "ArchiveError",
    "LLMCallRecord",
    "LeaseOwner",
    "NewLLMCall",
    "NewProgram",
    "NewValidation",
    "ProgramRecord",
    "RunHeldError",
    "RunLease",
    "RunRecord",
    "RunSummary",
    "ValidationRecord",
    "normalize_source",
    "prompt_hash",
    "syntactic_hash",
]
