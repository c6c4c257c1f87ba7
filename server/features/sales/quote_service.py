"""Named actions on quotes: create, save (draft only), send, revise, accept, decline, expire.

A quote is priced by the same function as an order. Sending freezes the revision into
QuoteRevision; revising starts the next revision in draft, re-priced at today's lists,
while the frozen ones stay readable. Expiry runs from a periodic job (`expire_quotes`) and
on every read of a quote past its validity date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from msgspec import UnsetType
from sqlalchemy import delete, select

from server.db.engine import Database
from server.db.models import Customer, Quote, QuoteLine, QuoteRevision
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.actor import CurrentUser
from server.domain.errors import Conflict, ValidationFailed
from server.domain.orders import QuoteStatus, next_quote_status
from server.domain.territories import owner_on
from server.features.customers.queries import get_visible
from server.features.notifications.events import quote_sent
from server.features.sales.changes import quote_changes
from server.features.sales.events import quote_event
from server.features.sales.pricing import QuotedPrice, RequestedLine, price_for_customer
from server.features.sales.quote_queries import get_visible_quote, quote_lines, snapshot
from server.features.sales.schemas import LineIn, QuoteCreateIn, QuoteUpdateIn
from server.features.shared.job_claims import claim_job_run
from server.features.shared.numbers import next_number
from server.features.shared.scope import Scope, load_scope
from server.features.shared.territory_data import load_territory_data

__all__ = [
    "DEFAULT_VALIDITY_DAYS",
    "apply_transition",
    "claim_for_order",
    "create_quote",
    "expire_if_due",
    "expire_quotes",
    "touch_quote",
    "transition",
    "update_quote",
]

DEFAULT_VALIDITY_DAYS = 30
_EXPIRABLE = (QuoteStatus.DRAFT.value, QuoteStatus.SENT.value)


def _requested(lines: Sequence[LineIn | QuoteLine]) -> list[RequestedLine]:
    return [RequestedLine(x.product_id, x.quantity, x.discount_percent) for x in lines]


async def _price_into(
    uow: WriteUnit, quote: Quote, customer: Customer, requested: list[RequestedLine]
) -> None:
    """Re-price `requested` at today's lists and replace the quote's lines and totals."""
    session = uow.session
    outcome = await price_for_customer(
        session,
        customer,
        requested,
        on=date.today(),
        order_discount_percent=quote.order_discount_percent,
        shipping_cents=quote.shipping_cents,
    )
    outcome.raise_for_errors()
    priced = outcome.priced
    await session.execute(delete(QuoteLine).where(QuoteLine.quote_id == quote.id))
    for columns in outcome.line_columns():
        session.add(QuoteLine(id=new_id(), quote_id=quote.id, **columns))
    quote.subtotal_cents, quote.discount_cents = priced.subtotal_cents, priced.discount_cents
    quote.net_cents, quote.tax_cents = priced.net_cents, priced.tax_cents
    quote.shipping_tax_cents, quote.total_cents = priced.shipping_tax_cents, priced.total_cents
    quote.updated_at = utcnow()
    await session.flush()


async def touch_quote(uow: WriteUnit, quote: Quote) -> None:
    """The quote changed: tell the phones that see it."""
    territory_id = await uow.session.scalar(
        select(Customer.territory_id).where(Customer.id == quote.customer_id)
    )
    uow.feed.touch_all(quote_changes(quote, territory_id))


def _check_validity(valid_until: date, today: date) -> None:
    if valid_until < today:
        raise ValidationFailed(
            "valid_until must not be in the past.",
            code="valid_until_past",
            details={"valid_until": valid_until.isoformat()},
        )


async def create_quote(uow: WriteUnit, user: CurrentUser, data: QuoteCreateIn) -> Quote:
    session = uow.session
    today = date.today()
    scope = await load_scope(session, user)
    customer = await get_visible(session, scope, data.customer_id)
    if customer.status == "inactive":
        raise ValidationFailed("The customer is inactive.", code="customer_inactive")
    if data.id is not None and await session.get(Quote, data.id) is not None:
        raise Conflict("A quote with this id already exists.", code="quote_id_taken")
    valid_until = data.valid_until or today + timedelta(days=DEFAULT_VALIDITY_DAYS)
    _check_validity(valid_until, today)
    territory = await load_territory_data(session)
    now = utcnow()
    quote = Quote(
        id=data.id or new_id(),
        number=await next_number(uow, "Q"),
        customer_id=customer.id,
        status=QuoteStatus.DRAFT.value,
        revision=1,
        valid_until=valid_until,
        territory_id=customer.territory_id,
        rep_id=owner_on(territory.assignments, customer.territory_id, today) or customer.owner_id,
        created_by=user.id,
        notes=data.notes.strip(),
        order_discount_percent=data.order_discount_percent,
        shipping_cents=data.shipping_cents,
        currency="USD",
        created_at=now,
        updated_at=now,
    )
    session.add(quote)
    await session.flush()
    await _price_into(uow, quote, customer, _requested(data.lines))
    await uow.audit.record(
        quote_event(
            quote=quote, actor_id=user.id, action="create", from_state=None, to_state=quote.status
        )
    )
    await touch_quote(uow, quote)
    return quote


async def _load(uow: WriteUnit, user: CurrentUser, quote_id: str) -> tuple[Scope, Quote]:
    session = uow.session
    scope = await load_scope(session, user)
    quote = await get_visible_quote(session, scope, quote_id, lock=True)
    await expire_if_due(uow, quote, date.today(), actor_id=None)
    return scope, quote


async def update_quote(
    uow: WriteUnit, user: CurrentUser, quote_id: str, data: QuoteUpdateIn
) -> Quote:
    """Edit a draft: given fields replace the old ones and the whole quote is re-priced."""
    session = uow.session
    _, quote = await _load(uow, user, quote_id)
    next_quote_status(QuoteStatus(quote.status), "save")
    if not isinstance(data.valid_until, UnsetType):
        _check_validity(data.valid_until, date.today())
        quote.valid_until = data.valid_until
    if not isinstance(data.notes, UnsetType):
        quote.notes = data.notes.strip()
    if not isinstance(data.shipping_cents, UnsetType):
        quote.shipping_cents = data.shipping_cents
    if not isinstance(data.order_discount_percent, UnsetType):
        quote.order_discount_percent = data.order_discount_percent
    lines = (
        data.lines
        if not isinstance(data.lines, UnsetType)
        else await quote_lines(session, quote.id)
    )
    customer = await session.get(Customer, quote.customer_id)
    assert customer is not None
    await _price_into(uow, quote, customer, _requested(lines))
    await uow.audit.record(
        quote_event(
            quote=quote,
            actor_id=user.id,
            action="save",
            from_state=quote.status,
            to_state=quote.status,
        )
    )
    await touch_quote(uow, quote)
    return quote


async def _freeze(uow: WriteUnit, quote: Quote) -> None:
    """Keep the current revision as it stands (once per revision)."""
    session = uow.session
    exists = await session.scalar(
        select(QuoteRevision.id).where(
            QuoteRevision.quote_id == quote.id, QuoteRevision.revision == quote.revision
        )
    )
    if exists is None:
        session.add(
            QuoteRevision(
                id=new_id(),
                quote_id=quote.id,
                revision=quote.revision,
                snapshot=await snapshot(session, quote),
                created_at=utcnow(),
            )
        )
        await session.flush()


async def transition(
    uow: WriteUnit,
    user: CurrentUser,
    quote_id: str,
    action: str,
    reason: str | None = None,
) -> Quote:
    """send, revise, accept or decline."""
    _, quote = await _load(uow, user, quote_id)
    return await apply_transition(uow, quote, action, actor_id=user.id, reason=reason)


async def apply_transition(
    uow: WriteUnit,
    quote: Quote,
    action: str,
    *,
    actor_id: str | None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> Quote:
    """`transition` on a quote already loaded (locked) by a caller that checked its right
    to act on it: a user's scope, or a customer's portal link (`actor_id` None, the
    signature and address in `data`)."""
    session = uow.session
    today = date.today()
    before = quote.status
    target = next_quote_status(
        QuoteStatus(before), action, today=today, valid_until=quote.valid_until
    )
    if action == "revise":
        await _freeze(uow, quote)  # the revision as it went out, if sending missed it
    quote.status = target.value
    if action == "send":
        await _freeze(uow, quote)  # frozen as the customer received it: status "sent"
    if action == "revise":
        quote.revision += 1
        if quote.valid_until < today:
            quote.valid_until = today + timedelta(days=DEFAULT_VALIDITY_DAYS)
        customer = await session.get(Customer, quote.customer_id)
        assert customer is not None
        current = await quote_lines(session, quote.id)
        await _price_into(uow, quote, customer, _requested(current))
    quote.updated_at = utcnow()
    await uow.audit.record(
        quote_event(
            quote=quote,
            actor_id=actor_id,
            action=action,
            from_state=before,
            to_state=quote.status,
            reason=reason,
            data=data,
        )
    )
    if action == "send":
        await uow.outbox.emit(quote_sent(quote=quote))
    await touch_quote(uow, quote)
    await session.flush()
    return quote


async def expire_if_due(uow: WriteUnit, quote: Quote, today: date, *, actor_id: str | None) -> bool:
    """Mark a draft or sent quote past its validity as expired. True if it changed."""
    if quote.status not in _EXPIRABLE or today <= quote.valid_until:
        return False
    before = quote.status
    quote.status = next_quote_status(QuoteStatus(before), "expire").value
    quote.updated_at = utcnow()
    await uow.audit.record(
        quote_event(
            quote=quote,
            actor_id=actor_id,
            action="expire",
            from_state=before,
            to_state=quote.status,
            reason=f"valid until {quote.valid_until}",
        )
    )
    return True


async def expire_quotes(db: Database, today: date | None = None) -> int:
    """The periodic job: expire every draft or sent quote past its validity date.

    Every server process schedules it; a run while another process's run is under way
    expires nothing (0) and leaves the work to that one (`claim_job_run`)."""
    today = today or date.today()
    async with db.write() as uow:
        if not await claim_job_run(uow, "quote_expiry"):
            return 0
        due = (
            (
                await uow.session.execute(
                    select(Quote)
                    .where(Quote.status.in_(_EXPIRABLE), Quote.valid_until < today)
                    .order_by(Quote.id)
                    .with_for_update()
                )
            )
            .scalars()
            .all()
        )
        expired = [quote for quote in due if await expire_if_due(uow, quote, today, actor_id=None)]
        for quote in expired:
            await touch_quote(uow, quote)
        return len(expired)


async def claim_for_order(
    uow: WriteUnit, scope: Scope, quote_id: str, customer_id: str, today: date
) -> tuple[Quote, dict[str, QuotedPrice]]:
    """An accepted, valid, unconverted quote of this customer and the prices it promised."""
    session = uow.session
    quote = await get_visible_quote(session, scope, quote_id, lock=True)
    if quote.customer_id != customer_id:
        raise ValidationFailed("The quote is for another customer.", code="quote_customer_mismatch")
    next_quote_status(
        QuoteStatus(quote.status),
        "convert",
        today=today,
        valid_until=quote.valid_until,
        converted=quote.converted_order_id is not None,
    )
    prices = {
        line.product_id: QuotedPrice(
            line.unit_price_cents, line.price_list_id, line.price_list_version
        )
        for line in await quote_lines(session, quote.id)
    }
    return quote, prices
