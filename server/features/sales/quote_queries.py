"""Reading quotes: row scope, detail, frozen revisions and the difference between two."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

import msgspec
from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import AuditEvent, Customer, Quote, QuoteLine, QuoteRevision
from server.domain.errors import NotFound
from server.domain.orders import QuoteStatus, allowed_quote_actions
from server.features.sales.order_queries import line_out, totals_of
from server.features.sales.schemas import DiffLine, QuoteDetail, QuoteDiff
from server.features.shared.scope import Scope, customer_filter

__all__ = [
    "any_due",
    "get_visible_quote",
    "list_quotes",
    "quote_detail",
    "quote_diff",
    "quote_filter",
    "quote_lines",
    "quote_timeline",
    "revisions",
    "snapshot",
]


def quote_filter(scope: Scope) -> ColumnElement[bool]:
    if scope.sees_all:
        return true()
    visible_customers = select(Customer.id).where(customer_filter(scope))
    return or_(
        Quote.customer_id.in_(visible_customers),
        Quote.rep_id == scope.user_id,
        Quote.created_by == scope.user_id,
    )


async def get_visible_quote(
    session: AsyncSession, scope: Scope, quote_id: str, *, lock: bool = False
) -> Quote:
    query = select(Quote).where(Quote.id == quote_id, quote_filter(scope))
    if lock:
        query = query.with_for_update(of=Quote).execution_options(populate_existing=True)
    quote = (await session.execute(query)).scalar_one_or_none()
    if quote is None:
        raise NotFound("No such quote.", code="quote_not_found")
    return quote


async def quote_lines(session: AsyncSession, quote_id: str) -> list[QuoteLine]:
    return list(
        (
            await session.execute(
                select(QuoteLine).where(QuoteLine.quote_id == quote_id).order_by(QuoteLine.line_no)
            )
        )
        .scalars()
        .all()
    )


async def quote_detail(session: AsyncSession, quote: Quote) -> QuoteDetail:
    lines = await quote_lines(session, quote.id)
    return QuoteDetail(
        id=quote.id,
        number=quote.number,
        status=quote.status,
        revision=quote.revision,
        customer_id=quote.customer_id,
        valid_until=quote.valid_until.isoformat(),
        territory_id=quote.territory_id,
        rep_id=quote.rep_id,
        notes=quote.notes,
        converted_order_id=quote.converted_order_id,
        totals=totals_of(quote),
        lines=[line_out(line) for line in lines],
        allowed_actions=allowed_quote_actions(QuoteStatus(quote.status)),
    )


async def snapshot(session: AsyncSession, quote: Quote) -> dict[str, Any]:
    """The quote's current revision as plain JSON, as QuoteRevision stores it."""
    detail = await quote_detail(session, quote)
    return {
        "revision": quote.revision,
        "status": quote.status,
        "valid_until": detail.valid_until,
        "notes": quote.notes,
        "totals": msgspec.to_builtins(detail.totals),
        "lines": msgspec.to_builtins(detail.lines),
    }


async def revisions(session: AsyncSession, quote: Quote) -> list[dict[str, Any]]:
    """Every revision, oldest first: the frozen earlier ones and the live current one."""
    stored = (
        (
            await session.execute(
                select(QuoteRevision)
                .where(QuoteRevision.quote_id == quote.id)
                .order_by(QuoteRevision.revision)
            )
        )
        .scalars()
        .all()
    )
    out = [
        {**r.snapshot, "frozen_at": r.created_at.isoformat()}
        for r in stored
        if r.revision != quote.revision
    ]
    out.append({**await snapshot(session, quote), "frozen_at": None})
    return out


def _key(line: dict[str, Any]) -> str:
    return str(line["product_id"])


async def quote_diff(session: AsyncSession, quote: Quote, old: int, new: int) -> QuoteDiff:
    """Line-by-line difference between two revisions, matched by product."""
    by_revision = {r["revision"]: r for r in await revisions(session, quote)}
    if old not in by_revision or new not in by_revision:
        raise NotFound(
            "No such revision.",
            code="revision_not_found",
            details={"available": sorted(by_revision)},
        )
    before = {_key(x): x for x in by_revision[old]["lines"]}
    after = {_key(x): x for x in by_revision[new]["lines"]}
    changes: list[DiffLine] = []
    for product_id in [*before, *(p for p in after if p not in before)]:
        a, b = before.get(product_id), after.get(product_id)
        if (
            a
            and b
            and (a["quantity"], a["unit_price_cents"], Decimal(a["discount_percent"]))
            == (b["quantity"], b["unit_price_cents"], Decimal(b["discount_percent"]))
        ):
            continue
        change: Literal["added", "removed", "changed"] = (
            "changed" if a and b else ("removed" if a else "added")
        )
        changes.append(
            DiffLine(
                change=change,
                product_id=product_id,
                sku=(a or b or {}).get("sku", ""),
                old_quantity=a["quantity"] if a else None,
                new_quantity=b["quantity"] if b else None,
                old_unit_price_cents=a["unit_price_cents"] if a else None,
                new_unit_price_cents=b["unit_price_cents"] if b else None,
                old_discount_percent=a["discount_percent"] if a else None,
                new_discount_percent=b["discount_percent"] if b else None,
            )
        )
    return QuoteDiff(
        from_revision=old,
        to_revision=new,
        lines=changes,
        old_total_cents=by_revision[old]["totals"]["total_cents"],
        new_total_cents=by_revision[new]["totals"]["total_cents"],
    )


async def list_quotes(
    session: AsyncSession,
    scope: Scope,
    *,
    status: str | None,
    customer_id: str | None,
    limit: int,
    offset: int,
) -> list[QuoteDetail]:
    where = [quote_filter(scope)]
    if status:
        where.append(Quote.status == status)
    if customer_id:
        where.append(Quote.customer_id == customer_id)
    rows = (
        (
            await session.execute(
                select(Quote)
                .where(*where)
                .order_by(Quote.created_at.desc(), Quote.id)
                .limit(limit)
                .offset(offset)
            )
        )
        .scalars()
        .all()
    )
    return [await quote_detail(session, quote) for quote in rows]


async def any_due(session: AsyncSession, scope: Scope, today: date) -> bool:
    """Whether a quote the caller may see is still draft or sent past its validity."""
    found = await session.scalar(
        select(Quote.id)
        .where(quote_filter(scope), Quote.status.in_(("draft", "sent")), Quote.valid_until < today)
        .limit(1)
    )
    return found is not None


async def quote_timeline(session: AsyncSession, quote_id: str) -> list[dict[str, Any]]:
    """The quote's named actions, oldest first; a customer's answer through the portal
    (no actor) carries the typed signature and the client's address."""
    rows = (
        await session.execute(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "quote", AuditEvent.entity_id == quote_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    ).scalars()
    return [
        {
            "action": e.action,
            "at": e.at,
            "actor_id": e.actor_id,
            "to_state": e.to_state,
            "reason": e.reason,
            "by_customer": (e.data or {}).get("by") == "customer portal",
            "signed_by": (e.data or {}).get("signed_by"),
            "client_address": (e.data or {}).get("client_address"),
        }
        for e in rows
    ]
