"""The in-memory copy of the reference data never prices or scopes an order on stale data.

Every process keeps territories, tax rates and price list headers in memory; database
triggers change a token on every write to those tables, whoever writes. These tests write
the way the cache cannot see: through another connection (another process's view), by
plain SQL, and in a transaction that is then rolled back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text, update

from server.db.engine import Database
from server.db.models import TaxRate, Territory
from server.features.catalog.prices import load_price_context
from server.features.shared.reference_data import reference_data
from tests.factories import bearer, login, seed_world
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock


async def _order_tax(client, headers, customer_id: str, product_id: str) -> int:
    response = await client.post(
        "/api/orders",
        json={
            "customer_id": customer_id,
            "lines": [{"product_id": product_id, "quantity": 1}],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["totals"]["tax_cents"])


async def _widget_shop(client, db, *, tax_rate: str) -> tuple[dict[str, str], str, dict]:
    """A manager's headers, a widget at 100.00 on the base list with stock, a customer."""
    await seed_world(db)
    catalog = await seed_catalog(db, tax_rate=tax_rate)
    headers = bearer(await login(client, "manager@corp.test"))
    widget = await add_product(db, catalog, "WID-1", price_cents=10000)
    await set_stock(db, catalog.warehouse_ids[0], widget, 50)
    customer = await create_customer(client, headers, "Harbor View Bistro")
    return headers, widget, customer


async def test_a_tax_rate_changed_by_another_process_prices_the_next_order(client, db, backend):
    # given: an order priced at 10 % tax, so this process holds the reference data
    headers, widget, customer = await _widget_shop(client, db, tax_rate="0.10")
    assert await _order_tax(client, headers, customer["id"], widget) == 1000
    # when: another process (its own engine) changes the rate with plain SQL
    other = Database(backend.url)
    try:
        async with other.write() as uow:
            await uow.session.execute(text("UPDATE tax_rates SET rate = 0.2 WHERE state = 'WA'"))
    finally:
        await other.dispose()
    # then: the next order is taxed at the new rate
    assert await _order_tax(client, headers, customer["id"], widget) == 2000


async def test_a_rolled_back_change_is_not_kept(db):
    # given: the copy loaded at the committed state
    await seed_world(db)
    await seed_catalog(db, tax_rate="0.10")
    async with db.read() as unit:
        assert [r.rate for r in (await reference_data(unit.session)).tax_rates] == [Decimal("0.10")]
    # when: a transaction changes the rate, reads the reference data (and so loads its own
    # uncommitted view), then fails
    with pytest.raises(RuntimeError):
        async with db.write() as uow:
            await uow.session.execute(update(TaxRate).values(rate=Decimal("0.30")))
            seen = await reference_data(uow.session)
            assert [r.rate for r in seen.tax_rates] == [Decimal("0.30")]
            raise RuntimeError("the request failed")
    # then: the next transaction sees the committed rate again
    async with db.read() as unit:
        assert [r.rate for r in (await reference_data(unit.session)).tax_rates] == [Decimal("0.10")]


async def test_a_renamed_territory_is_what_the_next_order_snapshots(client, db):
    await seed_world(db)
    catalog = await seed_catalog(db)
    headers = bearer(await login(client, "manager@corp.test"))
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    customer = await create_customer(client, headers, "Harbor View Bistro")
    body = {"customer_id": customer["id"], "lines": [{"product_id": widget, "quantity": 1}]}
    first = await client.post("/api/orders", json=body, headers=headers)
    assert first.status_code == 201, first.text
    async with db.write() as uow:
        await uow.session.execute(
            update(Territory)
            .where(Territory.id == first.json()["territory_id"])
            .values(name="North Coast")
        )
    second = await client.post("/api/orders", json=body, headers=headers)
    assert second.status_code == 201, second.text
    assert first.json()["territory_name"] != "North Coast"
    assert second.json()["territory_name"] == "North Coast"


async def _listed_price(client, headers, sku: str) -> dict | None:
    response = await client.get(f"/api/products?q={sku}", headers=headers)
    assert response.status_code == 200, response.text
    (item,) = response.json()["items"]
    return item["price"]


async def test_price_items_changed_by_another_process_price_the_next_listing_and_order(
    client, db, backend
):
    # given: a listing and an order priced the widget, so this process holds its items
    headers, widget, customer = await _widget_shop(client, db, tax_rate="0")
    assert (await _listed_price(client, headers, "WID-1"))["unit_price_cents"] == 10000
    body = {"customer_id": customer["id"], "lines": [{"product_id": widget, "quantity": 1}]}
    first = await client.post("/api/orders", json=body, headers=headers)
    assert first.json()["totals"]["subtotal_cents"] == 10000
    # when: another process changes the item's price and adds a volume break, by plain SQL
    other = Database(backend.url)
    try:
        async with other.write() as uow:
            await uow.session.execute(
                text("UPDATE price_list_items SET unit_price_cents = 9000 WHERE product_id = :p"),
                {"p": widget},
            )
            await uow.session.execute(
                text(
                    "INSERT INTO price_breaks (id, item_id, min_qty, unit_price_cents) "
                    "SELECT 'b-wid-10', id, 10, 8000 FROM price_list_items WHERE product_id = :p"
                ),
                {"p": widget},
            )
    finally:
        await other.dispose()
    # then: the listing shows the new price and its break, and the next order pays them
    price = await _listed_price(client, headers, "WID-1")
    assert price["unit_price_cents"] == 9000
    assert price["breaks"] == [{"min_qty": 10, "unit_price_cents": 8000}]
    second = await client.post("/api/orders", json=body, headers=headers)
    assert second.json()["totals"]["subtotal_cents"] == 9000
    # when: the item is removed from its list, by plain SQL
    async with db.write() as uow:
        await uow.session.execute(text("DELETE FROM price_breaks"))
        await uow.session.execute(
            text("DELETE FROM price_list_items WHERE product_id = :p"), {"p": widget}
        )
    # then: the listing shows it unpriced, and an order of it is refused
    assert await _listed_price(client, headers, "WID-1") is None
    refused = await client.post("/api/orders", json=body, headers=headers)
    assert refused.status_code == 422, refused.text
    assert "no_price" in refused.text


async def test_prices_a_transaction_changed_after_taking_the_copy_are_not_kept(client, db):
    # given: the copy taken by a transaction before it changes a price
    headers, widget, _ = await _widget_shop(client, db, tax_rate="0")
    with pytest.raises(RuntimeError):
        async with db.write() as uow:
            copy = await reference_data(uow.session)
            await uow.session.execute(
                text("UPDATE price_list_items SET unit_price_cents = 9000 WHERE product_id = :p"),
                {"p": widget},
            )
            # when: it prices the product with that copy (its own change shows), then fails
            context = await load_price_context(uow.session, None, [widget], reference=copy)
            assert context.quote(widget, 1, date.today()).unit_price_cents == 9000
            assert context.listed_price(widget, 1, date.today()).unit_price_cents == 9000
            raise RuntimeError("the request failed")
    # then: the price that was never committed is not what the next listing shows
    assert (await _listed_price(client, headers, "WID-1"))["unit_price_cents"] == 10000
