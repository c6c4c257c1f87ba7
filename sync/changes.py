"""The change feed: every write transaction that changes pullable data records it here."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import ChangeCounter, ChangeRecord, Customer, PriceList, Quote, SalesOrder
from server.db.types import new_id, utcnow

__all__ = [
    "record_change", "record_customer_moved", "record_document_change", "record_order_change",
    "record_price_list_change",
    "record_quote_change", "record_product_change",
]

_SEQ_KEY = "fieldsales.change_seq"


async def _transaction_seq(session: AsyncSession) -> int:
    """The counter value of this transaction, taken once, with the counter row locked
    until commit (see ChangeCounter for why that keeps the feed gap-free)."""
    cached = session.info.get(_SEQ_KEY)
    if cached is not None:
        return int(cached)
    value = await session.scalar(
        update(ChangeCounter).where(ChangeCounter.id == 1)
        .values(value=ChangeCounter.value + 1).returning(ChangeCounter.value)
    )
    session.info[_SEQ_KEY] = int(value or 0)
    return int(value or 0)


async def record_change(
    session: AsyncSession, *, entity_type: str, entity_id: str,
    territory_id: str | None = None, owner_id: str | None = None,
) -> None:
    seq = await _transaction_seq(session)
    session.add(ChangeRecord(
        id=new_id(), seq=seq, entity_type=entity_type, entity_id=entity_id,
        territory_id=territory_id, owner_id=owner_id, at=utcnow(),
    ))


async def record_document_change(
    session: AsyncSession, *, entity_type: str, entity_id: str, territory_ids: Iterable[str | None],
    owner_ids: Iterable[str | None],
) -> None:
    """A quote or order changed: tell the territories that see it (the one it was placed in
    and its customer's current one) and the people who see it as theirs."""
    for territory_id in sorted({t for t in territory_ids if t}):
        await record_change(session, entity_type=entity_type, entity_id=entity_id, territory_id=territory_id)
    for owner_id in sorted({o for o in owner_ids if o}):
        await record_change(session, entity_type=entity_type, entity_id=entity_id, owner_id=owner_id)


async def record_order_change(session: AsyncSession, order: SalesOrder) -> None:
    """An order changed; its customer's open orders (the credit exposure it carries) did too."""
    customer = await session.get(Customer, order.customer_id)
    territory_ids = [order.territory_id, customer.territory_id if customer else None]
    await record_document_change(session, entity_type="order", entity_id=order.id,
                                 territory_ids=territory_ids, owner_ids=[order.rep_id])
    if customer is not None:
        owner = customer.created_by if customer.status == "prospect" else customer.owner_id
        await record_change(session, entity_type="customer", entity_id=customer.id,
                            territory_id=customer.territory_id, owner_id=owner)


async def record_quote_change(session: AsyncSession, quote: Quote) -> None:
    customer_territory = await session.scalar(select(Customer.territory_id).where(Customer.id == quote.customer_id))
    await record_document_change(
        session, entity_type="quote", entity_id=quote.id,
        territory_ids=[quote.territory_id, customer_territory], owner_ids=[quote.rep_id, quote.created_by],
    )


async def record_product_change(session: AsyncSession, product_ids: Iterable[str]) -> None:
    """These products (their data or their availability) changed; the catalog is everyone's."""
    for product_id in sorted(set(product_ids)):
        await record_change(session, entity_type="product", entity_id=product_id)


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
