"""The transactional outbox: events written with the change they tell about, fanned out and
delivered by the worker, surviving a restart between commit and delivery."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from server.db.engine import Database
from server.db.models import EmailMessage, OutboxMessage
from server.features.notifications.worker import OutboxWorker
from tests.factories import bearer, login, seed_world
from tests.fulfilment_factories import deliver, place, ship
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock


async def world(client: Any, db: Database) -> dict[str, Any]:
    await seed_world(db)
    catalog = await seed_catalog(db)
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    await set_stock(db, catalog.warehouse_ids[0], widget, 10)
    manager = bearer(await login(client, "manager@corp.test"))
    admin = bearer(await login(client, "admin@corp.test"))
    customer = await create_customer(client, manager, "Harbor <View> & Bistro")
    return {
        "w1": catalog.warehouse_ids[0],
        "widget": widget,
        "manager": manager,
        "admin": admin,
        "customer": customer["id"],
    }


async def drain(worker: OutboxWorker) -> None:
    while await worker.run_once():
        pass


async def messages(db: Database) -> list[OutboxMessage]:
    async with db.read() as unit:
        query = select(OutboxMessage).order_by(OutboxMessage.created_at, OutboxMessage.id)
        return list((await unit.session.scalars(query)).all())


async def events(db: Database) -> list[tuple[str, str]]:
    return [(m.event_type, m.status) for m in await messages(db) if m.destination is None]


async def test_placing_and_shipping_an_order_write_their_events_with_the_change(client, db):
    w = await world(client, db)
    order = await place(client, w["manager"], w["customer"], [(w["widget"], 12)])
    assert order["status"] == "confirmed"
    assert await events(db) == [("order.confirmed", "pending"), ("order.backordered", "pending")]
    [confirmed, _] = [m for m in await messages(db) if m.destination is None]
    assert confirmed.payload["order_id"] == order["id"]
    assert confirmed.payload["number"] == order["number"]

    await ship(client, w["admin"], order["id"], w["w1"])
    assert ("order.shipped", "pending") in await events(db)


async def test_a_refused_change_writes_no_event(client, db, app):
    w = await world(client, db)
    response = await client.post(
        "/api/orders",
        json={"customer_id": w["customer"], "lines": [{"product_id": "nope", "quantity": 1}]},
        headers=w["manager"],
    )
    assert response.status_code >= 400
    assert await messages(db) == []


async def test_the_worker_fans_an_event_out_and_keeps_the_email_when_no_smtp_is_set(
    client, db, backend
):
    w = await world(client, db)
    order = await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
    worker = OutboxWorker(db, backend.settings())
    assert await worker.run_once() == 1  # the event, its e-mail kept at once
    assert await worker.run_once() == 0
    assert await events(db) == [("order.confirmed", "delivered")]
    async with db.read() as unit:
        [email] = (await unit.session.scalars(select(EmailMessage))).all()
    assert (email.recipient, email.status, email.sent_at) == ("pat@harbor.test", "kept", None)
    assert email.subject == f"Order {order['number']} confirmed"
    assert "Harbor &lt;View&gt; &amp; Bistro" in email.html_body
    assert "Harbor <View> & Bistro" in email.text_body


async def test_an_event_committed_before_a_restart_is_delivered_once_after_it(client, db, backend):
    w = await world(client, db)
    await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
    # A worker claims the event and its process dies before recording anything.
    dead = OutboxWorker(db, backend.settings(outbox_claim_seconds=0), worker_id="dead")
    async with db.write() as uow:
        from datetime import timedelta

        from server.db.types import utcnow
        from server.features.notifications.outbox_store import claim_due

        assert len(await claim_due(uow, dead.worker_id, utcnow(), timedelta(0), 10)) == 1
    # The restarted process's worker finds the claim expired and delivers it, once.
    fresh = Database(backend.url)
    try:
        worker = OutboxWorker(fresh, backend.settings(), worker_id="fresh")
        assert await worker.run_once() == 1
        assert await worker.run_once() == 0
    finally:
        await fresh.dispose()
    assert await events(db) == [("order.confirmed", "delivered")]
    async with db.read() as unit:
        [email] = (await unit.session.scalars(select(EmailMessage))).all()
    assert email.status == "kept"


async def test_sending_a_quote_and_deciding_on_orders_write_their_events(client, db, backend):
    w = await world(client, db)
    rep = bearer(await login(client, "rep1@corp.test"))
    quote = await client.post(
        "/api/quotes",
        json={"customer_id": w["customer"], "lines": [{"product_id": w["widget"], "quantity": 1}]},
        headers=rep,
    )
    assert quote.status_code == 201, quote.text
    sent = await client.post(f"/api/quotes/{quote.json()['id']}/send", headers=rep)
    assert sent.status_code == 200
    assert await events(db) == [("quote.sent", "pending")]
    await drain(OutboxWorker(db, backend.settings()))
    async with db.read() as unit:
        [email] = (await unit.session.scalars(select(EmailMessage))).all()
    assert email.subject == f"Your quote {quote.json()['number']}"
    assert "Harbor &lt;View&gt; &amp; Bistro" in email.html_body

    discounted = [{"product_id": w["widget"], "quantity": 1, "discount_percent": "15"}]
    body = {"customer_id": w["customer"], "lines": discounted}
    waiting = (await client.post("/api/orders", json=body, headers=rep)).json()
    refused = (await client.post("/api/orders", json=body, headers=rep)).json()
    assert waiting["status"] == refused["status"] == "pending_approval"
    approve = await client.post(f"/api/orders/{waiting['id']}/approve", headers=w["manager"])
    assert approve.status_code == 200
    reject = await client.post(
        f"/api/orders/{refused['id']}/reject", json={"reason": "too low"}, headers=w["manager"]
    )
    assert reject.status_code == 200
    assert [e for e, _ in await events(db)] == [
        "quote.sent",
        "order.needs_approval",
        "order.needs_approval",
        "order.approved",
        "order.confirmed",
        "order.rejected",
    ]


async def test_delivery_invoice_credit_note_and_payment_write_their_events(client, db):
    w = await world(client, db)
    order = await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
    shipment = await ship(client, w["admin"], order["id"], w["w1"])
    await deliver(client, w["admin"], shipment["id"])
    invoiced = await client.post(f"/api/shipments/{shipment['id']}/invoice", headers=w["admin"])
    assert invoiced.status_code in (200, 201), invoiced.text
    invoice = invoiced.json()["invoice"]
    line = order["lines"][0]["id"]
    note = await client.post(
        f"/api/invoices/{invoice['id']}/credit-notes",
        json={"reason": "1.00 off", "lines": [{"order_line_id": line, "amount_cents": 100}]},
        headers=w["admin"],
    )
    assert note.status_code == 201, note.text
    paid = await client.post(
        "/api/payments",
        json={
            "customer_id": w["customer"],
            "amount_cents": 500,
            "method": "bank_transfer",
            "reference": "remittance",
            "received_on": date.today().isoformat(),
        },
        headers=w["admin"],
    )
    assert paid.status_code == 201, paid.text
    assert [e for e, _ in await events(db)] == [
        "order.confirmed",
        "order.shipped",
        "order.delivered",
        "invoice.issued",
        "credit_note.issued",
        "payment.received",
    ]
    by_type = {m.event_type: m.payload for m in await messages(db)}
    assert by_type["invoice.issued"]["number"] == invoice["number"]
    assert by_type["payment.received"]["amount_cents"] == 500
