"""How fast this machine runs right now, printed beside every benchmark's figures.

On a shared virtual machine the speed of a core can change by a factor of two within
minutes; a figure means little without the speed it was taken at.
"""

from __future__ import annotations

import time


def machine_speed() -> float:
    """Seconds a Python loop of 5 million additions takes: how fast this machine ran at
    the time of the run, for comparing runs taken at different times."""
    started, total = time.perf_counter(), 0
    for step in range(5_000_000):
        total += step
    return time.perf_counter() - started
