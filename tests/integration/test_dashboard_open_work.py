"""Open work on the dashboard (approvals waiting, backorders, overdue receivables) is
compared with how it stood when the period began, read back from the orders' timelines
and the invoices' and payments' days."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select, update

from server.db.models import AuditEvent, Invoice, SalesOrder
from tests.billing_factories import open_shop, place, ship
from tests.factories import bearer, login
from tests.integration.test_dashboard import _before, _today
from tests.integration.test_sales_pages import HTMX, _log_in
from tests.sales_factories import add_product, set_stock


async def _happened_last_period(db, order_id: str) -> None:
    """The order and everything on its timeline so far happened in the previous period."""
    last_period = datetime.combine(_before().start + timedelta(days=1), time(12), tzinfo=UTC)
    async with db.write() as uow:
        await uow.session.execute(
            update(SalesOrder).where(SalesOrder.id == order_id).values(placed_at=last_period)
        )
        await uow.session.execute(
            update(AuditEvent).where(AuditEvent.entity_id == order_id).values(at=last_period)
        )


async def _discounted(client, shop, percent: str) -> dict:
    body = {
        "customer_id": shop.customer["id"],
        "lines": [{"product_id": shop.even, "quantity": 2, "discount_percent": percent}],
    }
    answer = await client.post("/api/orders", json=body, headers=shop.rep)
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "pending_approval"
    return dict(answer.json())


async def test_open_work_is_compared_with_how_it_stood_when_the_period_began(client, browser, db):
    shop = await open_shop(client, db)
    manager = bearer(await login(client, "manager@corp.test"))
    # Approvals: two waited when the period began; one was approved since, one still waits.
    still_waiting = await _discounted(client, shop, "15")
    approved_since = await _discounted(client, shop, "20")
    for order in (still_waiting, approved_since):
        await _happened_last_period(db, order["id"])
    approved = await client.post(f"/api/orders/{approved_since['id']}/approve", headers=manager)
    assert approved.status_code == 200, approved.text

    # A backorder then (5 wanted, none in stock), allocated this period when stock came in.
    scarce = await add_product(db, shop.catalog, "SCARCE-1", price_cents=1_000)
    short = await place(client, shop, {scarce: 5})
    assert short["fulfilment_status"] == "backordered"
    await _happened_last_period(db, short["id"])
    receipt = {"warehouse_id": shop.catalog.warehouse_ids[0], "product_id": scarce, "quantity": 5}
    received = await client.post("/api/stock/receipts", json=receipt, headers=shop.admin)
    assert received.status_code == 200, received.text
    await set_stock(db, shop.catalog.warehouse_ids[0], scarce, 5)

    # An invoice that was overdue when the period began and has been paid since.
    sold = await place(client, shop, {shop.odd: 3})  # 9.99 net
    await ship(client, shop, sold, {sold["lines"][0]["id"]: 3})
    invoiced = await client.post(f"/api/orders/{sold['id']}/invoice", headers=shop.admin)
    assert invoiced.status_code == 201, invoiced.text
    async with db.write() as uow:
        # Issued in the previous period and due two days later.
        invoice = await uow.session.scalar(select(Invoice).where(Invoice.order_id == sold["id"]))
        assert invoice is not None
        invoice.issued_on, invoice.due_on = _before().start, _before().start + timedelta(days=2)
        total = invoice.total_cents
    paid = await client.post(
        "/api/payments",
        json={
            "customer_id": shop.customer["id"],
            "amount_cents": total,
            "method": "bank_transfer",
            "reference": "late",
            "received_on": _today().isoformat(),
        },
        headers=shop.admin,
    )
    assert paid.status_code == 201, paid.text

    figures = (await client.get("/api/dashboard", headers=manager)).json()["figures"]
    waiting = figures["approvals_waiting"]
    assert (waiting["count"], waiting["previous_count"]) == (1, 2)
    assert waiting["value_cents"] == still_waiting["totals"]["total_cents"]
    assert waiting["previous_value_cents"] == (
        still_waiting["totals"]["total_cents"] + approved_since["totals"]["total_cents"]
    )
    assert waiting["change_percent"] == "-50.0"
    backorders = figures["backorders"]
    assert (backorders["count"], backorders["previous_count"]) == (0, 1)
    assert backorders["previous_value_cents"] == 5_000
    overdue = figures["overdue_receivables"]
    assert (overdue["count"], overdue["previous_count"]) == (0, 1)
    assert overdue["previous_value_cents"] == total
    assert figures["credit_holds"]["previous_count"] == 0
    # The pipeline is a snapshot of now only.
    assert figures["pipeline"]["previous_count"] is None

    # The previous period, once over, shows its own end: what was open when this began.
    last = await client.get(
        "/api/dashboard",
        params={
            "period": "custom",
            "from": _before().start.isoformat(),
            "to": _before().last_day.isoformat(),
        },
        headers=manager,
    )
    then = last.json()["figures"]
    assert then["approvals_waiting"]["count"] == 2 and then["backorders"]["count"] == 1
    assert then["approvals_waiting"]["previous_count"] == 0

    await _log_in(browser, "manager@corp.test")
    page = await browser.get("/manager/dashboard", headers=HTMX)
    assert "2 when the period began (-50.0&nbsp;%)" in page.text
