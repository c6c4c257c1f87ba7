"""Migrations carry existing data forward, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.db.migrate import upgrade
from tests.conftest import _pg_execute, _pg_url, _unavailable


@pytest.fixture(params=["sqlite", "postgres"])
async def blank_url(
    request: pytest.FixtureRequest, tmp_path: Path, pg_template: str | None
) -> AsyncIterator[str]:
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
        await _rows(
            blank_url,
            "INSERT INTO sync_changes (id, seq, entity_type, entity_id, at) "
            "VALUES (:id, :seq, 'customer', :entity, '2026-01-01 00:00:00')",
            {"id": key, "seq": seq, "entity": entity},
        )
    await upgrade(blank_url)
    await _rows(
        blank_url,
        "INSERT INTO sync_changes (seq, entity_type, entity_id, at) "
        "VALUES (9, 'customer', 'fourth', '2026-01-01 00:00:00')",
    )
    rows = await _rows(blank_url, "SELECT id, seq, entity_id FROM sync_changes ORDER BY seq, id")
    # Within a seq, in the order the old keys gave them (the feed's order before).
    assert [(r.seq, r.entity_id) for r in rows] == [
        (7, "second"),
        (7, "first"),
        (8, "third"),
        (9, "fourth"),
    ]
    ids = [r.id for r in rows]
    assert all(isinstance(i, int) for i in ids) and ids == sorted(ids) and len(set(ids)) == 4


async def test_revisions_frozen_as_drafts_are_recorded_as_sent(backend, db, client):
    from server.db.migrate import downgrade
    from tests.integration.test_quotes_api import _setup

    s = await _setup(client, db)
    rep = s["h"]["rep1"]
    lines = [{"product_id": s["p"]["WID"], "quantity": 2}]
    quote = (
        await client.post(
            "/api/quotes", json={"customer_id": s["customer"]["id"], "lines": lines}, headers=rep
        )
    ).json()
    await client.post(f"/api/quotes/{quote['id']}/send", headers=rep)
    await client.post(f"/api/quotes/{quote['id']}/revise", headers=rep)
    await db.dispose()
    # What the schema before 0006 stored for a sent revision, then the upgrade.
    await downgrade(backend.url, "0005")
    revisions = sa.table("quote_revisions", sa.column("snapshot", sa.JSON()))
    engine = create_async_engine(backend.url)
    try:
        async with engine.begin() as conn:
            stored = (await conn.execute(sa.select(revisions.c.snapshot))).scalars().all()
            assert [s["status"] for s in stored] == ["sent"]
            await conn.execute(revisions.update().values(snapshot={**stored[0], "status": "draft"}))
    finally:
        await engine.dispose()
    await upgrade(backend.url)
    history = (await client.get(f"/api/quotes/{quote['id']}/revisions", headers=rep)).json()
    assert [(r["revision"], r["status"]) for r in history] == [(1, "sent"), (2, "draft")]


async def test_customers_stored_with_a_limit_of_zero_keep_no_limit(backend, db, client):
    from server.db.migrate import downgrade
    from tests.factories import bearer, login, seed_world
    from tests.sales_factories import create_customer

    await seed_world(db)
    manager = bearer(await login(client, "manager@corp.test"))
    unlimited = await create_customer(client, manager, "Old Account Ltd", credit_limit_cents=None)
    limited = await create_customer(client, manager, "Careful Buyer Inc", credit_limit_cents=1234)
    await db.dispose()
    # Before 0009, 0 was the only way to say "no limit".
    await downgrade(backend.url, "0008")
    stored = "SELECT credit_limit_cents FROM customers WHERE id = :id"
    assert await _rows(backend.url, stored, {"id": unlimited["id"]}) == [(0,)]
    await upgrade(backend.url)
    assert await _rows(backend.url, stored, {"id": unlimited["id"]}) == [(None,)]
    assert await _rows(backend.url, stored, {"id": limited["id"]}) == [(1234,)]
    seen = await client.get(f"/api/customers/{unlimited['id']}", headers=manager)
    assert seen.json()["credit_limit_cents"] is None


async def test_orders_and_customers_of_the_field_channel_move_to_phone(backend, db, client):
    from server.db.migrate import downgrade
    from tests.factories import bearer, login, seed_world
    from tests.sales_factories import create_customer

    await seed_world(db)
    manager = bearer(await login(client, "manager@corp.test"))
    customer = await create_customer(client, manager, "Old Channel Ltd")
    await db.dispose()
    await downgrade(backend.url, "0013")
    await _rows(backend.url, "UPDATE customers SET channel = 'field' WHERE id = :id", customer)
    await upgrade(backend.url)
    stored = "SELECT channel FROM customers WHERE id = :id"
    assert await _rows(backend.url, stored, {"id": customer["id"]}) == [("phone",)]
    assert await _rows(backend.url, "SELECT count(*) FROM api_tokens") == [(0,)]


async def test_the_dashboard_sums_are_filled_from_the_orders_already_stored(backend, db, client):
    from server.db.migrate import downgrade
    from tests.billing_factories import open_shop
    from tests.integration.test_dashboard_sums import _kept, _kept_days, _Sales

    shop = await open_shop(client, db)
    sales = _Sales(client, shop, [shop.customer["id"]], seed=18)
    for _ in range(30):
        await sales.step()
    before, before_days = await _kept(db), await _kept_days(db)
    dashboard = (await client.get("/api/dashboard", headers=shop.admin)).json()
    assert sum(f[1] for f in before.values()) > 0
    await db.dispose()
    # The schema before the sums existed, with these orders in it; then the upgrade.
    await downgrade(backend.url, "0019")
    await upgrade(backend.url)

    assert await _kept(db) == before and await _kept_days(db) == before_days
    assert (await client.get("/api/dashboard", headers=shop.admin)).json() == dashboard
