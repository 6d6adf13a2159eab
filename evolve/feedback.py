"""Error feedback for prompts: which failures of a lineage to show, and how.

A failure is shown the way a model can act on it: the error's message and the
candidate's own frames (`File "<candidate>", line N`), not the frames of numpy or of
the trusted harness, and no absolute path of the installation. Repeated failures of one
kind with the same message are one line with a count (`group`).

The archive answers which failures are recent (`Archive.recent_failures`), but a run
writes every failure itself, so a small per-parent cache, filled from the archive on a
miss and kept up to date as failures are stored, saves a query in every step.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from archive import FAILED_EXCLUDES, Archive, ProgramRecord

__all__ = ["MAX_FRAMES", "Failure", "RecentFailures", "clean_error", "group"]

MAX_FRAMES = 3  # of the candidate's own frames, the innermost
CANDIDATE = "<candidate>"  # the file name of the candidate's frames (sandbox/child.py)
_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+)(?:, in (.+))?$')
_PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:)?(?:/[\w.+@-]+)+/([\w.+@-]+\.py)")
_PACKAGES = re.compile(r"(?:[A-Za-z]:)?(?:/[\w.+@-]+)+/(?:site|dist)-packages/")
_VARYING = re.compile(r"'[^']*'|\"[^\"]*\"|\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Failure:
    """A recent failure in the parent's lineage, fed back so the model can avoid it.

    Attributes:
        error_kind: e.g. "sandbox:error", "patch:search_not_found".
        error: the stored error text (cleaned when shown, see `clean_error`).
        source_excerpt: the failed program (its EVOLVE-BLOCK is shown).
        count: how many recent failures this one stands for (see `group`).
    """

    error_kind: str
    error: str
    source_excerpt: str = ""
    count: int = 1


def clean_error(error: str) -> str:
    """The error as a model should see it: the message first, then only the candidate's
    own frames (the innermost MAX_FRAMES, each with its line of code); frames of other
    files (numpy, the harness) dropped; installation paths shortened."""
    message: list[str] = []
    frames: list[list[str]] = []
    in_frame = keep = False
    for line in error.strip("\n").split("\n"):
        frame = _FRAME.match(line)
        if frame:
            in_frame, keep = True, frame.group(1) == CANDIDATE
            if keep:
                frames.append([f"  line {frame.group(2)}, in {frame.group(3) or '?'}"])
        elif in_frame and line.startswith("    "):  # the frame's code (and ^^^ markers)
            if keep:
                frames[-1].append(line.rstrip())
        elif not line.startswith("Traceback (most recent call last)"):
            in_frame = False
            message.append(_short_paths(line.rstrip()))
    message = [line for line in message if line.strip()]
    if frames:  # after the first line: the exception, or what the harness said
        shown = [line for frame in frames[-MAX_FRAMES:] for line in frame]
        message[1:1] = ["in the program:", *shown]
    return "\n".join(message)


def _short_paths(line: str) -> str:
    line = _PACKAGES.sub("", line)  # .../site-packages/numpy/x.py -> numpy/x.py
    return _PATH.sub(lambda m: m.group(1), line)  # /any/where/harness.py -> harness.py


def group(failures: Sequence[Failure]) -> list[Failure]:
    """One Failure per kind and message (numbers and quoted text aside), in the order of
    their first occurrence, with how many of `failures` it stands for."""
    groups: dict[tuple[str, str], Failure] = {}
    for failure in failures:
        message = clean_error(failure.error).split("\n", 1)[0]
        key = (failure.error_kind, _VARYING.sub("_", message))
        earlier = groups.get(key)
        count = failure.count + (earlier.count if earlier else 0)
        groups[key] = replace(earlier or failure, count=count)
    return list(groups.values())


class RecentFailures:
    """The newest failed children of given parents, as `Archive.recent_failures` gives them.

    Attributes:
        limit: failures returned (and kept per parent); enough to count repeats.
        capacity: parents cached; the least recently used is forgotten first.
    """

    def __init__(self, archive: Archive, run_id: int, limit: int = 12, capacity: int = 256):
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
