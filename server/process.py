"""Tuning for a long-running server process (`fieldsales serve`), not for tests or tools.

CPython's cyclic garbage collector runs its youngest generation every 700 net
allocations, and every so often walks every tracked object. An order request allocates
tens of thousands of short-lived objects, so a server spent a large share of its time in
collections, and the occasional full walk over everything imported and cached showed as
latency spikes: on the orders benchmark, freezing the start-up heap and collecting less
often raised throughput by about a sixth and cut p99 latency by about 40 %.
"""

from __future__ import annotations

import gc

__all__ = ["settle_garbage_collector"]

# Youngest generation every 20,000 net allocations (a few requests); the older ones after
# 20 and 100 of the generation below, as before.
_THRESHOLDS = (20_000, 20, 100)


def settle_garbage_collector() -> None:
    """Once the app has started: move everything alive now (modules, configuration, caches)
    out of the collector's sight, and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*_THRESHOLDS)
