"""Turning an event into its deliveries, in one transaction with marking it delivered:
one message per webhook endpoint that subscribes to its type, one per e-mail it sends.
Either all of them exist or the event is still pending, so a worker that dies half way
leaves nothing duplicated and nothing lost."""

from __future__ import annotations

from sqlalchemy import select

from server.config import Settings
from server.db.models import OutboxMessage, WebhookEndpoint
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.features.notifications.emails import render_for_event
from server.features.notifications.portal_links import portal_link_maker

__all__ = ["fan_out"]


async def fan_out(uow: WriteUnit, event: OutboxMessage, settings: Settings | None = None) -> int:
    """Write the event's deliveries and mark it delivered; the number written. With
    `settings`, the e-mails about quotes and orders carry the customer's portal link."""
    now = utcnow()
    endpoints = (
        await uow.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True)))
    ).all()
    rows = [
        OutboxMessage(
            id=new_id(),
            event_type=event.event_type,
            destination=f"webhook:{endpoint.id}",
            event_id=event.id,
            payload=event.payload,
            created_at=now,
            available_at=now,
            attempts=0,
            status="pending",
        )
        for endpoint in endpoints
        if not endpoint.event_types or event.event_type in endpoint.event_types
    ]
    email = await render_for_event(
        uow,
        event.event_type,
        event.payload,
        portal_link=portal_link_maker(uow, settings, event.event_type, event.payload),
    )
    if email is not None:
        rows.append(
            OutboxMessage(
                id=new_id(),
                event_type=event.event_type,
                destination="email",
                event_id=event.id,
                payload=email.payload(),
                created_at=now,
                available_at=now,
                attempts=0,
                status="pending",
            )
        )
    uow.session.add_all(rows)
    event.status, event.delivered_at = "delivered", now
    event.claimed_by = event.claimed_until = None
    await uow.session.flush()
    return len(rows)
