"""Migrations carry existing data forward, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.db.migrate import upgrade
from tests.conftest import _pg_execute, _pg_url, _unavailable


@pytest.fixture(params=["sqlite", "postgres"])
async def blank_url(request: pytest.FixtureRequest, tmp_path: Path, pg_template: str | None) -> AsyncIterator[str]:
    """A database with no schema yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'blank.db'}"
        return
    if pg_template is None or pg_template.startswith("!"):
        _unavailable("PostgreSQL is not reachable")
    name = f"fs_blank_{uuid.uuid4().hex[:12]}"
    await _pg_execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        await _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _rows(url: str, sql: str, params: dict | None = None) -> list:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params or {})
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_the_change_feed_keeps_its_order_when_its_keys_become_integers(blank_url):
    await upgrade(blank_url, "0004")
    # Three changes of two transactions, keyed by UUIDs in no particular order.
    for key, seq, entity in [("c3", 7, "first"), ("a1", 7, "second"), ("b2", 8, "third")]:
        await _rows(blank_url, "INSERT INTO sync_changes (id, seq, entity_type, entity_id, at) "
                               "VALUES (:id, :seq, 'customer', :entity, '2026-01-01 00:00:00')",
                    {"id": key, "seq": seq, "entity": entity})
    await upgrade(blank_url)
    await _rows(blank_url, "INSERT INTO sync_changes (seq, entity_type, entity_id, at) "
                           "VALUES (9, 'customer', 'fourth', '2026-01-01 00:00:00')")
    rows = await _rows(blank_url, "SELECT id, seq, entity_id FROM sync_changes ORDER BY seq, id")
    # Within a seq, in the order the old keys gave them (the feed's order before).
    assert [(r.seq, r.entity_id) for r in rows] == [(7, "second"), (7, "first"), (8, "third"), (9, "fourth")]
    ids = [r.id for r in rows]
    assert all(isinstance(i, int) for i in ids) and ids == sorted(ids) and len(set(ids)) == 4
