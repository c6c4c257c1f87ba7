"""Statements built once per IN-list length, and kept within a bound."""

from __future__ import annotations

from sqlalchemy import column, select, table

from server.db.statements import KEPT_PER_BUILDER, by_arity

_ITEMS = table("items", column("id"))


def _counting_builder() -> tuple[list[int], object]:
    calls: list[int] = []

    def build(length: int) -> object:
        calls.append(length)
        return select(_ITEMS.c.id).where(_ITEMS.c.id.in_([f"p{i}" for i in range(length)]))

    return calls, by_arity(build)


def test_a_length_asked_again_reuses_its_statement():
    calls, statements = _counting_builder()
    first = statements(3)
    assert statements(3) is first
    assert statements(4) is not first
    assert calls == [3, 4]


def test_a_stream_of_new_lengths_keeps_at_most_the_bound_and_the_recent_ones():
    calls, statements = _counting_builder()
    often = statements(1)
    for length in range(2, 3 * KEPT_PER_BUILDER):
        statements(length)
        assert statements(1) is often  # used all along: never dropped
    built_before = len(calls)
    statements(2)  # long unused: dropped, built again
    assert len(calls) == built_before + 1
    statements(3 * KEPT_PER_BUILDER - 1)  # among the most recent: still kept
    assert len(calls) == built_before + 1
