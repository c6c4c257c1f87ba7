"""A working day on top of the demo data: orders placed by the demo reps through the order
desk, and what the back office did with them.

Every step goes through the product's own services, each in its own unit of work as its
API endpoint would run it, so stock, reservations, numbers, audit events, the sync feed,
the outbox, sales sums and commission are exactly what the product itself writes. The
demo then opens on screens with work on them: a manager's approvals and dashboard, the
fulfilment and invoicing queues, open receivables, the reps' earnings of the month.

Each rep places `ORDERS_PER_REP` orders for the first customers they own. The order's
place in that list says what becomes of it:

| order | what it is | what happens next |
| ---: | --- | --- |
| 0 | confirmed | shipped from every warehouse holding it, delivered, invoiced, paid in full |
| 1 | confirmed | shipped, invoiced; the invoice is open |
| 2 | confirmed | shipped; waiting to be invoiced |
| 3 | confirmed | waiting to be picked |
| 4 | a discount above the rep's limit | waits for the manager's approval |
| 5 | a discount above the rep's limit | approved by the manager (the first rep's only) |

Each rep also writes `QUOTES_PER_REP` quotes for their next customers: one still a draft,
one sent to the customer, and one the customer accepted, ready to become an order.

Before the first order the admin sets up the commission the reps earn on it: a plan paid
on invoiced revenue, with a tier above quota and a manager override, and each rep's quota
for the month. Choices are drawn from a seeded generator, so the same demo data gives the
same day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

# The sales package first: the feature packages reach each other through their page
# modules, and the app loads sales before billing.
from server.features.sales.approvals import approve  # isort: skip
from server.features.sales.order_service import place_order  # isort: skip
from server.features.sales.quote_service import create_quote, transition  # isort: skip
from server.db.engine import Database
from server.db.models import Customer, PriceListItem, Product, StockLevel, User
from server.domain.actor import CurrentUser
from server.domain.commission import period_of
from server.features.billing.invoicing import invoice_shipment
from server.features.billing.payments import record_payment
from server.features.commission.plans import create_plan, set_quota
from server.features.commission.schemas import PlanIn, QuotaIn, TierIn
from server.features.fulfilment.pick_lists import reserved_by_warehouse
from server.features.fulfilment.schemas import DeliverIn, ShipmentIn
from server.features.fulfilment.shipments import create_shipment, deliver
from server.features.sales.order_store import OrderRow
from server.features.sales.schemas import LineIn, OrderCreateIn, QuoteCreateIn

__all__ = ["ORDERS_PER_REP", "QUOTES_PER_REP", "DemoDay", "place_demo_day"]

ORDERS_PER_REP = 6
# (action, ...) taken on each of a rep's quotes after writing it, in order.
_QUOTE_PATHS: tuple[tuple[str, ...], ...] = ((), ("send",), ("send", "accept"))
QUOTES_PER_REP = len(_QUOTE_PATHS)
_SEED = 20_260_101
# Above a rep's discount limit (10 %), within a manager's (30 %).
_DISCOUNT_NEEDING_APPROVAL = Decimal(15)
_MOST_LINES = 4
# Products with at least this many units free, so the day's orders are filled from stock.
_MIN_AVAILABLE = 40


@dataclass
class DemoDay:
    """What the day left, for the loader's message and the tests."""

    orders: int = 0
    awaiting_approval: int = 0
    shipments: int = 0
    invoices: int = 0
    payments: int = 0
    quotes: int = 0


# A month's quota per rep (the manager's dashboard shows the month against it by
# default): a day's orders reach part of it.
_QUOTA_CENTS = 2_500_000


def _actor(user: User) -> CurrentUser:
    return CurrentUser(id=user.id, email=user.email, full_name=user.full_name, role=user.role)


async def _people(db: Database) -> tuple[CurrentUser, CurrentUser, list[CurrentUser]]:
    async with db.read() as unit:
        users = (
            await unit.session.scalars(
                select(User)
                .where(User.is_demo.is_(True), User.active.is_(True))
                .order_by(User.email)
            )
        ).all()
    admin = next(_actor(u) for u in users if u.role == "admin")
    manager = next(_actor(u) for u in users if u.role == "manager")
    return admin, manager, [_actor(u) for u in users if u.role == "rep"]


async def _customers_of(db: Database, rep_id: str) -> list[str]:
    """The rep's first active customers by number: those the orders are for, then those
    the quotes are for (the day's largest order is well inside the smallest demo credit
    limit)."""
    async with db.read() as unit:
        return list(
            await unit.session.scalars(
                select(Customer.id)
                .where(Customer.owner_id == rep_id, Customer.status == "active")
                .order_by(Customer.number)
                .limit(ORDERS_PER_REP + QUOTES_PER_REP)
            )
        )


