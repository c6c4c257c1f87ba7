"""Statements built once per IN-list length, and kept within a bound."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import column, select, table
from sqlalchemy.sql import Executable

from server.db.statements import KEPT_PER_BUILDER, by_arity

_ITEMS = table("items", column("id"))


def _counting_builder() -> tuple[list[int], Callable[..., Executable]]:
    calls: list[int] = []

    def build(length: int) -> Executable:
        calls.append(length)
        return select(_ITEMS.c.id).where(_ITEMS.c.id.in_([f"p{i}" for i in range(length)]))

    return calls, by_arity(build)


def test_a_length_asked_again_reuses_its_statement():
    calls, statements = _counting_builder()
    first = statements(3)
    assert statements(3) is first
    assert statements(4) is not first
    assert calls == [3, 4]


def test_a_stream_of_new_lengths_keeps_no_more_than_the_bound():
    calls, statements = _counting_builder()
    for length in range(1, 3 * KEPT_PER_BUILDER + 1):
        statements(length)
    built = len(calls)
    # The last KEPT_PER_BUILDER lengths are kept: asked again, none is built.
    for length in range(2 * KEPT_PER_BUILDER + 1, 3 * KEPT_PER_BUILDER + 1):
        statements(length)
    assert len(calls) == built
    # The one before them was dropped to make room: it is built again.
    statements(2 * KEPT_PER_BUILDER)
    assert len(calls) == built + 1
