"""Column types shared by every model."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["UTCDateTime", "UUIDString", "new_id", "utcnow"]


def new_id() -> str:
    """A time-ordered (version 7, RFC 9562) UUID as its canonical string.

    The first 48 bits are the Unix time in milliseconds and the rest random, so ids made
    one after another sort one after another: a new row's key lands on the right-hand leaf
    of each b-tree it is indexed in, the page the previous row touched, instead of on a
    random page. Fewer pages change per transaction, and each commit writes fewer pages to
    SQLite's log. Formatted from the bytes directly: about a third of what building a
    `uuid.UUID` costs (an order creates about twenty ids)."""
    h = f"{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"
    return f"{h[:8]}-{h[8:12]}-7{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


# The variant bits (10xx) of the 17th hex digit, for every value it may take.
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UUIDString(TypeDecorator[str]):
    """UUIDs as canonical 36-char strings on every backend.

    Client-generated ids (offline work) arrive as strings; keeping them as strings end to
    end avoids a class of str/UUID comparison bugs between SQLite and asyncpg.
    """

    impl = String(36)
    cache_ok = True


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no timezone type and returns naive values; this normalises on the way in
    and re-attaches UTC on the way out, so the server never handles a naive time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("UTCDateTime needs a timezone-aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
