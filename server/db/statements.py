"""Helpers for building the statements that units of work run."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.sql import Executable

__all__ = ["by_arity"]


# The statements kept per builder: the list lengths that real orders, pages and pulls use
# fit many times over, and a stream of odd lengths cannot grow the process without bound.
KEPT_PER_BUILDER = 256


def by_arity(build: Callable[..., Executable]) -> Callable[..., Executable]:
    """Statements with IN lists of separate parameters (p0 .. pn-1), built once per list
    length (or lengths, for several lists): an expanding parameter would be re-rendered on
    every execution. Beyond `KEPT_PER_BUILDER`, the first built is dropped for a new one:
    a lookup of a kept statement stays one dictionary read."""
    built: dict[tuple[int, ...], Executable] = {}

    def get(*lengths: int) -> Executable:
        statement = built.get(lengths)
        if statement is None:
            if len(built) >= KEPT_PER_BUILDER:
                del built[next(iter(built))]  # the oldest: dicts keep insertion order
            statement = built[lengths] = build(*lengths)
        return statement

    return get
