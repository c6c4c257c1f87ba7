"""Blanket orders and their call-offs: agreed quantities are never exceeded, not even by
call-offs placed at the same moment; prices are the blanket's; cancelling gives back."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from server.db.models import SalesOrderLine
from sync.client import SyncClient
from tests.factories import PASSWORD, World, bearer, login, seed_world
from tests.sales_factories import (
    Catalog,
    add_product,
    count_orders,
    create_customer,
    seed_catalog,
    set_stock,
    stock_of,
)


def _today() -> date:
    # Asked when the test runs, not at import: a run may cross midnight UTC.
    return date.today()


@dataclass
class Shop:
    world: World
    catalog: Catalog
    headers: dict[str, dict[str, str]]
    customer: dict[str, Any]
    widget: str


async def _shop(client: httpx.AsyncClient, db: Any) -> Shop:
    world = await seed_world(db)
    catalog = await seed_catalog(db)
    headers = {
        who: bearer(await login(client, f"{who}@corp.test"))
        for who in ("admin", "manager", "rep1", "rep2")
    }
    widget = await add_product(db, catalog, "WID-1", price_cents=1000, floor_cents=500)
    await set_stock(db, catalog.warehouse_ids[0], widget, 100)
    customer = await create_customer(client, headers["manager"], "Harbor View Bistro")
    return Shop(world, catalog, headers, customer, widget)


async def _blanket(
    client: httpx.AsyncClient,
    shop: Shop,
    *,
    quantity: int = 10,
    discount: str = "5",
    starts: int = -1,
    ends: int = 30,
) -> dict[str, Any]:
    answer = await client.post(
        "/api/orders",
        json={
            "customer_id": shop.customer["id"],
            "order_type": "blanket",
            "valid_from": (_today() + timedelta(days=starts)).isoformat(),
            "valid_to": (_today() + timedelta(days=ends)).isoformat(),
            "lines": [
                {"product_id": shop.widget, "quantity": quantity, "discount_percent": discount}
            ],
        },
        headers=shop.headers["rep1"],
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def _call_off(
    client: httpx.AsyncClient,
    shop: Shop,
    blanket: dict[str, Any],
    quantity: int,
    *,
    who: str = "rep1",
    line_id: str | None = None,
    **extra: Any,
) -> httpx.Response:
    return await client.post(
        f"/api/orders/{blanket['id']}/call-offs",
        json={
            "lines": [
                {"blanket_line_id": line_id or blanket["lines"][0]["id"], "quantity": quantity}
            ],
            **extra,
        },
        headers=shop.headers[who],
    )


async def _detail(client: httpx.AsyncClient, shop: Shop, order_id: str) -> dict[str, Any]:
    answer = await client.get(f"/api/orders/{order_id}", headers=shop.headers["admin"])
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def _released(db: Any) -> int:
    async with db.read() as unit:
        return int(
            await unit.session.scalar(select(func.sum(SalesOrderLine.quantity_released))) or 0
        )


async def test_a_blanket_order_is_priced_like_any_order_and_reserves_no_stock(client, db):
    shop = await _shop(client, db)

    blanket = await _blanket(client, shop)

    assert (blanket["status"], blanket["fulfilment_status"]) == ("confirmed", "unallocated")
    assert blanket["order_type"] == "blanket" and blanket["number"].startswith("SO-")
    assert blanket["lines"][0]["unit_price_cents"] == 1000
    assert blanket["totals"]["net_cents"] == 9500  # 10 x 10.00, 5 % off
    assert blanket["blanket"]["valid_from"] == (_today() - timedelta(days=1)).isoformat()
    assert [(x["agreed"], x["released"], x["remaining"]) for x in blanket["blanket"]["lines"]] == [
        (10, 0, 10)
    ]
    assert [(on_hand, held) for _, on_hand, held in await stock_of(db, shop.widget)] == [(100, 0)]
    body = {
        "customer_id": shop.customer["id"],
        "order_type": "blanket",
        "lines": [{"product_id": shop.widget, "quantity": 1}],
    }
    no_period = await client.post("/api/orders", json=body, headers=shop.headers["rep1"])
    assert (no_period.status_code, no_period.json()["code"]) == (422, "blanket_period_required")
    period_elsewhere = await client.post(
        "/api/orders",
        json={
            **body,
            "order_type": "standard",
            "valid_from": _today().isoformat(),
            "valid_to": _today().isoformat(),
        },
        headers=shop.headers["rep1"],
    )
    assert (period_elsewhere.status_code, period_elsewhere.json()["code"]) == (
        422,
        "period_not_allowed",
    )


async def test_call_offs_up_to_the_agreed_quantity_succeed_and_the_next_one_is_refused(client, db):
    shop = await _shop(client, db)
    blanket = await _blanket(client, shop)

    first = await _call_off(client, shop, blanket, 4, po_number="PO-1")
    second = await _call_off(client, shop, blanket, 6)

    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    call_off = first.json()
    assert call_off["order_type"] == "standard" and call_off["number"] != blanket["number"]
    assert call_off["number"] != second.json()["number"]
    assert call_off["blanket_order_id"] == blanket["id"]
    assert call_off["blanket_order_number"] == blanket["number"]
    assert call_off["lines"][0]["blanket_line_id"] == blanket["lines"][0]["id"]
    assert (call_off["lines"][0]["unit_price_cents"], call_off["discount_percent"]) == (
        1000,
        "5.00",
    )
    assert call_off["status"] == "confirmed" and call_off["fulfilment_status"] == "allocated"
    assert (call_off["rep_id"], call_off["territory_id"]) == (
        blanket["rep_id"],
        blanket["territory_id"],
    )
    assert [(on_hand, held) for _, on_hand, held in await stock_of(db, shop.widget)] == [(100, 10)]
    detail = await _detail(client, shop, blanket["id"])
    assert [(x["released"], x["remaining"]) for x in detail["blanket"]["lines"]] == [(10, 0)]
    assert [c["number"] for c in detail["blanket"]["call_offs"]] == [
        call_off["number"],
        second.json()["number"],
    ]
    orders = await count_orders(db)

    third = await _call_off(client, shop, blanket, 1)

    assert (third.status_code, third.json()["code"]) == (409, "exceeds_blanket_quantity")
    assert "0 left" in third.json()["detail"]
    assert await count_orders(db) == orders and await _released(db) == 10


async def test_refused_call_offs_say_why_and_change_nothing(client, db):
    shop = await _shop(client, db)
    blanket = await _blanket(client, shop)
    planned = await _blanket(client, shop, starts=3, ends=10)
    waiting = await _blanket(client, shop, discount="15")  # above the rep's limit
    assert waiting["status"] == "pending_approval"
    orders = await count_orders(db)

    refusals = {
        "outside_blanket_period": await _call_off(client, shop, planned, 1),
        "blanket_not_confirmed": await _call_off(client, shop, waiting, 1),
        "unknown_blanket_line": await _call_off(
            client, shop, blanket, 1, line_id=planned["lines"][0]["id"]
        ),
        "exceeds_blanket_quantity": await _call_off(client, shop, blanket, 11),
    }
    statuses = {code: (r.status_code, r.json()["code"]) for code, r in refusals.items()}
    assert statuses == {
        "outside_blanket_period": (422, "outside_blanket_period"),
        "blanket_not_confirmed": (409, "blanket_not_confirmed"),
        "unknown_blanket_line": (422, "unknown_blanket_line"),
        "exceeds_blanket_quantity": (409, "exceeds_blanket_quantity"),
    }
    standard = await client.post(
        "/api/orders",
        json={
            "customer_id": shop.customer["id"],
            "lines": [{"product_id": shop.widget, "quantity": 1}],
        },
        headers=shop.headers["rep1"],
    )
    not_blanket = await _call_off(client, shop, standard.json(), 1)
    assert (not_blanket.status_code, not_blanket.json()["code"]) == (422, "not_a_blanket_order")
    other_territory = await _call_off(client, shop, blanket, 1, who="rep2")
    assert other_territory.status_code == 404
    assert await count_orders(db) == orders + 1 and await _released(db) == 0


async def test_concurrent_call_offs_never_release_more_than_agreed(client, db):
    shop = await _shop(client, db)
    blanket = await _blanket(client, shop, quantity=10)

    answers = await asyncio.gather(*(_call_off(client, shop, blanket, 1) for _ in range(14)))

    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 10 + [409] * 4, [a.text for a in answers if a.status_code >= 500]
    assert all(
        a.json()["code"] == "exceeds_blanket_quantity" for a in answers if a.status_code == 409
    )
    assert await _released(db) == 10
    detail = await _detail(client, shop, blanket["id"])
    assert len(detail["blanket"]["call_offs"]) == 10
    assert detail["blanket"]["lines"][0]["remaining"] == 0


async def test_cancelling_a_call_off_gives_its_quantity_back(client, db):
    shop = await _shop(client, db)
    blanket = await _blanket(client, shop)
    call_off = (await _call_off(client, shop, blanket, 10)).json()
    assert (await _call_off(client, shop, blanket, 1)).status_code == 409

    cancelled = await client.post(
        f"/api/orders/{call_off['id']}/cancel",
        json={"reason": "customer changed plans"},
        headers=shop.headers["rep1"],
    )

    assert cancelled.status_code == 200, cancelled.text
    detail = await _detail(client, shop, blanket["id"])
    assert [(x["released"], x["remaining"]) for x in detail["blanket"]["lines"]] == [(0, 10)]
    assert "call_off_returned" in [e["action"] for e in detail["timeline"]]
    assert [(on_hand, held) for _, on_hand, held in await stock_of(db, shop.widget)] == [(100, 0)]
    again = await _call_off(client, shop, blanket, 10)
    assert again.status_code == 201, again.text


async def test_call_offs_keep_the_blankets_prices_after_the_price_list_changes(client, db):
    shop = await _shop(client, db)
    blanket = await _blanket(client, shop)
    repriced = await client.put(
        f"/api/price-lists/{shop.catalog.base_list_id}/items/{shop.widget}",
        json={"unit_price_cents": 2000},
        headers=shop.headers["admin"],
    )
    assert repriced.status_code == 200, repriced.text
    standard = await client.post(
        "/api/orders",
        json={
            "customer_id": shop.customer["id"],
            "lines": [{"product_id": shop.widget, "quantity": 1}],
        },
        headers=shop.headers["rep1"],
    )
    assert standard.json()["lines"][0]["unit_price_cents"] == 2000

    call_off = await _call_off(client, shop, blanket, 2)

    assert call_off.status_code == 201, call_off.text
    line = call_off.json()["lines"][0]
    assert (line["unit_price_cents"], line["discount_percent"], line["net_cents"]) == (
        1000,
        "5.00",
        1900,
    )
    assert line["price_list_version"] == blanket["lines"][0]["price_list_version"]


async def test_a_call_off_with_a_client_id_is_placed_once(client, db):
    shop = await _shop(client, db)
    blanket = await _blanket(client, shop)
    order_id = str(uuid.uuid4())

    first = await _call_off(client, shop, blanket, 2, id=order_id)
    again = await _call_off(client, shop, blanket, 2, id=order_id)

    assert first.status_code == 201 and first.json()["id"] == order_id
    assert (again.status_code, again.json()["code"]) == (409, "order_id_taken")
    assert await _released(db) == 2
    keyed = {**shop.headers["rep1"], "Idempotency-Key": "call-off-1"}
    url = f"/api/orders/{blanket['id']}/call-offs"
    body = {"lines": [{"blanket_line_id": blanket["lines"][0]["id"], "quantity": 3}]}
    replies = [await client.post(url, json=body, headers=keyed) for _ in range(2)]
    assert [r.status_code for r in replies] == [201, 201]
    assert replies[0].json()["number"] == replies[1].json()["number"]
    assert await _released(db) == 5


async def test_the_order_page_shows_the_agreement_and_places_call_offs(client, browser, db):
    shop = await _shop(client, db)
    blanket = await _blanket(client, shop)
    await browser.get("/login")
    logged_in = await browser.post(
        "/login",
        data={
            "email": "rep1@corp.test",
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": browser.cookies.get("fs_csrf") or "",
        },
    )
    assert logged_in.status_code == 303
    line_id = blanket["lines"][0]["id"]

    page = await browser.get(f"/orders/{blanket['id']}")

    assert page.status_code == 200
    assert 'data-testid="blanket-period"' in page.text and f'name="qty-{line_id}"' in page.text
    csrf = browser.cookies.get("fs_csrf") or ""
    too_many = await browser.post(
        f"/orders/{blanket['id']}/call-off", data={"_csrf_token": csrf, f"qty-{line_id}": "11"}
    )
    assert too_many.status_code == 409 and "10 left" in too_many.text
    placed = await browser.post(
        f"/orders/{blanket['id']}/call-off",
        data={"_csrf_token": csrf, f"qty-{line_id}": "4", "po_number": "PO-9"},
    )
    assert placed.status_code == 303
    call_off_page = await browser.get(placed.headers["location"])
    assert (
        blanket["number"] in call_off_page.text and 'data-testid="blanket-of"' in call_off_page.text
    )
    page = await browser.get(f"/orders/{blanket['id']}")
    assert "<td>10</td><td>4</td><td>6</td>" in re.sub(r"\s+", "", page.text)
    assert "No call-offs yet." not in page.text


async def test_the_phone_pulls_blanket_periods_releases_and_call_offs(client, db):
    shop = await _shop(client, db)
    blanket = await _blanket(client, shop)
    call_off = (await _call_off(client, shop, blanket, 3)).json()
    phone = SyncClient(
        http=client, access_token=(await login(client, "rep1@corp.test"))["access_token"]
    )
    await phone.register()

    await phone.pull_all()

    pulled = phone.store["order"][blanket["id"]]
    assert (pulled["valid_from"], pulled["valid_to"]) == (
        blanket["blanket"]["valid_from"],
        blanket["blanket"]["valid_to"],
    )
    assert pulled["lines"][0]["quantity_released"] == 3
    assert [c["number"] for c in pulled["call_offs"]] == [call_off["number"]]
    pulled_call_off = phone.store["order"][call_off["id"]]
    assert pulled_call_off["blanket_order_id"] == blanket["id"]
    assert pulled_call_off["blanket_order_number"] == blanket["number"]
    assert pulled_call_off["lines"][0]["blanket_line_id"] == blanket["lines"][0]["id"]
