"""Webhook endpoints: registering, changing, pausing them, and what was sent to them."""

from __future__ import annotations

from urllib.parse import urlsplit

from msgspec import UNSET
from sqlalchemy import select

from server.db.models import OutboxMessage, WebhookAttempt, WebhookEndpoint
from server.db.types import new_id, utcnow
from server.db.unit_of_work import ReadUnit, WriteUnit
from server.domain.delivery import new_webhook_secret
from server.domain.errors import Conflict, NotFound, ValidationFailed
from server.features.notifications.events import EVENT_TYPES
from server.features.notifications.outbox_store import replay
from server.features.notifications.schemas import (
    AttemptOut,
    DeliveryOut,
    EndpointCreateIn,
    EndpointDetail,
    EndpointOut,
    EndpointUpdateIn,
)

__all__ = [
    "create_endpoint",
    "endpoint_detail",
    "endpoint_out",
    "list_endpoints",
    "replay_delivery",
    "update_endpoint",
]

_RECENT = 50


def _checked_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("The URL must be an http or https address.", code="invalid_url")
    if parts.username or parts.password:
        raise ValidationFailed("The URL must not carry credentials.", code="invalid_url")
    return url.strip()


def _checked_types(types: list[str]) -> list[str]:
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise ValidationFailed(
            f"Unknown event type(s): {', '.join(unknown)}.", code="unknown_event_type"
        )
    return sorted(set(types))


def endpoint_out(row: WebhookEndpoint) -> EndpointOut:
    return EndpointOut(
        id=row.id,
        url=row.url,
        description=row.description,
        event_types=list(row.event_types),
        enabled=row.enabled,
        allow_private=row.allow_private,
        consecutive_failures=row.consecutive_failures,
        paused_reason=row.paused_reason,
        created_at=row.created_at,
        secret=row.secret,
    )


async def create_endpoint(uow: WriteUnit, data: EndpointCreateIn) -> WebhookEndpoint:
    row = WebhookEndpoint(
        id=new_id(),
        url=_checked_url(data.url),
        description=data.description.strip(),
        event_types=_checked_types(data.event_types),
        secret=new_webhook_secret(),
        enabled=True,
        allow_private=data.allow_private,
        consecutive_failures=0,
        paused_reason=None,
        created_at=utcnow(),
    )
    uow.session.add(row)
    await uow.session.flush()
    return row


async def _endpoint(unit: ReadUnit, endpoint_id: str, *, lock: bool = False) -> WebhookEndpoint:
    row = await unit.session.get(WebhookEndpoint, endpoint_id, with_for_update=lock or None)
    if row is None:
        raise NotFound("No such webhook endpoint.", code="webhook_not_found")
    return row


async def update_endpoint(
    uow: WriteUnit, endpoint_id: str, data: EndpointUpdateIn
) -> WebhookEndpoint:
    row = await _endpoint(uow, endpoint_id, lock=True)
    if data.url is not UNSET:
        row.url = _checked_url(data.url)
    if data.event_types is not UNSET:
        row.event_types = _checked_types(data.event_types)
    if data.description is not UNSET:
        row.description = data.description.strip()
    if data.allow_private is not UNSET:
        row.allow_private = data.allow_private
    if data.enabled is not UNSET:
        row.enabled = data.enabled
        if data.enabled:
            row.consecutive_failures, row.paused_reason = 0, None
    await uow.session.flush()
    return row


async def list_endpoints(unit: ReadUnit) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    return list((await unit.session.scalars(query)).all())


async def endpoint_detail(unit: ReadUnit, endpoint_id: str) -> EndpointDetail:
    """The endpoint with its latest deliveries, newest first, each with every attempt."""
    row = await _endpoint(unit, endpoint_id)
    messages = (
        await unit.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.destination == f"webhook:{endpoint_id}")
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
            .limit(_RECENT)
        )
    ).all()
    attempts = (
        await unit.session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.message_id.in_([m.id for m in messages]))
            .order_by(WebhookAttempt.at, WebhookAttempt.id)
        )
    ).all()
    by_message: dict[str, list[AttemptOut]] = {}
    for a in attempts:
        by_message.setdefault(a.message_id, []).append(
            AttemptOut(at=a.at, status_code=a.status_code, duration_ms=a.duration_ms, error=a.error)
        )
    for m in messages:
        # The attempt that delivered it, kept on the message (its last attempt).
        if m.delivered_status is not None and m.delivered_at is not None:
            by_message.setdefault(m.id, []).append(
                AttemptOut(
                    at=m.delivered_at,
                    status_code=m.delivered_status,
                    duration_ms=m.delivered_ms or 0,
                    error=None,
                )
            )
    return EndpointDetail(
        endpoint=endpoint_out(row),
        deliveries=[
            DeliveryOut(
                id=m.id,
                event_type=m.event_type,
                event_id=m.event_id,
                status=m.status,
                attempts=m.attempts,
                created_at=m.created_at,
                available_at=m.available_at,
                delivered_at=m.delivered_at,
                last_error=m.last_error,
                attempt_log=by_message.get(m.id, []),
            )
            for m in messages
        ],
    )


async def replay_delivery(uow: WriteUnit, endpoint_id: str, message_id: str) -> None:
    """Send a delivery again (same `webhook-id`); refused while it is still being tried."""
    await _endpoint(uow, endpoint_id)
    row = await uow.session.get(OutboxMessage, message_id, with_for_update=True)
    if row is None or row.destination != f"webhook:{endpoint_id}":
        raise NotFound("No such delivery for this endpoint.", code="delivery_not_found")
    if row.status == "pending":
        raise Conflict("This delivery is still being tried.", code="delivery_pending")
    await replay(uow, row, utcnow())
