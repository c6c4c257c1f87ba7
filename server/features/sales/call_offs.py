"""Call-offs against blanket orders: placing one, and giving its quantity back.

A call-off is an ordinary order (its own SO number, allocated like any order) placed at
its blanket's agreed prices and discounts. Its quantities are taken from the blanket's
lines in the same unit of work, under the blanket order's row lock, so call-offs placed
at the same moment take turns and together never exceed what was agreed.

Locks, PostgreSQL: the order counter first (as every order placement), then the blanket
order's row, then stock; a cancelled call-off's row before its blanket's.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import true

from server.db.models import Customer
from server.db.types import utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.actor import CurrentUser
from server.domain.blanket_orders import BlanketLine, CallOffRequest, check_call_off
from server.domain.errors import Conflict, NotFound
from server.domain.orders import OrderType
from server.features.sales.changes import order_changes
from server.features.sales.credit_turns import take_credit_turn_of_order
from server.features.sales.events import order_event
from server.features.sales.order_queries import order_filter
from server.features.sales.order_service import CallOffTerms, place_order
from server.features.sales.order_store import OrderLineRow, OrderRow, OrderStore, PlacedOrder
from server.features.sales.schemas import CallOffIn, LineIn, OrderCreateIn
from server.features.shared.scope import load_scope

__all__ = ["give_back_call_off", "place_call_off"]


async def place_call_off(
    uow: WriteUnit, user: CurrentUser, blanket_id: str, data: CallOffIn
) -> PlacedOrder:
    """Place a call-off of `blanket_id`; refused (nothing changed) when the blanket is not
    confirmed, today is outside its period, a line is not the blanket's, or a quantity is
    above what the line has left."""
    store = uow.scoped(OrderStore)
    if data.id is not None and await store.exists(data.id):
        raise Conflict(
            "An order with this id already exists.", code="order_id_taken", details={"id": data.id}
        )
    scope = await load_scope(uow.session, user)
    # The call-off's customer is its blanket's: its credit turn before the blanket's row.
    await take_credit_turn_of_order(uow, blanket_id, placing_id=data.id)
    blanket = await store.load_for_update(blanket_id, order_filter(scope))
    if blanket is None:
        raise NotFound("No such order.", code="order_not_found")
    blanket_lines = {line.id: line for line in await store.lines(blanket.id)}
    check_call_off(
        order_type=blanket.order_type,
        status=blanket.status,
        valid_from=blanket.valid_from,
        valid_to=blanket.valid_to,
        on=date.today(),
        lines={
            line.id: BlanketLine(line.id, line.line_no, line.quantity, line.quantity_released)
            for line in blanket_lines.values()
        },
        requested=[CallOffRequest(x.blanket_line_id, x.quantity) for x in data.lines],
    )
    drawn_on = [blanket_lines[x.blanket_line_id] for x in data.lines]
    placed = await place_order(
        uow,
        user,
        OrderCreateIn(
            customer_id=blanket.customer_id,
            lines=[
                LineIn(b.product_id, x.quantity, b.discount_percent)
                for x, b in zip(data.lines, drawn_on, strict=True)
            ],
            id=data.id,
            order_discount_percent=blanket.order_discount_percent,
            ship_to_address_id=data.ship_to_address_id,
            po_number=data.po_number or blanket.po_number,
            requested_delivery_date=data.requested_delivery_date,
            shipping_method=blanket.shipping_method,
            notes=data.notes,
            channel=data.channel,
            order_type=OrderType.STANDARD.value,
        ),
        call_off=CallOffTerms(blanket, drawn_on),
    )
    taken: Counter[str] = Counter()
    for x in data.lines:
        taken[x.blanket_line_id] += x.quantity
    await store.add_released(dict(taken))
    await _record(uow, user, blanket, "call_off_placed", placed.order, dict(taken))
    return placed


async def give_back_call_off(
    uow: WriteUnit, user: CurrentUser, call_off: OrderRow, lines: list[OrderLineRow]
) -> None:
    """A call-off was cancelled or rejected: its quantities go back to its blanket's lines
    (the call-off's row is locked by the caller; the blanket's is taken here)."""
    if call_off.blanket_order_id is None:
        return
    store = uow.scoped(OrderStore)
    blanket = await store.load_for_update(call_off.blanket_order_id, true())
    if blanket is None:
        return
    returned: Counter[str] = Counter()
    for line in lines:
        if line.blanket_line_id is not None:
            returned[line.blanket_line_id] -= line.quantity
    if returned:
        await store.add_released(dict(returned))
        await _record(uow, user, blanket, "call_off_returned", call_off, dict(returned))


async def _record(
    uow: WriteUnit,
    user: CurrentUser,
    blanket: OrderRow,
    action: str,
    call_off: OrderRow,
    deltas: dict[str, int],
) -> None:
    # The blanket changed (its released quantities): a new version for the phones.
    blanket.version += 1
    blanket.updated_at = utcnow()
    await uow.scoped(OrderStore).save_status(blanket)
    await uow.audit.record(
        order_event(
            order=blanket,
            actor_id=user.id,
            action=action,
            from_state=None,
            to_state=None,
            data={
                "call_off_id": call_off.id,
                "call_off_number": call_off.number,
                "released": deltas,
            },
        )
    )
    customer = await uow.session.get(Customer, blanket.customer_id)
    uow.feed.touch_all(order_changes(blanket, customer))
