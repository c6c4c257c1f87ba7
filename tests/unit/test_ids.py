"""Entity ids are random version 4 UUIDs in their canonical form."""

from __future__ import annotations

import uuid

from server.db.types import new_id


def test_new_ids_are_canonical_random_uuids():
    ids = [new_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    for value in ids:
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
