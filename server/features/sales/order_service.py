"""Placing a sales order: re-price, validate, snapshot, decide, allocate, number.

Everything happens inside the caller's one write transaction: a refused order (422) leaves
nothing behind, and an accepted one is written with its audit events and reservations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import bindparam, func, literal, select

from server.db.models import Customer, Invoice, SalesOrder, User
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.actor import CurrentUser
from server.domain.blanket_orders import check_blanket_period, reserves_stock
from server.domain.errors import Conflict, NotFound
from server.domain.fulfilment_rules import check_schedule
from server.domain.orders import (
    CUSTOMER_ON_HOLD,
    OPEN_FOR_CREDIT_STATUSES,
    FulfilmentStatus,
    OrderCheckInput,
    OrderStatus,
    OrderType,
    Reason,
    credit_reasons,
    decide_submission,
    next_order_status,
)
from server.domain.pricing import requested_discount_percent
from server.features.commission.crediting import credit_placed_order
from server.features.commission.store import CommissionStore
from server.features.notifications.order_events import placed_events
from server.features.sales.allocation_service import allocate, allocation_event
from server.features.sales.changes import order_changes, quote_changes
from server.features.sales.credit_turns import in_credit_turn, needs_credit_turn
from server.features.sales.events import order_event, quote_event
from server.features.sales.order_store import OrderLineRow, OrderRow, OrderStore, PlacedOrder
from server.features.sales.pricing import QuotedPrice, RequestedLine, price_for_customer
from server.features.sales.quote_queries import get_visible_quote, quote_lines
from server.features.sales.quote_service import claim_for_order
from server.features.sales.schemas import ConvertIn, LineIn, OrderCreateIn
from server.features.shared.numbers import next_number
from server.features.shared.reference_data import reference_data
from server.features.shared.scope import Scope, load_scope

__all__ = [
    "CallOffTerms",
    "CreditStanding",
    "convert_quote",
    "credit_standing",
    "discount_limit",
    "order_customer",
    "place_order",
]


_VERDICT_ACTION = {
    OrderStatus.CONFIRMED: "confirm",
    OrderStatus.PENDING_APPROVAL: "require_approval",
    OrderStatus.CREDIT_HOLD: "hold_for_credit",
}


_CUSTOMER = select(
    Customer.id,
    Customer.status,
    Customer.territory_id,
    Customer.created_by,
    Customer.owner_id,
    Customer.credit_limit_cents,
    Customer.payment_terms,
    Customer.price_list_id,
    Customer.tax_exempt,
    Customer.preferred_warehouse_id,
).where(Customer.id == bindparam("id"))
_DISCOUNT_LIMIT = select(User.discount_limit_percent).where(User.id == bindparam("id"))
# The customer as an order placed by `user_id` reads it, with that user's discount limit
# (one statement: on PostgreSQL each is a step of its own).
_PLACING_CUSTOMER = _CUSTOMER.add_columns(
    select(User.discount_limit_percent)
    .where(User.id == bindparam("user_id"))
    .scalar_subquery()
    .label("placer_discount_limit")
)
_PLACING_CUSTOMER_IN_TURN = in_credit_turn(_PLACING_CUSTOMER)
# The part of each open order that no invoice has billed yet (what is billed is counted
# as a receivable until it is paid or credited).
_OPEN_ORDERS = select(
    func.coalesce(func.sum(SalesOrder.total_cents - SalesOrder.invoiced_cents), 0)
).where(
    SalesOrder.customer_id == bindparam("customer_id"),
    # One parameter per status (literal()): an expanding IN list is re-rendered per run.
    SalesOrder.status.in_([literal(status) for status in OPEN_FOR_CREDIT_STATUSES]),
    # A blanket order is an agreement, not goods owed for: its call-offs carry the exposure.
    SalesOrder.order_type != literal(OrderType.BLANKET.value),
)
_OPEN_RECEIVABLES = select(
    func.coalesce(func.sum(Invoice.total_cents - Invoice.paid_cents - Invoice.credited_cents), 0)
).where(Invoice.customer_id == bindparam("customer_id"), Invoice.status == "open")
# Both in one statement: each is a step of its own on PostgreSQL, inside the customer's
# credit turn.
_EXPOSURE = select(_OPEN_ORDERS.scalar_subquery(), _OPEN_RECEIVABLES.scalar_subquery())
# An amended order is checked as if placed again: its own total is not open beside itself.
_EXPOSURE_BESIDE = select(
    _OPEN_ORDERS.where(SalesOrder.id != bindparam("order_id")).scalar_subquery(),
    _OPEN_RECEIVABLES.scalar_subquery(),
)


async def _placing_customer(
    uow: WriteUnit, scope: Scope, user: CurrentUser, customer_id: str, *, in_turn: bool = False
) -> Any:
    """The order's customer if the user may see it, with the user's discount limit."""
    statement = _PLACING_CUSTOMER_IN_TURN if in_turn else _PLACING_CUSTOMER
    customer = await uow.sql.first(statement, {"id": customer_id, "user_id": user.id})
    if customer is None or not scope.can_see_customer(
        customer.territory_id, customer.status, customer.created_by
    ):
        raise NotFound("No such customer.", code="customer_not_found")
    return customer


@dataclass(frozen=True)
class CreditStanding:
    """The customer's side of a credit check, as order placement and approval both read it."""

    on_hold: bool
    limit_cents: int | None  # None: no limit, nothing to hold an order against
    open_receivables_cents: int  # unpaid balances of open invoices
    open_orders_cents: int  # open orders' part not yet invoiced

    def reasons_for(self, order_total_cents: int) -> list[Reason]:
        return credit_reasons(
            customer_on_hold=self.on_hold,
            credit_limit_cents=self.limit_cents,
            open_receivables_cents=self.open_receivables_cents,
            open_orders_cents=self.open_orders_cents,
            order_total_cents=order_total_cents,
        )


