"""An order placed and changed again in one transaction (a sync push carries both): its
lines, its stock and its reservations agree afterwards, on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.db.engine import Database
from server.db.models import SalesOrder, SalesOrderLine, StockReservation
from sync.client import SyncClient
from tests.factories import bearer, login, seed_world
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock, stock_of


async def _setup(client: Any, db: Database) -> tuple[SyncClient, str, str]:
    await seed_world(db)
    catalog = await seed_catalog(db)
    manager = bearer(await login(client, "manager@corp.test"))
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    await set_stock(db, catalog.warehouse_ids[0], widget, 10)
    customer = await create_customer(client, manager, "Harbor View Bistro")
    phone = SyncClient(
        http=client, access_token=(await login(client, "rep1@corp.test"))["access_token"]
    )
    await phone.register()
    return phone, customer["id"], widget


async def _order_state(
    db: Database, order_id: str
) -> tuple[str, str, list[tuple[int, int]], list[int]]:
    async with db.read() as unit:
        session = unit.session
        order = (
            await session.execute(
                select(SalesOrder.status, SalesOrder.fulfilment_status).where(
                    SalesOrder.id == order_id
                )
            )
        ).one()
        lines = (
            await session.execute(
                select(
                    SalesOrderLine.quantity_allocated, SalesOrderLine.quantity_backordered
                ).where(SalesOrderLine.order_id == order_id)
            )
        ).all()
        open_reservations = (
            (
                await session.execute(
                    select(StockReservation.quantity).where(
                        StockReservation.order_id == order_id,
                        StockReservation.released_at.is_(None),
                    )
                )
            )
            .scalars()
            .all()
        )
    return order.status, order.fulfilment_status, [tuple(x) for x in lines], list(open_reservations)


async def test_order_placed_and_cancelled_in_one_push_leaves_lines_stock_and_reservations_agreeing(
    client, db
):
    phone, customer_id, widget = await _setup(client, db)
    placed = phone.enqueue(
        "order.place",
        {"customer_id": customer_id, "lines": [{"product_id": widget, "quantity": 3}]},
    )
    phone.enqueue(
        "order.cancel", {"reason": "customer changed their mind"}, entity_id=placed.entity_id
    )
    outcomes = (await phone.push()).json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["accepted", "accepted"], outcomes
    assert outcomes[0]["result"]["lines"][0]["allocated"] == 3

    status, fulfilment, lines, reservations = await _order_state(db, placed.entity_id)
    assert (status, fulfilment) == ("cancelled", "unallocated")
    assert lines == [(0, 0)]
    assert reservations == []
    assert [(on_hand, allocated) for _, on_hand, allocated in await stock_of(db, widget)] == [
        (10, 0)
    ]


async def test_order_place_quote_save_and_cancel_interleaved_in_one_push_agree(client, db):
    phone, customer_id, widget = await _setup(client, db)
    first = phone.enqueue(
        "order.place",
        {"customer_id": customer_id, "lines": [{"product_id": widget, "quantity": 4}]},
    )
    phone.enqueue(
        "quote.save", {"customer_id": customer_id, "lines": [{"product_id": widget, "quantity": 1}]}
    )
    second = phone.enqueue(
        "order.place",
        {"customer_id": customer_id, "lines": [{"product_id": widget, "quantity": 2}]},
    )
    phone.enqueue("order.cancel", {"reason": "duplicate"}, entity_id=first.entity_id)
    outcomes = (await phone.push()).json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["accepted"] * 4, outcomes

    assert (await _order_state(db, first.entity_id))[:4] == (
        "cancelled",
        "unallocated",
        [(0, 0)],
        [],
    )
    assert (await _order_state(db, second.entity_id))[:4] == (
        "confirmed",
        "allocated",
        [(2, 0)],
        [2],
    )
    assert [(on_hand, allocated) for _, on_hand, allocated in await stock_of(db, widget)] == [
        (10, 2)
    ]


async def test_a_rejected_cancel_in_a_push_leaves_the_placed_order_allocated(client, db):
    phone, customer_id, widget = await _setup(client, db)
    placed = phone.enqueue(
        "order.place",
        {"customer_id": customer_id, "lines": [{"product_id": widget, "quantity": 3}]},
    )
    phone.enqueue("order.cancel", {"reason": "x"}, entity_id=placed.entity_id)
    phone.enqueue("order.cancel", {"reason": "again"}, entity_id=placed.entity_id)
    outcomes = (await phone.push()).json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["accepted", "accepted", "rejected"], outcomes
    assert (await _order_state(db, placed.entity_id))[:4] == (
        "cancelled",
        "unallocated",
        [(0, 0)],
        [],
    )
    assert [(on_hand, allocated) for _, on_hand, allocated in await stock_of(db, widget)] == [
        (10, 0)
    ]
