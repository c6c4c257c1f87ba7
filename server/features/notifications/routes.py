"""HTTP API of webhooks and kept e-mails (admin): /api/webhooks, /api/emails."""

from __future__ import annotations

from litestar import get, patch, post
from sqlalchemy import select

from server.db.engine import Database
from server.db.models import EmailMessage
from server.features.catalog.openapi import problems
from server.features.notifications import webhooks
from server.features.notifications.events import EVENT_TYPES
from server.features.notifications.schemas import (
    EmailOut,
    EndpointCreateIn,
    EndpointDetail,
    EndpointOut,
    EndpointUpdateIn,
)
from server.security.auth import requires_role

__all__ = [
    "create_webhook",
    "event_types",
    "list_emails",
    "list_webhooks",
    "replay_webhook_delivery",
    "update_webhook",
    "webhook_detail",
]

_admins = requires_role("admin")
_TAGS = ["webhooks"]


@get("/api/webhooks/event-types", guards=[_admins], tags=_TAGS, responses=problems(403))
async def event_types() -> list[str]:
    """The event types an endpoint can subscribe to."""
    return list(EVENT_TYPES)


@get("/api/webhooks", guards=[_admins], tags=_TAGS, responses=problems(403))
async def list_webhooks(db: Database) -> list[EndpointOut]:
    """Every registered endpoint; a paused one says why in `paused_reason`."""
    async with db.read() as unit:
        return [webhooks.endpoint_out(e) for e in await webhooks.list_endpoints(unit)]


@post("/api/webhooks", guards=[_admins], tags=_TAGS, responses=problems(403, 422))
async def create_webhook(data: EndpointCreateIn, db: Database) -> EndpointOut:
    """Register an endpoint; the answer carries its signing secret. An URL that is not
    http(s) or carries credentials, or an unknown event type: 422, nothing written."""
    async with db.write() as uow:
        row = await webhooks.create_endpoint(uow, data)
    return webhooks.endpoint_out(row)


@get("/api/webhooks/{endpoint_id:str}", guards=[_admins], tags=_TAGS, responses=problems(403, 404))
async def webhook_detail(db: Database, endpoint_id: str) -> EndpointDetail:
    """The endpoint with its latest deliveries and every attempt of each (status, timing)."""
    async with db.read() as unit:
        return await webhooks.endpoint_detail(unit, endpoint_id)


@patch(
    "/api/webhooks/{endpoint_id:str}",
    guards=[_admins],
    tags=_TAGS,
    responses=problems(403, 404, 422),
)
async def update_webhook(db: Database, endpoint_id: str, data: EndpointUpdateIn) -> EndpointOut:
    """Change an endpoint; `enabled: false` pauses it, `true` enables it again."""
    async with db.write() as uow:
        row = await webhooks.update_endpoint(uow, endpoint_id, data)
    return webhooks.endpoint_out(row)


@post(
    "/api/webhooks/{endpoint_id:str}/deliveries/{message_id:str}/replay",
    guards=[_admins],
    tags=_TAGS,
    status_code=202,
    responses=problems(403, 404, 409),
)
async def replay_webhook_delivery(db: Database, endpoint_id: str, message_id: str) -> None:
    """Send a delivered or failed delivery again, with the same `webhook-id`; a delivery
    still being tried: 409 `delivery_pending`."""
    async with db.write() as uow:
        await webhooks.replay_delivery(uow, endpoint_id, message_id)


@get("/api/emails", guards=[_admins], tags=["emails"], responses=problems(403))
async def list_emails(db: Database) -> list[EmailOut]:
    """The latest e-mails to customers: `sent` over SMTP, or `kept` (no SMTP configured)."""
    async with db.read() as unit:
        rows = (
            await unit.session.scalars(
                select(EmailMessage).order_by(EmailMessage.created_at.desc()).limit(200)
            )
        ).all()
    return [
        EmailOut(
            id=r.id,
            event_type=r.event_type,
            recipient=r.recipient,
            subject=r.subject,
            status=r.status,
            created_at=r.created_at,
            sent_at=r.sent_at,
            text_body=r.text_body,
            html_body=r.html_body,
        )
        for r in rows
    ]