async def _stocked_products(db: Database) -> list[str]:
    """Active products sold by the unit, with units free in every warehouse that stocks
    them, whose floor price leaves room for the discounts below on every list, by SKU."""
    lowest_price = (
        select(PriceListItem.product_id, func.min(PriceListItem.unit_price_cents).label("cents"))
        .group_by(PriceListItem.product_id)
        .subquery()
    )
    free = func.min(StockLevel.on_hand - StockLevel.allocated)
    async with db.read() as unit:
        return list(
            await unit.session.scalars(
                select(Product.id)
                .join(StockLevel, StockLevel.product_id == Product.id)
                .join(lowest_price, lowest_price.c.product_id == Product.id)
                .where(
                    Product.active.is_(True),
                    Product.min_order_qty <= 1,
                    Product.pack_size == 1,
                    Product.floor_price_cents * 100
                    <= lowest_price.c.cents * (100 - 2 * _DISCOUNT_NEEDING_APPROVAL),
                )
                .group_by(Product.id, Product.sku)
                .having(free >= _MIN_AVAILABLE)
                .order_by(Product.sku)
            )
        )


async def _set_up_commission(
    db: Database, admin: CurrentUser, reps: list[CurrentUser], today: date
) -> None:
    plan = PlanIn(
        code="FIELD",
        name="Field sales",
        valid_from=today.replace(month=1, day=1),
        basis="invoiced",
        default_rate="5",
        tier_mode="marginal",
        tiers=[TierIn(from_percent="100", multiplier="1.5")],
        manager_override_rate="1",
    )
    async with db.write() as uow:
        await create_plan(uow, admin, plan)
        for rep in reps:
            quota = QuotaIn(rep_id=rep.id, period=period_of(today), quota_cents=_QUOTA_CENTS)
            await set_quota(uow, quota)


async def _ship_everything(db: Database, admin: CurrentUser, order_id: str) -> list[str]:
    """A shipment from each warehouse holding units for the order; their ids."""
    async with db.read() as unit:
        warehouses = sorted(await reserved_by_warehouse(unit.session, order_id))
    shipped = []
    for warehouse_id in warehouses:
        async with db.write() as uow:
            shipped.append(
                await create_shipment(
                    uow,
                    admin,
                    order_id,
                    ShipmentIn(warehouse_id=warehouse_id, carrier="UPS", service="Ground"),
                )
            )
    return shipped


async def place_demo_day(db: Database, *, today: date | None = None) -> DemoDay:
    """Place and work the demo reps' orders (see the module); once, right after the demo
    data was loaded into an empty database."""
    day = DemoDay()
    rng = random.Random(_SEED)
    today = today or date.today()
    admin, manager, reps = await _people(db)
    products = await _stocked_products(db)
    if len(products) < _MOST_LINES:
        return day
    await _set_up_commission(db, admin, reps, today)
    for rep_number, rep in enumerate(reps):
        customers = await _customers_of(db, rep.id)
        for customer_id, actions in zip(customers[ORDERS_PER_REP:], _QUOTE_PATHS, strict=False):
            lines = _lines(rng, products, Decimal(0))
            async with db.write() as uow:
                quote = await create_quote(uow, rep, QuoteCreateIn(customer_id, lines))
                for action in actions:
                    await transition(uow, rep, quote.id, action)
            day.quotes += 1
        for place, customer_id in enumerate(customers[:ORDERS_PER_REP]):
            over_limit = place >= 4
            discount = _DISCOUNT_NEEDING_APPROVAL if over_limit else Decimal(0)
            lines = _lines(rng, products, discount)
            data = OrderCreateIn(
                customer_id=customer_id, lines=lines, po_number=f"PO-{rng.randint(1000, 9999)}"
            )
            async with db.write() as uow:
                order = (await place_order(uow, rep, data)).order
            day.orders += 1
            if order.status == "pending_approval":
                if place == 5 and rep_number == 0:
                    async with db.write() as uow:
                        await approve(uow, manager, order.id)
                else:
                    day.awaiting_approval += 1
            elif place <= 2:
                await _fulfil(db, admin, order, place, today, day)
    return day


def _lines(rng: random.Random, products: list[str], discount: Decimal) -> list[LineIn]:
    return [
        LineIn(product_id=product_id, quantity=rng.randint(1, 8), discount_percent=discount)
        for product_id in rng.sample(products, rng.randint(2, _MOST_LINES))
    ]


async def _fulfil(
    db: Database, admin: CurrentUser, order: OrderRow, place: int, today: date, day: DemoDay
) -> None:
    """The back office's part in the first three orders of a rep (see the module)."""
    shipment_ids = await _ship_everything(db, admin, order.id)
    day.shipments += len(shipment_ids)
    if place == 2:
        return
    billed = 0
    for shipment_id in shipment_ids:
        if place == 0:
            async with db.write() as uow:
                await deliver(uow, admin, shipment_id, DeliverIn(delivered_on=today))
        async with db.write() as uow:
            billed += (await invoice_shipment(uow, admin, shipment_id)).invoice.total_cents
        day.invoices += 1
    if place == 0 and billed:
        async with db.write() as uow:
            await record_payment(
                uow,
                admin.id,
                customer_id=order.customer_id,
                amount_cents=billed,
                method="bank_transfer",
                reference=f"Remittance {order.number}",
                received_on=today,
                allocations=None,
            )
        day.payments += 1
