"""Amending a placed order: a new revision, re-priced, re-checked and re-allocated.

Everything happens in the caller's one write transaction, in the lock order of every
order action: the order counter (credit checks take turns, as in place_order), the order
row, then the stock rows of every product the order had or will have, in key order. A
refused amendment (stale revision, a rule, a hard pricing error) changes nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from msgspec import UNSET

from server.db.models import Quote
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.actor import CurrentUser
from server.domain.allocation import release
from server.domain.amendments import (
    AmendmentPlan,
    CurrentLine,
    WantedLine,
    plan_amendment,
    priced_changes,
    status_after_amendment,
)
from server.domain.errors import Conflict, NotFound
from server.domain.lifecycle import fulfilment_status
from server.domain.orders import (
    FulfilmentStatus,
    OrderCheckInput,
    OrderStatus,
    QuoteStatus,
    decide_submission,
)
from server.domain.pricing import requested_discount_percent
from server.features.commission.crediting import credit_commission
from server.features.fulfilment.shipment_store import ShipmentStore
from server.features.sales.allocation_service import allocate, allocation_event
from server.features.sales.changes import order_changes
from server.features.sales.credit_turns import take_credit_turn_of_order
from server.features.sales.events import order_event
from server.features.sales.lifecycle_service import progress_of
from server.features.sales.order_queries import order_filter
from server.features.sales.order_service import (
    credit_standing,
    discount_limit,
    order_customer,
)
from server.features.sales.order_store import OrderLineRow, OrderRow, OrderStore
from server.features.sales.pricing import QuotedPrice, RequestedLine, price_for_customer
from server.features.sales.quote_queries import quote_lines
from server.features.sales.schemas import OrderAmendIn
from server.features.shared.reference_data import reference_data
from server.features.shared.scope import load_scope

__all__ = ["AmendedOrder", "amend_order"]

_CENT = Decimal("0.01")
_ALLOCATING = (OrderStatus.CONFIRMED, OrderStatus.IN_FULFILMENT)
_WAITING = (OrderStatus.PENDING_APPROVAL, OrderStatus.CREDIT_HOLD)


class AmendedOrder(msgspec.Struct):
    order: OrderRow
    lines: list[OrderLineRow]
    changes: dict[str, Any]  # as recorded in order_revisions


def _header_now(order: OrderRow) -> dict[str, str | None]:
    return {
        "order_discount_percent": str(Decimal(order.order_discount_percent).quantize(_CENT)),
        "ship_to_address_id": str(order.ship_to.get("id") or "") or None,
        "requested_delivery_date": (
            order.requested_delivery_date.isoformat() if order.requested_delivery_date else None
        ),
        "notes": order.notes,
        "po_number": order.po_number,
    }


def _header_wanted(data: OrderAmendIn) -> dict[str, str | None]:
    wanted: dict[str, str | None] = {}
    if data.order_discount_percent is not UNSET:
        wanted["order_discount_percent"] = str(data.order_discount_percent.quantize(_CENT))
    if data.ship_to_address_id is not UNSET:
        wanted["ship_to_address_id"] = data.ship_to_address_id
    if data.requested_delivery_date is not UNSET:
        wanted["requested_delivery_date"] = (
            data.requested_delivery_date.isoformat() if data.requested_delivery_date else None
        )
    if data.notes is not UNSET:
        wanted["notes"] = data.notes.strip()
    if data.po_number is not UNSET:
        wanted["po_number"] = data.po_number.strip()
    return wanted


async def _quoted_prices(uow: WriteUnit, order: OrderRow, today: date) -> dict[str, QuotedPrice]:
    """The prices of the quote the order came from while that quote is valid, as when the
    order was placed; afterwards the lists of the day."""
    if order.quote_id is None:
        return {}
    quote = await uow.session.get(Quote, order.quote_id)
    if quote is None or quote.status != QuoteStatus.ACCEPTED or today > quote.valid_until:
        return {}
    return {
        line.product_id: QuotedPrice(
            line.unit_price_cents, line.price_list_id, line.price_list_version
        )
        for line in await quote_lines(uow.session, quote.id)
    }


async def _load(uow: WriteUnit, user: CurrentUser, order_id: str, expected: int) -> OrderRow:
    scope = await load_scope(uow.session, user)
    order = await uow.scoped(OrderStore).load_for_update(order_id, order_filter(scope))
    if order is None:
        raise NotFound("No such order.", code="order_not_found")
    if order.revision != expected:
        raise Conflict(
            f"The order has changed since revision {expected}: it is at revision "
            f"{order.revision} now. Load it again and amend that.",
            code="revision_conflict",
            details={"revision": order.revision, "expected_revision": expected},
        )
    return order


def _plan(order: OrderRow, lines: list[OrderLineRow], data: OrderAmendIn) -> AmendmentPlan:
    return plan_amendment(
        status=order.status,
        order_type=order.order_type,
        current=[
            CurrentLine(
                line_id=x.id,
                product_id=x.product_id,
                quantity=x.quantity,
                discount_percent=Decimal(x.discount_percent),
                quantity_shipped=x.quantity_shipped,
            )
            for x in lines
        ],
        wanted=(
            None
            if data.lines is UNSET
            else [
                WantedLine(
                    line_id=x.line_id,
                    product_id=x.product_id,
                    quantity=x.quantity,
                    discount_percent=x.discount_percent,
                )
                for x in data.lines
            ]
        ),
        header_now=_header_now(order),
        header_wanted=_header_wanted(data),
    )


_TOTALS = (
    "subtotal_cents",
    "discount_cents",
    "net_cents",
    "tax_cents",
    "shipping_cents",
    "shipping_tax_cents",
    "total_cents",
)


def _totals(doc: Any) -> dict[str, int]:
    """An order's totals, or a priced document's: the same names."""
    return {name: int(getattr(doc, name)) for name in _TOTALS}


async def amend_order(
    uow: WriteUnit, user: CurrentUser, order_id: str, data: OrderAmendIn
) -> AmendedOrder:
    """Amend an order before it ships: anyone who can see it may, at the revision they saw.

    The resulting lines are priced as at placement (a valid quote's prices hold) and
    checked like a new submission, the order's own total not counted twice: a discount
    above the amender's limit waits for approval, credit exposure above the limit waits
    on credit hold, anything else is (or stays) confirmed. Its reservations are released
    and, when it goes ahead, made again for the new lines. Refusals: 404, 409
    `revision_conflict` / `not_amendable`, 422 with every reason.
    """
    today = date.today()
    session = uow.session
    store = uow.scoped(OrderStore)
    reference = await reference_data(session)
    await take_credit_turn_of_order(uow, order_id)
    order = await _load(uow, user, order_id, data.expected_revision)
    before = msgspec.structs.replace(order)
    old_lines = await store.lines(order.id)
    plan = _plan(order, old_lines, data)

    customer = await order_customer(uow, order.customer_id)
    order_discount = (
        Decimal(order.order_discount_percent)
        if data.order_discount_percent is UNSET
        else data.order_discount_percent
    )
    ship_to_id = (
        _header_now(order)["ship_to_address_id"]
        if data.ship_to_address_id is UNSET
        else data.ship_to_address_id
    )
    outcome = await price_for_customer(
        session,
        customer,
        [RequestedLine(x.product_id, x.quantity, x.discount_percent) for x in plan.lines],
        on=today,
        order_discount_percent=order_discount,
        shipping_cents=order.shipping_cents,
        quoted=await _quoted_prices(uow, order, today),
        ship_to_address_id=ship_to_id,
        reference=reference,
    )
    priced = outcome.priced
    discount = requested_discount_percent(priced, order_discount)
    credit = await credit_standing(uow, customer, excluding_order_id=order.id)
    verdict = decide_submission(
        OrderCheckInput(
            customer_status=customer.status,
            customer_on_hold=credit.on_hold,
            credit_limit_cents=credit.limit_cents,
            open_receivables_cents=credit.open_receivables_cents,
            open_orders_cents=credit.open_orders_cents,
            order_total_cents=priced.total_cents,
            discount_percent=discount,
            discount_limit_percent=await discount_limit(uow, user),
            inactive_product_ids=tuple(outcome.inactive_product_ids),
            below_floor_line_ids=tuple(outcome.below_floor_line_ids),
            quantity_errors=tuple(outcome.line_errors),
        )
    )

    # The lines as amended: kept ones keep their ids (and what shipped of them).
    by_id = {x.id: x for x in old_lines}
    kept: list[OrderLineRow] = []
    added: list[OrderLineRow] = []
    for amended, columns in zip(plan.lines, outcome.line_columns(), strict=True):
        if amended.line_id is None:
            added.append(OrderLineRow(id=new_id(), order_id=order.id, **columns))
        else:
            kept.append(msgspec.structs.replace(by_id[amended.line_id], **columns))
    new_lines = sorted([*kept, *added], key=lambda x: x.line_no)
    removed_ids = [x.id for x in old_lines if x.id not in {k.id for k in kept}]

    # Goods packed and waiting to leave hold no reservation any more and are not shipped
    # yet: re-allocating around them would reserve them twice. They leave first.
    if await uow.scoped(ShipmentStore).packed_by_line(order.id):
        raise Conflict(
            "a shipment of this order is packed and waiting to leave; dispatch it first",
            code="shipment_packed",
        )
    # Stock: every product the order had or will have, locked once in key order, its
    # reservations given back, then made again for the lines it has now.
    await store.lock_stock({x.product_id for x in old_lines} | {x.product_id for x in new_lines})
    given_back = release(await store.open_reservations(order.id))
    if given_back:
        await store.release(order.id, given_back)
    for line in new_lines:
        line.quantity_allocated = 0
        line.quantity_backordered = 0

    now = utcnow()
    status = status_after_amendment(OrderStatus(order.status), verdict.status)
    shipped_any = any(x.quantity_shipped for x in new_lines)
    order.status = status.value
    if not shipped_any:
        order.fulfilment_status = FulfilmentStatus.UNALLOCATED.value
    order.approval_reasons = [msgspec.structs.asdict(r) for r in verdict.reasons]
    if status in _WAITING:
        order.decided_by, order.decided_at = None, None
    order.po_number = data.po_number.strip() if data.po_number is not UNSET else order.po_number
    order.notes = data.notes.strip() if data.notes is not UNSET else order.notes
    if data.requested_delivery_date is not UNSET:
        order.requested_delivery_date = data.requested_delivery_date
    order.bill_to, order.ship_to = outcome.bill_to, outcome.ship_to
    order.discount_percent = discount
    order.order_discount_percent = order_discount
    order.client_total_cents = data.client_total_cents
    for name, value in _totals(priced).items():
        setattr(order, name, value)
    order.revision += 1
    order.version += 1
    order.updated_at = now

    plan_of_stock = None
    if status in _ALLOCATING:
        plan_of_stock = await allocate(
            store, order, new_lines, preferred_warehouse_id=customer.preferred_warehouse_id
        )
        if shipped_any:
            # Shipping outranks allocation (partially shipped until everything has left).
            order.fulfilment_status = fulfilment_status(progress_of(new_lines, {})).value
    await store.save_amendment(order, kept=kept, added=added, removed_ids=removed_ids)
    if plan_of_stock is not None:
        await store.reserve(order.id, plan_of_stock.reservations)

    changes = _recorded_changes(before, order, plan, old_lines, new_lines, outcome.products)
    await store.insert_revision(
        order, changes=changes, reason=data.reason.strip(), actor_id=user.id
    )
    events = [
        order_event(
            order=order,
            actor_id=user.id,
            action="amend",
            from_state=before.status,
            to_state=order.status,
            reason=data.reason.strip() or None,
            data={
                "revision": order.revision,
                "total_before_cents": before.total_cents,
                "total_after_cents": order.total_cents,
                "approval_reasons": order.approval_reasons,
            },
        )
    ]
    if plan_of_stock is not None:
        events.append(allocation_event(order, user.id, before.fulfilment_status, plan_of_stock))
    await uow.audit.record(*events)
    await credit_commission(uow, order.id, reason=f"amend {order.number} r{order.revision}")
    uow.feed.touch_all(order_changes(order, customer))
    return AmendedOrder(order, new_lines, changes)


def _recorded_changes(
    before: OrderRow,
    after: OrderRow,
    plan: AmendmentPlan,
    old_lines: list[OrderLineRow],
    new_lines: list[OrderLineRow],
    products: dict[str, Any],
) -> dict[str, Any]:
    """The revision's record: line by line (with SKUs and prices around re-pricing), the
    header fields changed, the status and totals before and after."""
    skus = {x.product_id: x.sku for x in old_lines} | {pid: p.sku for pid, p in products.items()}
    old_ids = {x.id for x in old_lines}
    lines = priced_changes(
        plan.line_changes,
        {x.id: x.unit_price_cents for x in old_lines},
        [(x.id if x.id in old_ids else None, x.product_id, x.unit_price_cents) for x in new_lines],
    )
    return {
        "lines": [{**msgspec.structs.asdict(c), "sku": skus.get(c.product_id, "")} for c in lines],
        "header": [msgspec.structs.asdict(h) for h in plan.header_changes],
        "status_before": before.status,
        "status_after": after.status,
        "totals_before": _totals(before),
        "totals_after": _totals(after),
    }
