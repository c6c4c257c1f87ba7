"""A new customer's credit: a configured default limit, and "no limit" only when chosen."""

from __future__ import annotations

import pytest

from server.app import create_app
from tests.factories import bearer, customer_body, login, seed_world
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock, stock_of

DEFAULT_LIMIT = 50_000


@pytest.fixture
def app(backend, db):
    return create_app(backend.settings(default_credit_limit_cents=DEFAULT_LIMIT), db)


async def _shop(client, db):
    await seed_world(db)
    catalog = await seed_catalog(db)
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    await set_stock(db, catalog.warehouse_ids[0], widget, 1_000_000)
    rep = bearer(await login(client, "rep1@corp.test"))
    manager = bearer(await login(client, "manager@corp.test"))
    return catalog, widget, rep, manager


def _order(customer_id: str, widget: str, quantity: int) -> dict:
    return {"customer_id": customer_id, "lines": [{"product_id": widget, "quantity": quantity}]}


async def test_onboarding_gives_a_new_customer_the_default_credit_limit(client, db):
    catalog, widget, rep, _ = await _shop(client, db)
    customer = await create_customer(client, rep, "Fresh Start Deli")
    assert customer["credit_limit_cents"] == DEFAULT_LIMIT

    huge = await client.post(
        "/api/orders", json=_order(customer["id"], widget, 900_000), headers=rep
    )
    assert huge.status_code == 201, huge.text
    assert huge.json()["status"] == "credit_hold"
    assert [r["code"] for r in huge.json()["approval_reasons"]] == ["credit_limit_exceeded"]
    assert await stock_of(db, widget) == [(catalog.warehouse_ids[0], 1_000_000, 0)]
    small = await client.post("/api/orders", json=_order(customer["id"], widget, 4), headers=rep)
    assert small.json()["status"] == "confirmed"


async def test_onboarding_from_the_phone_gives_the_default_credit_limit(client, db):
    from sync.client import SyncClient

    _, widget, rep, _ = await _shop(client, db)
    phone = SyncClient(http=client, access_token=rep["Authorization"].split()[1])
    await phone.register()
    created = phone.enqueue(
        "customer.create",
        {**customer_body("Offline Onboarded Cafe"), "status": "active", "confirm_new": True},
    )
    placed = phone.enqueue("order.place", _order(created.entity_id, widget, 900_000))
    await phone.push()
    assert created.outcome["status"] == "accepted", created.outcome
    assert placed.outcome["status"] == "needs_approval", placed.outcome
    seen = await client.get(f"/api/customers/{created.entity_id}", headers=rep)
    assert seen.json()["credit_limit_cents"] == DEFAULT_LIMIT


async def test_no_credit_limit_is_a_managers_explicit_choice(client, db):
    _, widget, rep, manager = await _shop(client, db)
    body = {
        **customer_body("Trusted Wholesale"),
        "status": "active",
        "confirm_new": True,
        "credit_limit_cents": None,
    }
    refused = await client.post("/api/customers", json=body, headers=rep)
    assert refused.status_code == 403 and refused.json()["code"] == "field_not_allowed"
    created = await client.post("/api/customers", json=body, headers=manager)
    assert created.status_code == 201, created.text
    assert created.json()["credit_limit_cents"] is None
    huge = await client.post(
        "/api/orders", json=_order(created.json()["id"], widget, 900_000), headers=rep
    )
    assert huge.json()["status"] == "confirmed"


async def test_a_credit_limit_of_zero_holds_every_order(client, db):
    _, widget, rep, manager = await _shop(client, db)
    customer = await create_customer(client, manager, "Cash Only Corner", credit_limit_cents=0)
    assert customer["credit_limit_cents"] == 0
    order = await client.post("/api/orders", json=_order(customer["id"], widget, 1), headers=rep)
    assert order.json()["status"] == "credit_hold"


async def test_the_phone_is_told_the_default_credit_limit(client, db):
    _, _, rep, _ = await _shop(client, db)
    me = await client.get("/api/auth/me", headers=rep)
    assert me.json()["default_credit_limit_cents"] == DEFAULT_LIMIT


async def test_imported_customers_get_the_default_limit_unless_the_file_says_none(client, db):
    await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    csv = (
        "legal_name,credit_limit,country,state,postal_code\n"
        "Blank Limit Co,,US,WA,98101\n"
        "No Limit Co,none,US,WA,98101\n"
        "Set Limit Co,12.50,US,WA,98101\n"
    )
    answer = await client.post(
        "/api/imports/customers",
        content=csv.encode(),
        headers={**admin, "content-type": "text/csv"},
    )
    assert answer.status_code in (200, 201), answer.text
    found = (await client.get("/api/customers", params={"limit": 10}, headers=admin)).json()[
        "items"
    ]
    limits = {}
    for item in found:
        detail = (await client.get(f"/api/customers/{item['id']}", headers=admin)).json()
        limits[detail["legal_name"]] = detail["credit_limit_cents"]
    assert limits == {"Blank Limit Co": DEFAULT_LIMIT, "No Limit Co": None, "Set Limit Co": 1250}
