"""Integration users with API tokens: orders on the api channel, scopes, revocation,
expiry, hashed storage, and the order export for accounting tools."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from server.db.models import ApiToken, SalesOrder, User
from server.domain.api_tokens import SCOPES
from tests.factories import bearer, login, seed_world
from tests.integration.test_back_office_pages import _log_in as log_in
from tests.sales_factories import (
    add_product,
    count_orders,
    create_customer,
    seed_catalog,
    set_stock,
)


async def _setup(client, db) -> dict[str, Any]:
    await seed_world(db)
    catalog = await seed_catalog(db)
    admin = bearer(await login(client, "admin@corp.test"))
    rep = bearer(await login(client, "rep1@corp.test"))
    widget = await add_product(db, catalog, "WID-1", price_cents=1000, floor_cents=500)
    await set_stock(db, catalog.warehouse_ids[0], widget, 100)
    customer = await create_customer(client, admin, "Harbor View Bistro")
    return {"admin": admin, "rep": rep, "widget": widget, "customer": customer}


async def _token(client, admin, *scopes: str, **extra: Any) -> dict[str, Any]:
    answer = await client.post(
        "/api/integrations",
        json={"name": "Accounting bridge", "scopes": list(scopes), **extra},
        headers=admin,
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _order(s: dict[str, Any], quantity: int = 3) -> dict[str, Any]:
    return {
        "customer_id": s["customer"]["id"],
        "lines": [{"product_id": s["widget"], "quantity": quantity, "discount_percent": "0"}],
        "shipping_cents": 500,
    }


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_api_token_places_an_order_on_the_api_channel(client, db):
    s = await _setup(client, db)
    created = await _token(client, s["admin"], "orders:read", "orders:write")
    token = created["token"]
    assert token.startswith("fs_live_") and created["integration"]["state"] == "active"

    placed = await client.post("/api/orders", json=_order(s), headers=_auth(token))
    assert placed.status_code == 201, placed.text
    order = placed.json()
    # The same pricing and allocation as a rep's order: 3 x 10.00 + 10 % tax + 5.00.
    assert order["channel"] == "api" and order["status"] == "confirmed"
    assert order["totals"]["total_cents"] == 3800
    assert order["lines"][0]["quantity_allocated"] == 3

    shown = await client.get(f"/api/orders/{order['id']}", headers=_auth(token))
    assert shown.status_code == 200 and shown.json()["channel"] == "api"
    # A rep's order through the JSON API (the app still sends "field") is on the phone.
    by_rep = await client.post("/api/orders", json=_order(s, 1), headers=s["rep"])
    assert by_rep.json()["channel"] == "phone"
    listed = await client.get("/api/orders?channel=api", headers=s["admin"])
    assert [o["id"] for o in listed.json()["items"]] == [order["id"]]
    assert listed.json()["items"][0]["channel"] == "api"
    page = await client.get(f"/orders/{order['id']}", headers=s["admin"])
    assert page.status_code == 200 and "<dd>api</dd>" in page.text
    api_page = await client.get("/orders?channel=api", headers=s["admin"])
    assert order["number"] in api_page.text and by_rep.json()["number"] not in api_page.text
    phone_page = await client.get("/orders?channel=phone", headers=s["admin"])
    assert order["number"] not in phone_page.text and by_rep.json()["number"] in phone_page.text

    async with db.read() as unit:
        row = (await unit.session.execute(select(ApiToken))).scalar_one()
        user = await unit.session.get(User, row.user_id)
    assert user is not None and user.role == "integration"
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = " ".join(str(v) for v in (row.token_hash, row.prefix, row.scopes, row.name))
    assert token not in stored and token[len("fs_live_") :] not in stored
    assert row.last_used_at is not None
    listing = await client.get("/api/integrations", headers=s["admin"])
    assert token not in listing.text and listing.json()[0]["scopes"] == [
        "orders:read",
        "orders:write",
    ]


async def test_edi_token_orders_carry_the_edi_channel(client, db):
    s = await _setup(client, db)
    token = (await _token(client, s["admin"], "orders:write", channel="edi"))["token"]
    placed = await client.post("/api/orders", json=_order(s), headers=_auth(token))
    assert placed.status_code == 201 and placed.json()["channel"] == "edi"


async def test_token_without_orders_write_gets_403_and_changes_nothing(client, db):
    s = await _setup(client, db)
    token = (await _token(client, s["admin"], "orders:read", "customers:read"))["token"]
    before = await count_orders(db)
    refused = await client.post("/api/orders", json=_order(s), headers=_auth(token))
    assert refused.status_code == 403
    assert refused.json()["code"] == "token_scope_missing"
    assert await count_orders(db) == before
    # Reads it has; routes that name no scope stay closed, admin ones too.
    assert (await client.get("/api/customers", headers=_auth(token))).status_code == 200
    closed = await client.get("/api/territories", headers=_auth(token))
    assert closed.status_code == 403 and closed.json()["code"] == "token_route_closed"
    admin_only = await client.get("/api/integrations", headers=_auth(token))
    assert admin_only.status_code == 403
    assert (await client.get("/api/products", headers=_auth(token))).status_code == 403


async def test_revoked_or_expired_token_gets_401(client, db):
    s = await _setup(client, db)
    revoked = await _token(client, s["admin"], "orders:read")
    expiring = await _token(client, s["admin"], "orders:read")
    assert (await client.get("/api/orders", headers=_auth(revoked["token"]))).status_code == 200

    answer = await client.post(
        f"/api/integrations/{revoked['integration']['id']}/revoke", headers=s["admin"]
    )
    assert answer.status_code == 200 and answer.json()["state"] == "revoked"
    async with db.write() as uow:
        await uow.session.execute(
            update(ApiToken)
            .where(ApiToken.id == expiring["integration"]["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    for token in (revoked["token"], expiring["token"], "fs_live_not-a-token"):
        refused = await client.get("/api/orders", headers=_auth(token))
        assert refused.status_code == 401, token


async def test_integration_user_cannot_sign_in_with_a_password(client, db):
    s = await _setup(client, db)
    created = await _token(client, s["admin"], "orders:read")
    async with db.read() as unit:
        user = await unit.session.get(User, created["integration"]["user_id"])
    assert user is not None
    answer = await client.post("/api/auth/login", json={"email": user.email, "password": "!"})
    assert answer.status_code == 401


async def test_export_holds_exactly_the_orders_in_range_with_their_totals(client, db):
    s = await _setup(client, db)
    ids = []
    for quantity in (1, 2, 3):
        placed = await client.post("/api/orders", json=_order(s, quantity), headers=s["rep"])
        assert placed.status_code == 201, placed.text
        ids.append(placed.json()["id"])
    days = {ids[0]: datetime(2026, 3, 1, 23, 59, tzinfo=UTC)}
    days[ids[1]] = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    days[ids[2]] = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    async with db.write() as uow:
        for order_id, when in days.items():
            await uow.session.execute(
                update(SalesOrder).where(SalesOrder.id == order_id).values(placed_at=when)
            )
    reader = (await _token(client, s["admin"], "orders:read"))["token"]
    url = "/api/orders/export?from=2026-03-01&to=2026-03-02"

    as_json = await client.get(url.replace("export?", "export.json?"), headers=_auth(reader))
    assert as_json.status_code == 200, as_json.text
    body = as_json.json()
    assert (body["from"], body["to"]) == ("2026-03-01", "2026-03-02")
    assert [o["id"] for o in body["orders"]] == ids[:2]
    first = body["orders"][0]
    # 1 x 10.00, 10 % tax, 5.00 shipping.
    assert (first["subtotal"], first["tax"], first["shipping"], first["total"]) == (
        "10.00",
        "1.00",
        "5.00",
        "16.00",
    )
    assert first["currency"] == "USD" and first["placed_at"] == "2026-03-01T23:59:00+00:00"
    assert body["orders"][1]["total"] == "27.00" and first["channel"] == "phone"

    as_csv = await client.get(url, headers=s["admin"])
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["id"] for r in rows] == ids[:2]
    assert [r["total"] for r in rows] == ["16.00", "27.00"]

    writer = (await _token(client, s["admin"], "orders:write"))["token"]
    assert (await client.get(url, headers=_auth(writer))).status_code == 403
    assert (await client.get(url, headers=s["rep"])).status_code == 403
    backwards = await client.get(
        "/api/orders/export?from=2026-03-02&to=2026-03-01", headers=s["admin"]
    )
    assert backwards.status_code == 422 and backwards.json()["code"] == "invalid_range"


async def test_export_neutralises_formulas_in_customer_names(client, db):
    s = await _setup(client, db)
    formula = await create_customer(client, s["admin"], '=HYPERLINK("http://x.test")')
    body = _order(s)
    body["customer_id"] = formula["id"]
    assert (await client.post("/api/orders", json=body, headers=s["admin"])).status_code == 201
    today = datetime.now(UTC).date().isoformat()
    answer = await client.get(f"/api/orders/export?from={today}&to={today}", headers=s["admin"])
    names = [r["customer_name"] for r in csv.DictReader(io.StringIO(answer.text))]
    assert names == ['\'=HYPERLINK("http://x.test")']


async def test_admin_page_creates_a_token_shown_once_and_revokes_it(client, browser, db):
    s = await _setup(client, db)
    await log_in(browser, "admin@corp.test")
    page = await browser.get("/admin/integrations")
    # Every scope is offered, with what it opens.
    for scope, opens in SCOPES.items():
        assert f'value="{scope}"' in page.text and opens in page.text, scope
    form = {"_csrf_token": browser.cookies.get("fs_csrf") or "", "name": "EDI <bridge>"}
    created = await browser.post(
        "/admin/integrations",
        data={**form, "scopes": ["orders:read", "orders:write", "quotes:write"], "channel": "edi"},
    )
    assert created.status_code == 201, created.text
    match = re.search(r'data-testid="token">(fs_live_[A-Za-z0-9_-]+)<', created.text)
    assert match is not None and "EDI &lt;bridge&gt;" in created.text
    token = match.group(1)
    assert created.headers["cache-control"] == "no-store"
    placed = await client.post("/api/orders", json=_order(s), headers=_auth(token))
    assert placed.json()["channel"] == "edi"

    listed = await browser.get("/admin/integrations")
    assert token not in listed.text and token[:12] in listed.text
    assert "quotes:write" in listed.text
    [row] = (await client.get("/api/integrations", headers=s["admin"])).json()
    revoked = await browser.post(
        f"/admin/integrations/{row['id']}/revoke",
        data={"_csrf_token": browser.cookies.get("fs_csrf") or ""},
    )
    assert revoked.status_code == 303
    assert (await client.get("/api/orders", headers=_auth(token))).status_code == 401


async def test_creating_a_token_refuses_bad_scopes_and_expiries(client, db):
    s = await _setup(client, db)
    cases = [
        ({"scopes": ["orders:delete"]}, 400),
        ({"scopes": []}, 400),
        ({"scopes": ["orders:read"], "expires_at": "2030-01-01T00:00:00"}, 400),
        ({"scopes": ["orders:read"], "expires_at": "2020-01-01T00:00:00Z"}, 422),
        ({"scopes": ["orders:read"], "channel": "phone"}, 400),
    ]
    for body, status in cases:
        answer = await client.post(
            "/api/integrations", json={"name": "Bad", **body}, headers=s["admin"]
        )
        assert answer.status_code == status, (body, answer.text)
    assert (await client.get("/api/integrations", headers=s["admin"])).json() == []
    assert (
        await client.post(
            "/api/integrations", json={"name": "X", "scopes": ["orders:read"]}, headers=s["rep"]
        )
    ).status_code == 403
