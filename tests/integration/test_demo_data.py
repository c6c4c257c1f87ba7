"""Demo data loads on both databases and is usable by the demo logins."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.db.models import (
    Customer,
    Product,
    SalesOrder,
    StockLevel,
    StockReservation,
    User,
)
from server.demo.history import ORDERS_PER_REP, QUOTES_PER_REP, place_demo_day
from server.demo.loader import DemoStatus, load_demo
from server.domain.errors import Conflict
from tests.factories import bearer, login, make_user


async def test_demo_data_loads_once_and_demo_reps_see_their_own_territory(client, db):
    assert await load_demo(db) == DemoStatus.LOADED
    assert await load_demo(db) == DemoStatus.ALREADY_PRESENT
    async with db.read() as unit:
        assert await unit.session.scalar(select(func.count()).select_from(Customer)) >= 300
        assert await unit.session.scalar(select(func.count()).select_from(Product)) >= 400
        roles = dict((await unit.session.execute(select(User.email, User.role))).all())
    assert roles["admin@example.com"] == "admin" and roles["manager@example.com"] == "manager"
    assert {roles[f"rep{i}@example.com"] for i in (1, 2, 3)} == {"rep"}

    admin = bearer(await login(client, "admin@example.com", "demo1234"))
    everyone = (await client.get("/api/customers", headers=admin)).json()["total"]
    totals = []
    for rep in ("rep1", "rep2", "rep3"):
        tokens = bearer(await login(client, f"{rep}@example.com", "demo1234"))
        page = (await client.get("/api/customers", params={"limit": 200}, headers=tokens)).json()
        assert 0 < page["total"] < everyone
        totals.append(page["total"])
        territory_ids = {c["territory_id"] for c in page["items"] if c["status"] != "prospect"}
        assert len(territory_ids) <= 2
    manager = bearer(await login(client, "manager@example.com", "demo1234"))
    assert (await client.get("/api/customers", headers=manager)).json()["total"] > max(totals)


async def test_demo_is_refused_next_to_real_users(db):
    await make_user(db, role="admin", email="real@corp.test")
    with pytest.raises(Conflict):
        await load_demo(db)
    async with db.read() as unit:
        assert await unit.session.scalar(select(func.count()).select_from(Customer)) == 0


async def _count(db, statement) -> int:
    async with db.read() as unit:
        return int(await unit.session.scalar(statement) or 0)


async def test_the_demo_day_leaves_work_on_every_desk(client, db):
    assert await load_demo(db) == DemoStatus.LOADED
    day = await place_demo_day(db)
    assert (day.orders, day.awaiting_approval) == (3 * ORDERS_PER_REP, 5)
    assert day.shipments >= 9 and day.invoices >= 6 and day.payments == 3

    rep1 = bearer(await login(client, "rep1@example.com", "demo1234"))
    mine = (await client.get("/api/orders", params={"limit": 50}, headers=rep1)).json()
    assert mine["total"] == ORDERS_PER_REP
    statuses = sorted((o["status"], o["fulfilment_status"]) for o in mine["items"])
    # Delivered, invoiced and paid: closed. Two shipped (one invoiced), one waiting to be
    # picked, one approved by the manager, one waiting for the manager.
    assert statuses == [
        ("closed", "delivered"),
        ("confirmed", "allocated"),
        ("confirmed", "allocated"),
        ("in_fulfilment", "shipped"),
        ("in_fulfilment", "shipped"),
        ("pending_approval", "unallocated"),
    ]
    quotes = (await client.get("/api/quotes", headers=rep1)).json()
    assert sorted(q["status"] for q in quotes) == ["accepted", "draft", "sent"]
    assert day.quotes == 3 * QUOTES_PER_REP
    # The plan pays on invoiced revenue: what was invoiced is earned, the rest pending.
    earned = (await client.get("/api/commission/me", headers=rep1)).json()
    assert earned["earned_cents"] > 0 and earned["pending_cents"] > 0
    assert earned["quota_cents"] == 2_500_000 and earned["attainment_percent"] not in (None, "0")

    manager = bearer(await login(client, "manager@example.com", "demo1234"))
    waiting = (await client.get("/api/approvals", headers=manager)).json()
    assert len(waiting) == 5
    everyone = (await client.get("/api/orders", params={"limit": 50}, headers=manager)).json()
    assert everyone["total"] == 3 * ORDERS_PER_REP

    admin = bearer(await login(client, "admin@example.com", "demo1234"))
    invoices = (await client.get("/api/invoices", params={"limit": 50}, headers=admin)).json()
    assert invoices["total"] == day.invoices
    by_status = {i["status"] for i in invoices["items"]}
    assert "paid" in by_status and by_status - {"paid"}

    # What the day wrote is what the product writes: every unit allocated is held by an
    # open reservation, and nothing is allocated beyond what is on hand.
    held = (
        select(func.coalesce(func.sum(StockReservation.quantity), 0))
        .where(StockReservation.released_at.is_(None))
        .scalar_subquery()
    )
    assert await _count(db, select(func.sum(StockLevel.allocated))) == await _count(
        db, select(held)
    )
    assert (
        await _count(db, select(func.count()).where(StockLevel.allocated > StockLevel.on_hand)) == 0
    )
    assert await _count(db, select(func.count()).select_from(SalesOrder)) == day.orders

    # Loading again neither reloads the data nor places another day.
    assert await load_demo(db) == DemoStatus.ALREADY_PRESENT