async def order_customer(uow: WriteUnit, customer_id: str) -> Any:
    """What pricing and the checks read of an order's customer (the order's visibility has
    been checked: an order stays visible to its rep after realignment moved its customer)."""
    customer = await uow.sql.first(_CUSTOMER, {"id": customer_id})
    if customer is None:
        raise NotFound("No such customer.", code="customer_not_found")
    return customer


async def discount_limit(uow: WriteUnit, user: CurrentUser) -> Decimal:
    """The discount the user may grant without a manager's approval."""
    limit = await uow.sql.scalar(_DISCOUNT_LIMIT, {"id": user.id})
    return Decimal(str(limit if limit is not None else 0))


async def credit_standing(
    uow: WriteUnit, customer: Any, *, excluding_order_id: str | None = None
) -> CreditStanding:
    """`excluding_order_id`: an order checked again (amended), whose own total is not one
    of the open orders beside it."""
    # Without a limit the exposure (sums over every open order and invoice of the
    # customer) need not be read.
    limit = customer.credit_limit_cents
    open_orders = open_receivables = 0
    if limit is not None:
        params = {"customer_id": customer.id}
        if excluding_order_id is None:
            exposure = await uow.sql.first(_EXPOSURE, params)
        else:
            exposure = await uow.sql.first(
                _EXPOSURE_BESIDE, {**params, "order_id": excluding_order_id}
            )
        assert exposure is not None  # sums: always one row
        open_orders, open_receivables = int(exposure[0] or 0), int(exposure[1] or 0)
    return CreditStanding(
        on_hold=customer.status == CUSTOMER_ON_HOLD,
        limit_cents=limit,
        open_receivables_cents=open_receivables,
        open_orders_cents=open_orders,
    )


@dataclass(frozen=True)
class CallOffTerms:
    """A call-off's blanket order (locked by the caller) and, for each requested line in
    order, the blanket line it draws on: its prices, discounts and snapshot apply."""

    blanket: OrderRow
    lines: list[OrderLineRow]


