"""The open quotes and orders of the customers a realignment moves: listed in its preview,
and on apply the quotes handed to the new territory and owner (server/domain/open_documents.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Quote, SalesOrder
from server.db.types import utcnow
from server.db.unit_of_work import Change, WriteUnit
from server.domain.open_documents import (
    OPEN_ORDER_STATUSES,
    OPEN_QUOTE_STATUSES,
    DocumentChange,
    OpenDocument,
    realigned_documents,
)
from server.domain.territories import CustomerMove
from server.features.sales.quote_service import touch_quote
from server.features.territories.schemas import OpenDocumentOut

__all__ = ["affected_documents", "hand_over_quotes"]


async def affected_documents(
    session: AsyncSession, moves: list[CustomerMove]
) -> tuple[list[DocumentChange], list[OpenDocumentOut]]:
    """What happens to each open document of the moving customers, and how it is shown."""
    customer_ids = [m.customer_id for m in moves]
    if not customer_ids:
        return [], []
    quotes = (
        await session.execute(
            select(
                Quote.id,
                Quote.number,
                Quote.status,
                Quote.customer_id,
                Quote.territory_id,
                Quote.rep_id,
            ).where(
                Quote.customer_id.in_(customer_ids),
                Quote.status.in_([str(s) for s in OPEN_QUOTE_STATUSES]),
                Quote.converted_order_id.is_(None),
            )
        )
    ).all()
    orders = (
        await session.execute(
            select(
                SalesOrder.id,
                SalesOrder.number,
                SalesOrder.status,
                SalesOrder.customer_id,
                SalesOrder.territory_id,
                SalesOrder.rep_id,
            ).where(
                SalesOrder.customer_id.in_(customer_ids),
                SalesOrder.status.in_([str(s) for s in OPEN_ORDER_STATUSES]),
            )
        )
    ).all()
    shown = {("quote", r.id): r for r in quotes} | {("order", r.id): r for r in orders}
    changes = realigned_documents(
        moves,
        [
            OpenDocument(kind, r.id, r.customer_id, r.territory_id, r.rep_id)
            for (kind, _), r in shown.items()
        ],
    )
    out = [
        OpenDocumentOut(
            kind=c.document.kind,
            id=c.document.id,
            number=shown[(c.document.kind, c.document.id)].number,
            status=shown[(c.document.kind, c.document.id)].status,
            customer_id=c.document.customer_id,
            territory_id=c.document.territory_id,
            rep_id=c.document.rep_id,
            new_territory_id=c.new_territory_id,
            new_rep_id=c.new_rep_id,
        )
        for c in changes
    ]
    return changes, out


async def hand_over_quotes(uow: WriteUnit, changes: list[DocumentChange]) -> None:
    """Open quotes go with their customer; the rep who loses one hears of it on the next pull."""
    session = uow.session
    handed = {c.document.id: c for c in changes if c.document.kind == "quote" and c.hands_over}
    if not handed:
        return
    # Row locks in primary-key order, as every other writer of quotes takes them.
    quotes = (
        (
            await session.execute(
                select(Quote).where(Quote.id.in_(handed)).order_by(Quote.id).with_for_update()
            )
        )
        .scalars()
        .all()
    )
    now = utcnow()
    for quote in quotes:
        change = handed[quote.id]
        previous_rep = quote.rep_id
        quote.territory_id, quote.rep_id, quote.updated_at = (
            change.new_territory_id,
            change.new_rep_id,
            now,
        )
        await touch_quote(uow, quote)
        if previous_rep and previous_rep != quote.rep_id:
            uow.feed.touch(Change("quote", quote.id, owner_id=previous_rep))
