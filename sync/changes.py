"""The change feed: every write transaction that changes pullable data records it here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.direct import direct
from server.db.models import ChangeCounter, ChangeRecord, Customer, PriceList, Quote, SalesOrder
from server.db.models.base import table_of
from server.db.types import utcnow

__all__ = [
    "forget_transaction_seq",
    "record_change",
    "record_changes",
    "record_customer_moved",
    "record_document_change",
    "record_order_change",
    "record_price_list_change",
    "record_product_change",
    "record_quote_change",
    "transaction_seq_taken",
]

_SEQ_KEY = "fieldsales.change_seq"

_NEXT_SEQ = (
    update(ChangeCounter).where(ChangeCounter.id == 1)
    .values(value=ChangeCounter.value + 1).returning(ChangeCounter.value)
)
# Every column but the key, which the database assigns.
_INSERT = insert(table_of(ChangeRecord)).values({
    name: bindparam(name) for name in ("seq", "entity_type", "entity_id", "territory_id", "owner_id", "at")
})
_CUSTOMER = select(
    Customer.id, Customer.territory_id, Customer.status, Customer.created_by, Customer.owner_id
).where(Customer.id == bindparam("id"))


async def _transaction_seq(session: AsyncSession) -> int:
    """The counter value of this transaction, taken once, with the counter row locked
    until commit (see ChangeCounter for why that keeps the feed gap-free)."""
    cached = session.info.get(_SEQ_KEY)
    if cached is not None:
        return int(cached)
    value = await direct(session).scalar(_NEXT_SEQ)
    session.info[_SEQ_KEY] = int(value or 0)
    return int(value or 0)


def transaction_seq_taken(session: AsyncSession) -> bool:
    return session.info.get(_SEQ_KEY) is not None


def forget_transaction_seq(session: AsyncSession) -> None:
    """The savepoint that took the counter value was rolled back, and the increment with
    it: the next change in this transaction must take a value again, or it would share one
    with the next transaction to commit."""
    session.info.pop(_SEQ_KEY, None)


async def record_change(
    session: AsyncSession, *, entity_type: str, entity_id: str,
    territory_id: str | None = None, owner_id: str | None = None,
) -> None:
    await record_changes(session, [(entity_type, entity_id, territory_id, owner_id)])


async def record_changes(
    session: AsyncSession, changes: Iterable[tuple[str, str, str | None, str | None]]
) -> None:
    """Several changes at once: (entity_type, entity_id, territory_id, owner_id) each."""
    changes = list(changes)
    if not changes:
        return
    seq = await _transaction_seq(session)
    now = utcnow()
    await direct(session).execute_many(_INSERT, [
        {"seq": seq, "entity_type": entity_type, "entity_id": entity_id,
         "territory_id": territory_id, "owner_id": owner_id, "at": now}
        for entity_type, entity_id, territory_id, owner_id in changes
    ])


async def record_document_change(
    session: AsyncSession, *, entity_type: str, entity_id: str, territory_ids: Iterable[str | None],
    owner_ids: Iterable[str | None],
) -> None:
    """A quote or order changed: tell the territories that see it (the one it was placed in
    and its customer's current one) and the people who see it as theirs."""
    await record_changes(session, _document_changes(entity_type, entity_id, territory_ids, owner_ids))


def _document_changes(
    entity_type: str, entity_id: str, territory_ids: Iterable[str | None],
    owner_ids: Iterable[str | None],
) -> list[tuple[str, str, str | None, str | None]]:
    return [
        *((entity_type, entity_id, t, None) for t in sorted({t for t in territory_ids if t})),
        *((entity_type, entity_id, None, o) for o in sorted({o for o in owner_ids if o})),
    ]


async def record_order_change(session: AsyncSession, order: Any, customer: Any = None) -> None:
    """An order changed; its customer's open orders (the credit exposure it carries) did too.

    `customer`: a row with id, territory_id, status, created_by and owner_id when the
    caller holds one already (read in this transaction); else it is read here."""
    if customer is None:
        customer = await direct(session).first(_CUSTOMER, {"id": order.customer_id})
    territory_ids = [order.territory_id, customer.territory_id if customer else None]
    changes = _document_changes("order", order.id, territory_ids, [order.rep_id])
    if customer is not None:
        owner = customer.created_by if customer.status == "prospect" else customer.owner_id
        changes.append(("customer", customer.id, customer.territory_id, owner))
    await record_changes(session, changes)


async def record_quote_change(session: AsyncSession, quote: Quote) -> None:
    customer_territory = await session.scalar(select(Customer.territory_id).where(Customer.id == quote.customer_id))
    await record_document_change(
        session, entity_type="quote", entity_id=quote.id,
        territory_ids=[quote.territory_id, customer_territory], owner_ids=[quote.rep_id, quote.created_by],
    )


async def record_product_change(session: AsyncSession, product_ids: Iterable[str]) -> None:
    """These products (their data or their availability) changed; the catalog is everyone's."""
    changes = [("product", product_id, None, None) for product_id in sorted(set(product_ids))]
    if changes:
        await record_changes(session, changes)


async def record_customer_moved(
    session: AsyncSession, *, customer_id: str, territory_id: str, previous_territory_id: str,
) -> None:
    """What a phone sees through the customer follows it: its own price lists (the new
    territory's phones need them to price its orders) and its quotes and orders. Phones of
    the old territory re-read them and drop what they no longer see."""
    followers = [
        ("price_list", select(PriceList.id).where(PriceList.kind == "customer", PriceList.customer_id == customer_id)),
        ("quote", select(Quote.id).where(Quote.customer_id == customer_id)),
        ("order", select(SalesOrder.id).where(SalesOrder.customer_id == customer_id)),
    ]
    for entity_type, ids in followers:
        for entity_id in (await session.execute(ids.order_by(ids.selected_columns[0]))).scalars().all():
            for territory in (territory_id, previous_territory_id):
                await record_change(session, entity_type=entity_type, entity_id=entity_id, territory_id=territory)


async def record_price_list_change(session: AsyncSession, price_list: PriceList) -> None:
    """Base and tier lists are everyone's; a customer's list goes where the customer is seen."""
    territory_id = None
    if price_list.kind == "customer" and price_list.customer_id:
        territory_id = await session.scalar(select(Customer.territory_id).where(Customer.id == price_list.customer_id))
    await record_change(session, entity_type="price_list", entity_id=price_list.id, territory_id=territory_id)