async def place_order(
    uow: WriteUnit,
    user: CurrentUser,
    data: OrderCreateIn,
    *,
    call_off: CallOffTerms | None = None,
) -> PlacedOrder:
    """Accept an order as submitted and route it to confirmed, pending_approval or credit_hold.

    Hard errors (inactive customer or product, quantity rules, no price, below floor) are
    refused all at once with 422 and `details.reasons`. With `quote_id` the order converts
    that accepted quote: its prices hold while it is valid, whatever the lists say now.
    A blanket order needs its period and reserves no stock; a call-off (`call_off`) is
    priced at its blanket's lines, with the blanket's rep and territory, and its discounts,
    approved with the blanket, are not asked again.

    The order is written as typed rows through the order store: this is the path every
    order takes, online and from the sync push. It returns what it wrote, for the answer.
    """
    check_blanket_period(data.order_type, data.valid_from, data.valid_to)
    today = date.today()
    check_schedule(data.order_type, data.scheduled_date, today)
    session = uow.session
    store = uow.scoped(OrderStore)
    reference = await reference_data(session)
    scope = await load_scope(session, user, reference=reference)
    customer = await _placing_customer(uow, scope, user, data.customer_id)
    if needs_credit_turn(uow, customer.credit_limit_cents, data.id):
        # Read again in the customer's credit turn: every order of this customer accepted
        # before this one has committed when the checks below read, and so has a replay.
        customer = await _placing_customer(uow, scope, user, data.customer_id, in_turn=True)
    if data.id is not None and await store.exists(data.id):
        raise Conflict(
            "An order with this id already exists.", code="order_id_taken", details={"id": data.id}
        )
    quote, quoted = None, None
    if data.quote_id is not None:
        quote, quoted = await claim_for_order(uow, scope, data.quote_id, customer.id, today)
    outcome = await price_for_customer(
        session,
        customer,
        _requested(data, call_off),
        on=today,
        order_discount_percent=data.order_discount_percent,
        shipping_cents=data.shipping_cents,
        quoted=quoted,
        ship_to_address_id=data.ship_to_address_id,
        reference=reference,
    )
    priced = outcome.priced
    limit = Decimal(str(customer.placer_discount_limit or 0))
    if call_off is not None:
        limit = max(limit, Decimal(str(call_off.blanket.discount_percent)))
    discount = requested_discount_percent(priced, data.order_discount_percent)
    credit = await credit_standing(uow, customer)
    verdict = decide_submission(
        OrderCheckInput(
            customer_status=customer.status,
            customer_on_hold=credit.on_hold,
            credit_limit_cents=credit.limit_cents,
            open_receivables_cents=credit.open_receivables_cents,
            open_orders_cents=credit.open_orders_cents,
            order_total_cents=priced.total_cents,
            discount_percent=discount,
            discount_limit_percent=limit,
            inactive_product_ids=tuple(outcome.inactive_product_ids),
            below_floor_line_ids=tuple(outcome.below_floor_line_ids),
            quantity_errors=tuple(outcome.line_errors),
        )
    )

    territory = reference.territory
    now = utcnow()
    # The order is written once, with its verdict: the events below record the path draft ->
    # submitted -> verdict that it took inside this transaction.
    path = [OrderStatus.DRAFT]
    for action in ("submit", _VERDICT_ACTION[verdict.status]):
        path.append(next_order_status(path[-1], action))
    order = OrderRow(
        id=data.id or new_id(),
        number="",  # taken last, below
        customer_id=customer.id,
        quote_id=data.quote_id,
        status=path[-1].value,
        fulfilment_status=FulfilmentStatus.UNALLOCATED.value,
        billing_status="not_invoiced",
        order_type=data.order_type,
        channel=data.channel,
        priority=data.priority,
        ship_complete=data.ship_complete,
        po_number=data.po_number.strip(),
        requested_delivery_date=data.requested_delivery_date,
        shipping_method=data.shipping_method,
        payment_terms=customer.payment_terms,
        notes=data.notes.strip(),
        bill_to=outcome.bill_to,
        ship_to=outcome.ship_to,
        territory_id=customer.territory_id,
        territory_name=territory.names.get(customer.territory_id, ""),
        # A territory without an owner: the customer's owner, else the rep placing it.
        rep_id=(
            territory.owner_on(customer.territory_id, today)
            or customer.owner_id
            or (user.id if user.role == "rep" else None)
        ),
        manager_ids=territory.managers_on(customer.territory_id, today),
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        discount_percent=discount,
        approval_reasons=[msgspec.structs.asdict(r) for r in verdict.reasons],
        client_total_cents=data.client_total_cents,
        created_by=user.id,
        placed_at=now,
        decided_by=None,
        decided_at=None,
        cancelled_at=None,
        version=1,
        updated_at=now,
        subtotal_cents=priced.subtotal_cents,
        discount_cents=priced.discount_cents,
        net_cents=priced.net_cents,
        tax_cents=priced.tax_cents,
        shipping_cents=priced.shipping_cents,
        shipping_tax_cents=priced.shipping_tax_cents,
        total_cents=priced.total_cents,
        order_discount_percent=data.order_discount_percent,
        currency="USD",
        scheduled_date=data.scheduled_date,
        supplier_reference=data.supplier_reference.strip(),
    )
    if call_off is not None:
        # The blanket's snapshot: the call-off belongs to the agreement's rep and territory.
        blanket = call_off.blanket
        order.blanket_order_id = blanket.id
        order.territory_id, order.territory_name = blanket.territory_id, blanket.territory_name
        order.rep_id, order.manager_ids = blanket.rep_id, list(blanket.manager_ids)
    lines = [
        OrderLineRow(id=new_id(), order_id=order.id, **columns)
        for columns in outcome.line_columns()
    ]
    if call_off is not None:
        for line, drawn_on in zip(lines, call_off.lines, strict=True):
            line.blanket_line_id = drawn_on.id
    confirmed = order.status == OrderStatus.CONFIRMED
    if confirmed:
        # The commission plan is read before the stock rows and the number are taken
        # (crediting below reuses it).
        await uow.scoped(CommissionStore).plan_on(order.placed_at.date())
    plan = None
    if confirmed and reserves_stock(order.order_type):
        plan = await allocate(
            store, order, lines, preferred_warehouse_id=customer.preferred_warehouse_id
        )
    # From here on the order holds its products' stock rows, and from its number on the
    # series' counter row, which every order of every customer waits for: both to commit.
    # So the rows that need no number are written first (the order and its lines under a
    # provisional number, the reservations), and the number is taken in the last steps,
    # before only what must carry it (the number itself, the events, the messages).
    await store.insert(order, lines)
    if plan is not None:
        await store.reserve(order.id, plan.reservations)
    await store.set_number(order, await next_number(uow, "SO"))
    reason = "; ".join(r.message for r in verdict.reasons) or None
    events = [
        order_event(
            order=order,
            actor_id=user.id,
            action="submit",
            from_state=path[0].value,
            to_state=path[1].value,
            data={
                "channel": data.channel,
                "total_cents": order.total_cents,
                "quote_id": data.quote_id,
            },
        ),
        order_event(
            order=order,
            actor_id=user.id,
            action=_VERDICT_ACTION[verdict.status],
            from_state=path[1].value,
            to_state=path[2].value,
            reason=reason,
        ),
    ]
    if plan is not None:
        events.append(allocation_event(order, user.id, FulfilmentStatus.UNALLOCATED.value, plan))
    written_events = await uow.audit.record(*events)
    await uow.outbox.emit(*placed_events(order, plan))
    if quote is not None:
        quote.converted_order_id = order.id
        await uow.audit.record(
            quote_event(
                quote=quote,
                actor_id=user.id,
                action="convert",
                from_state=quote.status,
                to_state=quote.status,
                data={"order_id": order.id, "order_number": order.number},
            )
        )
        uow.feed.touch_all(quote_changes(quote, customer.territory_id))
    if confirmed:
        # Only a confirmed order can earn at placement (nothing is invoiced yet).
        categories = {pid: p.category_id for pid, p in outcome.products.items()}
        await credit_placed_order(uow, order, lines, categories, reason=f"placed {order.number}")
    uow.feed.touch_all(order_changes(order, customer))
    return PlacedOrder(order, lines, written_events)


