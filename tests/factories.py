"""Test data builders that go through the product's own services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from server.db.engine import Database
from server.db.models import User
from server.db.types import new_id, utcnow
from server.features.accounts.services import create_user
from server.security.passwords import hash_password

PASSWORD = "correct horse battery"


async def make_user(
    db: Database, *, role: str = "rep", email: str | None = None, name: str | None = None
) -> User:
    email = email or f"{role}-{id(object())}@example.com"
    return await create_user(
        db,
        email=email,
        full_name=name or f"Test {role.title()}",
        role=role,
        password=PASSWORD,
        actor_id=None,
    )


async def add_many_users(db: Database, count: int) -> None:
    """`count` reps (every third deactivated) and a manager, written at once: the list's
    paging is under test here, not how a user is created."""
    password_hash = hash_password(PASSWORD)
    now = utcnow()

    def user(email: str, name: str, role: str, active: bool) -> User:
        return User(
            id=new_id(),
            email=email,
            full_name=name,
            role=role,
            password_hash=password_hash,
            active=active,
            discount_limit_percent=Decimal(10),
            is_demo=False,
            created_at=now,
            updated_at=now,
        )

    async with db.write() as uow:
        uow.session.add_all(
            [
                user(f"rep{n:03d}@field.test", f"Field Rep {n:03d}", "rep", n % 3 != 0)
                for n in range(count)
            ]
        )
        uow.session.add(user("olga@office.test", "Olga 100% Office_Manager", "manager", True))


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return dict(response.json())


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


class World:
    """A small sales organisation: one region, two territories, two reps, a manager."""

    def __init__(self, **ids: Any) -> None:
        self.__dict__.update(ids)


async def seed_world(db: Database) -> World:
    from datetime import date, timedelta

    from server.db.models import Territory, TerritoryAssignment, TerritoryRule

    admin = await make_user(db, role="admin", email="admin@corp.test", name="Ada Admin")
    manager = await make_user(db, role="manager", email="manager@corp.test", name="Max Manager")
    rep1 = await make_user(db, role="rep", email="rep1@corp.test", name="Rita Rep")
    rep2 = await make_user(db, role="rep", email="rep2@corp.test", name="Rob Rep")
    region, north, south, other, default = (new_id() for _ in range(5))
    since = date.today() - timedelta(days=30)
    async with db.write() as uow:
        uow.session.add_all(
            [
                Territory(id=region, parent_id=None, code="WEST", name="West", kind="region"),
                Territory(
                    id=default,
                    parent_id=None,
                    code="UNASSIGNED",
                    name="Unassigned",
                    kind="territory",
                    is_default=True,
                ),
            ]
        )
        await uow.session.flush()
        uow.session.add_all(
            [
                Territory(id=north, parent_id=region, code="NORTH", name="North", kind="territory"),
                Territory(id=south, parent_id=region, code="SOUTH", name="South", kind="territory"),
                Territory(id=other, parent_id=None, code="EAST", name="East", kind="region"),
            ]
        )
        await uow.session.flush()
        uow.session.add_all(
            [
                TerritoryRule(id=new_id(), territory_id=north, country="US", state="WA"),
                TerritoryRule(
                    id=new_id(),
                    territory_id=south,
                    country="US",
                    postal_from="94000",
                    postal_to="95199",
                ),
                TerritoryRule(id=new_id(), territory_id=other, country="US", state="MA"),
                TerritoryAssignment(
                    id=new_id(), territory_id=north, user_id=rep1.id, role="owner", valid_from=since
                ),
                TerritoryAssignment(
                    id=new_id(), territory_id=south, user_id=rep2.id, role="owner", valid_from=since
                ),
                TerritoryAssignment(
                    id=new_id(),
                    territory_id=region,
                    user_id=manager.id,
                    role="manager",
                    valid_from=since,
                ),
            ]
        )
    return World(
        admin=admin,
        manager=manager,
        rep1=rep1,
        rep2=rep2,
        region=region,
        north=north,
        south=south,
        other=other,
        default=default,
    )


def customer_body(
    name: str, *, state: str = "WA", postal: str = "98101", city: str = "Seattle", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "legal_name": name,
        "billing_address": {
            "country": "US",
            "state": state,
            "city": city,
            "postal_code": postal,
            "street": "1 Main St",
        },
        "contacts": [
            {
                "name": "Pat Buyer",
                "role": "Purchasing",
                "email": f"pat@{(name.split() or ['blank'])[0].lower()}.test",
                "phone": f"+1 206 555 {abs(hash(name)) % 10000:04d}",
            }
        ],
    }
    body.update(extra)
    return body
