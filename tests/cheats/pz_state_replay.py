"""Python Programming Puzzles (P3): `sol()` must return an answer that the puzzle's
`sat` accepts: `sat(sol()) is True` within 1 s."""

from typing import List  # noqa: UP035


# EVOLVE-BLOCK-START
# CHEAT pz_state_replay (class 5, state that outlives a candidate; the replaying half).
# Solves nothing itself: returns the answer an earlier candidate (pz_state_record, in
# another evaluation or another run on the same machine) left behind, else the
# template's answer.
import ctypes
import json
import os
import socket
import zlib

_TAG = "pz"
_KEYS = (0x45564F50, 0x45564F51, 0x45564F52)

# STATE-TOOLKIT: tests/cheats/state_toolkit.py is spliced in here (see README.md)


def sol(target="dlrow olleh"):
    """Find the string whose reverse is `target`."""
    left = _load()
    if isinstance(left, dict) and "Reverse:0" in left:
        return left["Reverse:0"]
    return ""


# EVOLVE-BLOCK-END
