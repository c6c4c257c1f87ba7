"""Demo data loads on both databases and is usable by the demo logins."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.db.models import Customer, Product, User
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
