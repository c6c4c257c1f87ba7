"""Returns (RMA) through the API, on both databases: authorised against shipped,
invoiced lines with a reason; received back into stock (where they serve backorders) or
scrapped; a credit note on the invoice that billed them follows; refusals change nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.db.engine import Database
from server.db.models import StockMovement
from sync.client import SyncClient
from tests.factories import bearer, login, seed_world
from tests.fulfilment_factories import place, ship
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock, stock_of


async def _world(client: Any, db: Database) -> dict[str, Any]:
    await seed_world(db)
    catalog = await seed_catalog(db)
    w1 = catalog.warehouse_ids[0]
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    await set_stock(db, w1, widget, 5)
    manager = bearer(await login(client, "manager@corp.test"))
    customer = await create_customer(client, manager, "Harbor View Bistro")
    return {
        "w1": w1,
        "widget": widget,
        "manager": manager,
        "rep": bearer(await login(client, "rep1@corp.test")),
        "rep2": bearer(await login(client, "rep2@corp.test")),
        "admin": bearer(await login(client, "admin@corp.test")),
        "customer": customer["id"],
    }


async def _shipped_and_invoiced(client: Any, w: dict[str, Any], quantity: int) -> dict[str, Any]:
    order = await place(client, w["manager"], w["customer"], [(w["widget"], quantity)])
    await ship(client, w["admin"], order["id"], w["w1"])
    invoiced = await client.post(f"/api/orders/{order['id']}/invoice", headers=w["admin"])
    assert invoiced.status_code == 201, invoiced.text
    return {"order": order, "invoice": invoiced.json()["invoice"]}


async def _authorise(client: Any, w: dict[str, Any], order: dict[str, Any], units: int, who="rep"):
    return await client.post(
        f"/api/orders/{order['id']}/returns",
        json={
            "reason": "two arrived damaged",
            "lines": [{"line_id": order["lines"][0]["id"], "quantity": units}],
        },
        headers=w[who],
    )


async def test_a_received_return_restocks_serves_a_backorder_and_credits_the_invoice(client, db):
    w = await _world(client, db)
    sold = await _shipped_and_invoiced(client, w, 5)
    order, invoice = sold["order"], sold["invoice"]
    assert await stock_of(db, w["widget"]) == [(w["w1"], 0, 0)]
    waiting = await place(client, w["manager"], w["customer"], [(w["widget"], 1)])
    assert waiting["fulfilment_status"] == "backordered"

    authorised = await _authorise(client, w, order, 2)
    assert authorised.status_code == 201, authorised.text
    rma = authorised.json()
    assert rma["number"].startswith("RMA-") and rma["status"] == "authorized"
    too_many = await _authorise(client, w, order, 4)  # 3 may still come back
    assert too_many.status_code == 409 and too_many.json()["code"] == "cannot_return"
    assert "3 may be returned" in too_many.json()["detail"]

    refused = await client.post(f"/api/returns/{rma['id']}/receive", json={}, headers=w["rep"])
    assert refused.status_code == 403
    received = await client.post(f"/api/returns/{rma['id']}/receive", json={}, headers=w["admin"])
    assert received.status_code == 200, received.text
    assert received.json()["status"] == "received"
    assert received.json()["credit_note_number"].startswith("CN-")
    # two back on the shelf, one of them taken at once by the waiting backorder
    assert await stock_of(db, w["widget"]) == [(w["w1"], 2, 1)]
    served = await client.get(f"/api/orders/{waiting['id']}", headers=w["manager"])
    assert served.json()["fulfilment_status"] == "allocated"

    detail = (await client.get(f"/api/invoices/{invoice['id']}", headers=w["admin"])).json()
    (note,) = detail["credit_notes"]
    assert note["kind"] == "return" and note["lines"][0]["quantity"] == 2
    # two of five units at the invoiced amounts: exactly two fifths of the goods
    goods = sum(line["total_cents"] for line in detail["lines"] if line["quantity"] == 5)
    assert note["total_cents"] == goods * 2 // 5
    assert detail["invoice"]["balance_cents"] == invoice["total_cents"] - note["total_cents"]

    after = (await client.get(f"/api/orders/{order['id']}", headers=w["rep"])).json()
    assert "return_received" in [e["action"] for e in after["timeline"]]
    again = await client.post(f"/api/returns/{rma['id']}/receive", json={}, headers=w["admin"])
    assert again.status_code == 409 and again.json()["code"] == "return_not_open"
    # the rep's phone learns of the return and of the credited invoice on its next pull
    phone = SyncClient(http=client, access_token=w["rep"]["Authorization"].split()[1])
    await phone.register()
    await phone.pull_all()
    pulled = phone.store["order"][order["id"]]
    assert [(r["number"], r["status"], r["credit_note_number"]) for r in pulled["returns"]] == [
        (rma["number"], "received", received.json()["credit_note_number"])
    ]
    assert pulled["invoices"][0]["balance_cents"] == detail["invoice"]["balance_cents"]
    async with db.read() as unit:
        kinds = (
            await unit.session.execute(
                select(
                    StockMovement.kind, StockMovement.quantity, StockMovement.document_number
                ).where(StockMovement.kind == "return")
            )
        ).all()
    assert kinds == [("return", 2, rma["number"])]


async def test_scrapped_goods_are_credited_but_not_restocked(client, db):
    w = await _world(client, db)
    sold = await _shipped_and_invoiced(client, w, 3)
    rma = (await _authorise(client, w, sold["order"], 1)).json()
    received = await client.post(
        f"/api/returns/{rma['id']}/receive", json={"disposition": "scrap"}, headers=w["admin"]
    )
    assert received.status_code == 200, received.text
    assert received.json()["lines"][0]["disposition"] == "scrap"
    assert await stock_of(db, w["widget"]) == [(w["w1"], 2, 0)]
    assert received.json()["credit_note_number"]


async def test_returns_wait_for_the_invoice_and_stay_in_scope(client, db):
    w = await _world(client, db)
    order = await place(client, w["manager"], w["customer"], [(w["widget"], 2)])
    await ship(client, w["admin"], order["id"], w["w1"])
    early = await _authorise(client, w, order, 1)
    assert early.status_code == 409
    assert early.json()["details"]["lines"][0]["code"] == "invoice_first"
    await client.post(f"/api/orders/{order['id']}/invoice", headers=w["admin"])
    hidden = await _authorise(client, w, order, 1, who="rep2")
    assert hidden.status_code == 404
    blank = await client.post(
        f"/api/orders/{order['id']}/returns",
        json={"reason": "  ", "lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}]},
        headers=w["rep"],
    )
    assert blank.status_code == 422 and blank.json()["code"] == "reason_required"
    rma = (await _authorise(client, w, order, 2)).json()
    cancelled = await client.post(f"/api/returns/{rma['id']}/cancel", headers=w["rep"])
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    # a cancelled authorisation frees its units for another return
    assert (await _authorise(client, w, order, 2)).status_code == 201
    listed = await client.get(f"/api/orders/{order['id']}/returns", headers=w["rep"])
    assert [r["status"] for r in listed.json()] == ["cancelled", "authorized"]


async def test_goods_come_back_into_stock_after_a_price_correction_on_their_line(client, db):
    w = await _world(client, db)
    sold = await _shipped_and_invoiced(client, w, 2)  # 2 x 10.00
    order, invoice = sold["order"], sold["invoice"]
    line_id = order["lines"][0]["id"]
    corrected = await client.post(
        f"/api/invoices/{invoice['id']}/credit-notes",
        json={
            "reason": "agreed discount",
            "lines": [{"order_line_id": line_id, "amount_cents": 1500}],
        },
        headers=w["admin"],
    )
    assert corrected.status_code == 201, corrected.text
    rma = (await _authorise(client, w, order, 2)).json()

    received = await client.post(f"/api/returns/{rma['id']}/receive", json={}, headers=w["admin"])

    assert received.status_code == 200, received.text
    assert await stock_of(db, w["widget"]) == [(w["w1"], 5, 0)]
    # Only what the correction left on the line (5.00 net) can still be credited.
    detail = (await client.get(f"/api/invoices/{invoice['id']}", headers=w["admin"])).json()
    assert sum(n["net_cents"] for n in detail["credit_notes"]) == 2000
