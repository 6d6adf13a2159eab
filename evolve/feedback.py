"""Error feedback for prompts: the recent failed children of a prompt's parents.

The archive answers this (`Archive.recent_failures`), but a run writes every failure
itself, so a small per-parent cache, filled from the archive on a miss and kept up to
date as failures are stored, saves a query in every step.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from archive import FAILED_EXCLUDES, Archive, ProgramRecord

__all__ = ["RecentFailures"]


class RecentFailures:
    """The newest failed children of given parents, as `Archive.recent_failures` gives them.

    Attributes:
        limit: failures returned (and kept per parent).
        capacity: parents cached; the least recently used is forgotten first.
    """

    def __init__(self, archive: Archive, run_id: int, limit: int = 3, capacity: int = 256):
        self.archive, self.run_id, self.limit, self.capacity = archive, run_id, limit, capacity
        self._by_parent: OrderedDict[int, list[ProgramRecord]] = OrderedDict()

    def of(self, parent_ids: Sequence[int]) -> list[ProgramRecord]:
        """Up to `limit` failed children of any of `parent_ids`, newest first."""
        failures: dict[int, ProgramRecord] = {}
        for parent in parent_ids:
            for record in self._cached(parent):
                failures[record.id] = record
        return sorted(failures.values(), key=lambda r: r.id, reverse=True)[: self.limit]

    def add(self, record: ProgramRecord) -> None:
        """Note a newly stored program: a failure goes to its cached parents' lists."""
        if record.status in FAILED_EXCLUDES:
            return
        for parent in record.parent_ids:
            if parent in self._by_parent:
                self._by_parent[parent] = [record, *self._by_parent[parent]][: self.limit]

    def _cached(self, parent: int) -> list[ProgramRecord]:
        if parent not in self._by_parent:
            self._by_parent[parent] = self.archive.recent_failures(
                self.run_id, [parent], self.limit
            )
            if len(self._by_parent) > self.capacity:
                self._by_parent.popitem(last=False)
        self._by_parent.move_to_end(parent)
        return self._by_parent[parent]
