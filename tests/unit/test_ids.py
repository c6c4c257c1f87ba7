"""Entity ids are time-ordered version 7 UUIDs in their canonical form."""

from __future__ import annotations

import time
import uuid

from server.db.types import new_id


def test_new_ids_are_canonical_unique_version_7_uuids():
    ids = [new_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    for value in ids:
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122


def test_new_ids_carry_the_current_time_and_sort_in_the_order_they_were_made():
    before = time.time_ns() // 1_000_000
    first = new_id()
    time.sleep(0.002)
    second = new_id()
    after = time.time_ns() // 1_000_000
    assert first < second  # as strings, the way every index compares them
    millis = uuid.UUID(first).int >> 80
    assert before <= millis <= after
