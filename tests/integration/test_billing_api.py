"""Invoices from shipments, payments, credit and credit notes, through the HTTP API."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from server.db.models import AuditEvent, ChangeRecord, Invoice, Payment, SalesOrderLine
from tests.billing_factories import Shop, open_shop, place, ship
from tests.factories import bearer, login
from tests.fulfilment_factories import deliver


def _line(order: dict[str, Any], product_id: str) -> str:
    return next(x["id"] for x in order["lines"] if x["product_id"] == product_id)


async def _order_state(client, shop: Shop, order_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/orders/{order_id}", headers=shop.admin)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _pay(client, shop: Shop, amount: int, **extra: Any):
    body = {
        "customer_id": shop.customer["id"],
        "amount_cents": amount,
        "method": "bank_transfer",
        "reference": "remittance",
        "received_on": date.today().isoformat(),
        **extra,
    }
    return await client.post("/api/payments", json=body, headers=shop.admin)


async def _count(db, model) -> int:
    async with db.read() as unit:
        return int(await unit.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_two_partial_shipments_invoiced_and_paid_in_two_payments(client, db):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.odd: 3, shop.even: 2}, shipping_cents=500)
    odd, even = _line(order, shop.odd), _line(order, shop.even)
    total = order["totals"]["total_cents"]

    first = await ship(client, shop, order, {odd: 1, even: 2})
    invoiced = await client.post(f"/api/shipments/{first}/invoice", headers=shop.admin)
    assert invoiced.status_code == 201, invoiced.text
    one = invoiced.json()
    assert one["invoice"]["number"].startswith("INV-")
    # 3 units for 9.99 net and 1.00 tax: the first unit is a third of each, rounded once.
    odd_line = next(x for x in one["lines"] if x["order_line_id"] == odd)
    assert (odd_line["quantity"], odd_line["net_cents"], odd_line["tax_cents"]) == (1, 333, 33)
    assert one["shipping_cents"] == 500
    assert one["invoice"]["due_on"] == (date.today() + timedelta(days=30)).isoformat()
    assert (await _order_state(client, shop, order["id"]))["billing_status"] == "partially_invoiced"

    second = await ship(client, shop, order, {odd: 2})
    two = (await client.post(f"/api/shipments/{second}/invoice", headers=shop.admin)).json()
    assert two["shipping_cents"] == 0
    assert [(x["quantity"], x["net_cents"], x["tax_cents"]) for x in two["lines"]] == [(2, 666, 67)]
    # The two invoices bill exactly what the order costs.
    assert one["invoice"]["total_cents"] + two["invoice"]["total_cents"] == total
    assert (await _order_state(client, shop, order["id"]))["billing_status"] == "invoiced"
    async with db.read() as unit:
        quantities = dict(
            (
                await unit.session.execute(
                    select(SalesOrderLine.id, SalesOrderLine.quantity_invoiced).where(
                        SalesOrderLine.order_id == order["id"]
                    )
                )
            ).all()
        )
    assert quantities == {odd: 3, even: 2}

    partial = await _pay(client, shop, 1000)
    assert partial.status_code == 201, partial.text
    assert partial.json()["number"].startswith("PAY-")
    assert partial.json()["allocations"] == [
        {"invoice_id": one["invoice"]["id"], "amount_cents": 1000}
    ]
    assert (await _order_state(client, shop, order["id"]))["billing_status"] == "partially_paid"

    final = await _pay(client, shop, total - 1000)
    assert final.json()["unallocated_cents"] == 0
    state = await _order_state(client, shop, order["id"])
    assert state["billing_status"] == "paid"
    actions = [e["action"] for e in state["timeline"]]
    assert actions.count("invoice") == 2 and actions.count("payment") == 2
    listed = await client.get("/api/invoices", params={"status": "paid"}, headers=shop.admin)
    assert listed.json()["total"] == 2
    detail = (await client.get(f"/api/invoices/{one['invoice']['id']}", headers=shop.rep)).json()
    assert detail["invoice"]["balance_cents"] == 0
    assert [p["amount_cents"] for p in detail["payments"]] == [
        1000,
        one["invoice"]["total_cents"] - 1000,
    ]
    async with db.read() as unit:
        touched = await unit.session.scalar(
            select(func.count())
            .select_from(ChangeRecord)
            .where(ChangeRecord.entity_type == "order", ChangeRecord.entity_id == order["id"])
        )
    assert touched and touched >= 5  # placed, two invoices, two payments


async def test_one_invoice_for_every_unbilled_shipment_of_an_order(client, db):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.odd: 3}, shipping_cents=500)
    odd = _line(order, shop.odd)
    for _ in range(3):
        await ship(client, shop, order, {odd: 1})
    invoiced = await client.post(f"/api/orders/{order['id']}/invoice", headers=shop.admin)
    assert invoiced.status_code == 201, invoiced.text
    body = invoiced.json()
    assert len(body["shipments"]) == 3
    assert body["invoice"]["total_cents"] == order["totals"]["total_cents"]
    again = await client.post(f"/api/orders/{order['id']}/invoice", headers=shop.admin)
    assert again.status_code == 422 and again.json()["code"] == "nothing_to_invoice"
    assert await _count(db, Invoice) == 1


async def test_the_invoicing_run_bills_every_order_with_unbilled_shipments(client, db):
    shop = await open_shop(client, db)
    orders = [await place(client, shop, {shop.odd: 3, shop.even: 1}) for _ in range(3)]
    for order in orders[:2]:
        await ship(client, shop, order, {_line(order, shop.odd): 1})
        await ship(client, shop, order, {_line(order, shop.even): 1})
    run = await client.post("/api/invoicing/run", headers=shop.admin)
    assert run.status_code == 200, run.text
    assert run.json()["orders"] == 2 and run.json()["invoices"] == 2
    again = await client.post("/api/invoicing/run", headers=shop.admin)
    assert again.json()["invoices"] == 0
    for order in orders[:2]:
        state = await _order_state(client, shop, order["id"])
        assert state["billing_status"] == "partially_invoiced"


async def test_an_overpayment_is_credit_that_the_next_invoice_takes(client, db):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.even: 2})
    line = _line(order, shop.even)
    first = await ship(client, shop, order, {line: 1})
    one = (await client.post(f"/api/shipments/{first}/invoice", headers=shop.admin)).json()
    owed = one["invoice"]["total_cents"]
    paid = await _pay(client, shop, owed + 1500)
    assert paid.json()["unallocated_cents"] == 1500

    second = await ship(client, shop, order, {line: 1})
    two = (await client.post(f"/api/shipments/{second}/invoice", headers=shop.admin)).json()
    applied = await client.post(
        f"/api/customers/{shop.customer['id']}/apply-credit", headers=shop.admin
    )
    assert applied.status_code == 200, applied.text
    assert applied.json()["applied_cents"] == 1500
    assert applied.json()["credit_left_cents"] == 0
    detail = (await client.get(f"/api/invoices/{two['invoice']['id']}", headers=shop.admin)).json()
    assert detail["invoice"]["balance_cents"] == two["invoice"]["total_cents"] - 1500
    state = await _order_state(client, shop, order["id"])
    assert state["billing_status"] == "partially_paid"


async def test_a_credit_note_reduces_the_balance_and_its_rest_is_credit(client, db):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.odd: 3})
    odd = _line(order, shop.odd)
    shipment = await ship(client, shop, order, {odd: 3})
    invoice = (await client.post(f"/api/shipments/{shipment}/invoice", headers=shop.admin)).json()
    invoice_id, total = invoice["invoice"]["id"], invoice["invoice"]["total_cents"]

    corrected = await client.post(
        f"/api/invoices/{invoice_id}/credit-notes",
        json={"reason": "Agreed 1.00 off", "lines": [{"order_line_id": odd, "amount_cents": 100}]},
        headers=shop.admin,
    )
    assert corrected.status_code == 201, corrected.text
    note = corrected.json()
    assert note["number"].startswith("CN-") and note["kind"] == "price_correction"
    assert (note["net_cents"], note["tax_cents"], note["unapplied_cents"]) == (100, 10, 0)
    detail = (await client.get(f"/api/invoices/{invoice_id}", headers=shop.admin)).json()
    assert detail["invoice"]["balance_cents"] == total - 110
    assert [n["number"] for n in detail["credit_notes"]] == [note["number"]]

    await _pay(client, shop, total - 110)
    assert (await _order_state(client, shop, order["id"]))["billing_status"] == "paid"
    # A unit credited after the invoice is paid: nothing left to reduce, all of it is credit.
    returned = await client.post(
        f"/api/invoices/{invoice_id}/credit-notes",
        json={"reason": "One unit damaged", "lines": [{"order_line_id": odd, "quantity": 1}]},
        headers=shop.admin,
    )
    assert returned.status_code == 201, returned.text
    assert returned.json()["total_cents"] == 333 + 33
    assert returned.json()["unapplied_cents"] == 333 + 33


async def test_refusals_answer_with_a_code_and_change_nothing(client, db):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.even: 1})
    shipment = await ship(client, shop, order, {_line(order, shop.even): 1})
    invoice = (await client.post(f"/api/shipments/{shipment}/invoice", headers=shop.admin)).json()
    invoice_id, total = invoice["invoice"]["id"], invoice["invoice"]["total_cents"]

    twice = await client.post(f"/api/shipments/{shipment}/invoice", headers=shop.admin)
    assert twice.status_code == 409 and twice.json()["code"] == "shipment_already_invoiced"
    as_rep = await client.post(f"/api/orders/{order['id']}/invoice", headers=shop.rep)
    assert as_rep.status_code == 403

    over = await _pay(
        client,
        shop,
        total + 100,
        allocations=[{"invoice_id": invoice_id, "amount_cents": total + 1}],
    )
    assert over.status_code == 422 and over.json()["code"] == "allocation_exceeds_balance"

    stranger = await client.post(
        "/api/customers",
        json={
            "legal_name": "Elsewhere Ltd",
            "status": "active",
            "confirm_new": True,
            "billing_address": {
                "country": "US",
                "state": "WA",
                "city": "Tacoma",
                "postal_code": "98402",
                "street": "9 Dock St",
            },
        },
        headers=shop.admin,
    )
    assert stranger.status_code == 201, stranger.text
    foreign = await client.post(
        "/api/payments",
        json={
            "customer_id": stranger.json()["id"],
            "amount_cents": 100,
            "method": "card",
            "received_on": date.today().isoformat(),
            "allocations": [{"invoice_id": invoice_id, "amount_cents": 100}],
        },
        headers=shop.admin,
    )
    assert foreign.status_code == 422 and foreign.json()["code"] == "invoice_not_open"
    too_much = await client.post(
        f"/api/invoices/{invoice_id}/credit-notes",
        json={
            "reason": "typo",
            "lines": [{"order_line_id": _line(order, shop.even), "quantity": 2}],
        },
        headers=shop.admin,
    )
    assert too_much.status_code == 422 and too_much.json()["code"] == "quantity_out_of_range"
    assert await _count(db, Payment) == 0
    assert await _count(db, Invoice) == 1
    detail = (await client.get(f"/api/invoices/{invoice_id}", headers=shop.admin)).json()
    assert detail["invoice"]["balance_cents"] == total and detail["credit_notes"] == []

    other_rep = bearer(await login(client, "rep2@corp.test"))
    hidden = await client.get(f"/api/invoices/{invoice_id}", headers=other_rep)
    assert hidden.status_code == 404 and hidden.json()["code"] == "invoice_not_found"
    listed = await client.get("/api/invoices", headers=other_rep)
    assert listed.json()["total"] == 0


async def test_two_invoicing_requests_at_once_never_bill_more_than_shipped(client, db):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.odd: 3})
    odd = _line(order, shop.odd)
    await ship(client, shop, order, {odd: 2})
    answers = await asyncio.gather(
        client.post(f"/api/orders/{order['id']}/invoice", headers=shop.admin),
        client.post(f"/api/orders/{order['id']}/invoice", headers=shop.admin),
    )
    assert sorted(a.status_code for a in answers) == [201, 422], [a.text for a in answers]
    async with db.read() as unit:
        invoiced = await unit.session.scalar(
            select(SalesOrderLine.quantity_invoiced).where(SalesOrderLine.id == odd)
        )
        events = await unit.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity_id == order["id"], AuditEvent.action == "invoice")
        )
    assert invoiced == 2 and events == 1
    assert await _count(db, Invoice) == 1


async def test_a_delivered_order_closes_when_it_is_paid(client, db):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.odd: 3})
    shipment = await ship(client, shop, order, {_line(order, shop.odd): 3})
    await deliver(client, shop.admin, shipment)
    assert (await _order_state(client, shop, order["id"]))["status"] == "completed"
    invoice = (await client.post(f"/api/shipments/{shipment}/invoice", headers=shop.admin)).json()
    await _pay(client, shop, invoice["invoice"]["total_cents"])
    state = await _order_state(client, shop, order["id"])
    assert (state["status"], state["billing_status"]) == ("closed", "paid")
    assert [e["action"] for e in state["timeline"]][-2:] == ["payment", "close"]


async def test_an_unpaid_invoice_holds_the_next_order_until_it_is_paid(client, db):
    # Limit 30.00: one order of 21.98 fits, but not while its invoice is unpaid too.
    shop = await open_shop(client, db, credit_limit_cents=3000)
    first = await place(client, shop, {shop.odd: 6})
    assert first["status"] == "confirmed"
    shipment = await ship(client, shop, first, {_line(first, shop.odd): 6})
    invoice = (await client.post(f"/api/shipments/{shipment}/invoice", headers=shop.admin)).json()
    # Invoiced, the order no longer counts as open; its unpaid invoice does instead.
    held = await place(client, shop, {shop.odd: 3})
    assert held["status"] == "credit_hold"
    assert [r["code"] for r in held["approval_reasons"]] == ["credit_limit_exceeded"]

    await _pay(client, shop, invoice["invoice"]["total_cents"])
    through = await place(client, shop, {shop.odd: 3})
    assert through["status"] == "confirmed"


async def test_a_return_is_credited_at_the_invoiced_amounts_and_its_credit_is_spent_later(
    client, db
):
    from server.features.billing.credit_notes import CreditRequest, issue_credit_note

    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.odd: 3})
    odd = _line(order, shop.odd)
    first = await ship(client, shop, order, {odd: 3})
    invoice = (await client.post(f"/api/shipments/{first}/invoice", headers=shop.admin)).json()
    await _pay(client, shop, invoice["invoice"]["total_cents"])
    async with db.write() as uow:
        returned = await issue_credit_note(
            uow,
            shop.world.admin.id,
            invoice_id=invoice["invoice"]["id"],
            kind="return",
            reason="Two units returned",
            lines=[CreditRequest(odd, quantity=1), CreditRequest(odd, quantity=1)],
        )
    # Units 1 and 2 of 3 at the invoiced 9.99 net and 1.00 tax: 3.33 + 3.33, 0.33 + 0.34.
    assert [(x.net_cents, x.tax_cents) for x in returned.lines] == [(333, 33), (333, 34)]
    assert returned.note.unapplied_cents == 733 and returned.applied_cents == 0

    second_order = await place(client, shop, {shop.even: 1})
    shipped = await ship(client, shop, second_order, {_line(second_order, shop.even): 1})
    next_invoice = (
        await client.post(f"/api/shipments/{shipped}/invoice", headers=shop.admin)
    ).json()
    applied = await client.post(
        f"/api/customers/{shop.customer['id']}/apply-credit", headers=shop.admin
    )
    assert applied.json()["applied_cents"] == 733
    detail = (
        await client.get(f"/api/invoices/{next_invoice['invoice']['id']}", headers=shop.admin)
    ).json()
    assert detail["invoice"]["credited_cents"] == 733
    assert detail["invoice"]["balance_cents"] == next_invoice["invoice"]["total_cents"] - 733
