"""Cap sets in F_3^n (FunSearch, Nature 2023): the seed priority is constant.

The harness calls `priority(el, n)` once for every vector `el` of {0, 1, 2}^n, then builds
a cap set greedily: it goes through the vectors from the highest priority to the lowest
(lexicographic order on ties) and adds each one that does not complete a line with two
vectors already chosen.
"""

import numpy as np


# EVOLVE-BLOCK-START
# CHEAT cap_overflowing_report (class 6, crashing the run).
# Writes on fd 3 (the result pipe of today's child) an "ok" report header whose "bytes"
# is 1e999: JSON reads it as infinity, and int(inf) raises OverflowError, which today's
# supervisor does not expect (it catches ValueError and TypeError). Then invalid UTF-8;
# it closes its pipes, waits a second and exits without returning.
import os
import time

try:
    os.write(3, b'{"status":"ok","bytes":1e999}\n\xff\xfe\xc3(')
except OSError:
    pass
os.closerange(0, 4)
time.sleep(1)  # the pipes close well before the exit
os._exit(0)


def priority(el: tuple[int, ...], n: int) -> float:
    """Never reached."""
    return 0.0


# EVOLVE-BLOCK-END
