"""Times bound on SQLite's driver path read as SQLAlchemy itself would write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert
from sqlalchemy.dialects import sqlite

from server.db.direct import sqlite_utc_text
from server.db.models import AuditEvent

# What SQLAlchemy binds for a UTCDateTime column on SQLite, as a compiled statement has it.
_SQLALCHEMY = insert(AuditEvent.__table__).compile(dialect=sqlite.dialect())._bind_processors["at"]

TIMES = [
    datetime(2026, 12, 1, 11, 45, 22, 92101, tzinfo=UTC),
    datetime(2026, 12, 1, 11, 45, 22, 0, tzinfo=UTC),  # no microseconds: still written out
    datetime(2026, 3, 29, 1, 30, 0, 5, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-8))),
    datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
]


@pytest.mark.parametrize("value", TIMES)
def test_a_time_is_bound_as_sqlalchemy_binds_it(value):
    assert sqlite_utc_text(value) == _SQLALCHEMY(value)


def test_alternating_times_each_get_their_own_text():
    first, second = TIMES[0], TIMES[2]
    texts = [sqlite_utc_text(t) for t in (first, second, first, first, second)]
    assert texts == [_SQLALCHEMY(t) for t in (first, second, first, first, second)]


def test_a_time_without_a_zone_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        sqlite_utc_text(datetime(2026, 12, 1, 11, 0, 0))