def _requested(data: OrderCreateIn, call_off: CallOffTerms | None) -> list[RequestedLine]:
    if call_off is None:
        return [RequestedLine(x.product_id, x.quantity, x.discount_percent) for x in data.lines]
    return [
        RequestedLine(
            x.product_id,
            x.quantity,
            x.discount_percent,
            agreed=QuotedPrice(b.unit_price_cents, b.price_list_id, b.price_list_version),
        )
        for x, b in zip(data.lines, call_off.lines, strict=True)
    ]


async def convert_quote(
    uow: WriteUnit, user: CurrentUser, quote_id: str, header: ConvertIn
) -> PlacedOrder:
    """Place the order of an accepted quote: its lines and discounts at the quoted prices,
    with the order header the person gives (notes default to the quote's)."""
    scope = await load_scope(uow.session, user)
    quote = await get_visible_quote(uow.session, scope, quote_id)
    lines = await quote_lines(uow.session, quote.id)
    return await place_order(
        uow,
        user,
        OrderCreateIn(
            customer_id=quote.customer_id,
            quote_id=quote.id,
            lines=[LineIn(x.product_id, x.quantity, x.discount_percent) for x in lines],
            order_discount_percent=quote.order_discount_percent,
            shipping_cents=quote.shipping_cents,
            id=header.id,
            ship_to_address_id=header.ship_to_address_id,
            po_number=header.po_number,
            requested_delivery_date=header.requested_delivery_date,
            shipping_method=header.shipping_method,
            notes=header.notes or quote.notes,
            channel=header.channel,
            order_type=header.order_type,
            priority=header.priority,
            ship_complete=header.ship_complete,
            scheduled_date=header.scheduled_date,
            supplier_reference=header.supplier_reference,
        ),
    )
