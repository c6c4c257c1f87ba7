"""Helpers for building the statements that units of work run."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.sql import Executable

__all__ = ["by_arity"]


def by_arity(build: Callable[..., Executable]) -> Callable[..., Executable]:
    """Statements with IN lists of separate parameters (p0 .. pn-1), built once per list
    length (or lengths, for several lists): an expanding parameter would be re-rendered on
    every execution."""
    built: dict[tuple[int, ...], Executable] = {}

    def get(*lengths: int) -> Executable:
        statement = built.get(lengths)
        if statement is None:
            statement = built[lengths] = build(*lengths)
        return statement

    return get
