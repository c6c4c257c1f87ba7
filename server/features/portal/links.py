"""Named actions on portal links, for staff: create, list, revoke.

Whoever may see a customer, order or quote may share it: the same scope filters as the
documents' own pages decide, and a link outside the caller's scope is answered like a
missing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import PortalLink
from server.db.types import new_id, utcnow
from server.db.unit_of_work import AuditRecord, WriteUnit
from server.domain.actor import CurrentUser
from server.domain.errors import Conflict, NotFound, ValidationFailed
from server.domain.portal import LinkState, expires_at, hash_token, link_state, new_token
from server.features.customers.queries import get_visible
from server.features.portal.schemas import PortalLinkIn, PortalLinkOut
from server.features.sales.order_queries import get_visible_order
from server.features.sales.quote_queries import get_visible_quote
from server.features.shared.scope import Scope, load_scope

__all__ = [
    "create_email_link",
    "create_link",
    "link_out",
    "list_links",
    "revoke_link",
    "visible_target",
]


def _one_target(data: PortalLinkIn) -> None:
    given = [x for x in (data.customer_id, data.order_id, data.quote_id) if x]
    if len(given) != 1:
        raise ValidationFailed(
            "Give exactly one of customer_id, order_id or quote_id.", code="one_target"
        )


async def visible_target(session: AsyncSession, scope: Scope, data: PortalLinkIn) -> str:
    """The customer of the target the caller may see (NotFound otherwise)."""
    _one_target(data)
    if data.order_id:
        return (await get_visible_order(session, scope, data.order_id)).customer_id
    if data.quote_id:
        return (await get_visible_quote(session, scope, data.quote_id)).customer_id
    assert data.customer_id is not None
    return (await get_visible(session, scope, data.customer_id)).id


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def link_out(link: PortalLink, now: datetime | None = None) -> PortalLinkOut:
    return PortalLinkOut(
        id=link.id,
        customer_id=link.customer_id,
        order_id=link.order_id,
        quote_id=link.quote_id,
        state=link_state(expires=link.expires_at, revoked=link.revoked_at, now=now or utcnow()),
        created_by=link.created_by,
        created_at=link.created_at.isoformat(),
        expires_at=link.expires_at.isoformat(),
        revoked_at=_iso(link.revoked_at),
        last_used_at=_iso(link.last_used_at),
    )


def _link_event(
    link: PortalLink, *, actor_id: str | None, action: str, via: str | None = None
) -> AuditRecord:
    # Never the token, nor its hash: the audit trail is read by more people than the table.
    data: dict[str, str | None] = {
        "customer_id": link.customer_id,
        "order_id": link.order_id,
        "quote_id": link.quote_id,
    }
    if via is not None:
        data["via"] = via
    return AuditRecord(
        entity_type="portal_link",
        entity_id=link.id,
        action=action,
        actor_id=actor_id,
        data=data,
    )


async def create_email_link(
    uow: WriteUnit,
    *,
    customer_id: str,
    order_id: str | None = None,
    quote_id: str | None = None,
    created_by: str,
    days: int,
) -> str:
    """A link for the e-mail the outbox sends about an order or a quote; the token.

    No one asked for it in a request: the outbox makes it while rendering the e-mail, in
    the name of whoever made the document (`created_by`), and the audit event says so."""
    token = new_token()
    now = utcnow()
    link = PortalLink(
        id=new_id(),
        token_hash=hash_token(token),
        customer_id=customer_id,
        order_id=order_id,
        quote_id=quote_id,
        created_by=created_by,
        created_at=now,
        expires_at=expires_at(now, days),
    )
    uow.session.add(link)
    await uow.session.flush()
    await uow.audit.record(_link_event(link, actor_id=None, action="create", via="email"))
    return token


async def create_link(
    uow: WriteUnit, user: CurrentUser, data: PortalLinkIn, *, days: int
) -> tuple[PortalLink, str]:
    """A new link and its token (to be shown once, never stored)."""
    session = uow.session
    scope = await load_scope(session, user)
    customer_id = await visible_target(session, scope, data)
    token = new_token()
    now = utcnow()
    link = PortalLink(
        id=new_id(),
        token_hash=hash_token(token),
        customer_id=customer_id,
        order_id=data.order_id,
        quote_id=data.quote_id,
        created_by=user.id,
        created_at=now,
        expires_at=expires_at(now, days),
    )
    session.add(link)
    await session.flush()
    await uow.audit.record(_link_event(link, actor_id=user.id, action="create"))
    return link, token


async def list_links(
    session: AsyncSession, user: CurrentUser, data: PortalLinkIn
) -> Sequence[PortalLink]:
    """The links of a customer (all of theirs, whatever they open), an order or a quote."""
    scope = await load_scope(session, user)
    await visible_target(session, scope, data)
    condition: ColumnElement[bool]
    if data.order_id:
        condition = PortalLink.order_id == data.order_id
    elif data.quote_id:
        condition = PortalLink.quote_id == data.quote_id
    else:
        condition = PortalLink.customer_id == data.customer_id
    rows = await session.execute(
        select(PortalLink).where(condition).order_by(PortalLink.created_at.desc())
    )
    return list(rows.scalars())


async def revoke_link(uow: WriteUnit, user: CurrentUser, link_id: str) -> PortalLink:
    session = uow.session
    link = await session.get(PortalLink, link_id, with_for_update=True)
    if link is None:
        raise NotFound("No such portal link.", code="portal_link_not_found")
    scope = await load_scope(session, user)
    target = PortalLinkIn(order_id=link.order_id, quote_id=link.quote_id)
    if not (link.order_id or link.quote_id):
        target = PortalLinkIn(customer_id=link.customer_id)
    try:
        await visible_target(session, scope, target)
    except NotFound:
        raise NotFound("No such portal link.", code="portal_link_not_found") from None
    state = link_state(expires=link.expires_at, revoked=link.revoked_at, now=utcnow())
    if state == LinkState.REVOKED:
        raise Conflict("The link is already revoked.", code="portal_link_revoked")
    link.revoked_at = utcnow()
    link.revoked_by = user.id
    await uow.audit.record(_link_event(link, actor_id=user.id, action="revoke"))
    return link
