"""Turning events into their deliveries, in one transaction with marking them delivered:
one message per webhook endpoint that subscribes to an event's type (and existed when the
event happened), and the customer's e-mail where the event sends one. Either all of them
exist or the event is still pending, so a worker that dies half way leaves nothing
duplicated and nothing lost.

A batch of events is fanned out with a fixed number of statements, whatever its size: the
endpoints are read once, the customers' e-mail addresses in one query, the deliveries
inserted together and the events marked delivered by one update. The order desk shares the
one SQLite writer with this work, so its cost per event is what placing an order pays for it.

The worker that fans out claims the deliveries as it writes them (`claim`) and sends them in
the same round: a lease like any other, so a worker that dies before sending leaves them to
the next, and none waits for a second round's claim to be written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import insert, select, update

from server.config import Settings
from server.db.models import EmailMessage, OutboxMessage, WebhookEndpoint
from server.db.models.base import table_of
from server.db.types import new_id, utcnow
from server.db.unit_of_work import Event, WriteUnit
from server.features.notifications.emails import Recipients, RenderedEmail, render_email
from server.features.notifications.portal_links import portal_link_maker

__all__ = ["Delivery", "fan_out", "kept_email"]

_INSERT_DELIVERIES = insert(table_of(OutboxMessage))
_INSERT_EMAILS = insert(table_of(EmailMessage))


class Delivery(NamedTuple):
    """A delivery written: its message id, where it goes, the event's type and payload,
    and for a webhook its endpoint as the fan-out read it: (url, secret, allow_private)."""

    message_id: str
    destination: str
    event_type: str
    payload: Any
    target: tuple[str, str, bool] | None = None


async def fan_out(
    uow: WriteUnit,
    events: Sequence[OutboxMessage],
    *,
    smtp: bool,
    settings: Settings | None = None,
    claim: tuple[str, datetime] | None = None,
) -> list[Delivery]:
    """Write the events' deliveries and mark the events delivered; the deliveries queued,
    claimed by `claim`'s worker until its time when given.

    Without an SMTP server (`smtp` false) an e-mail is kept for the admins at once, as the
    worker would keep it: there is nothing to send, so there is no delivery to queue. With
    `settings`, the e-mails about quotes and orders carry the customer's portal link."""
    if not events:
        return []
    now = utcnow()
    endpoints = [
        _Subscriber.of(endpoint)
        for endpoint in await uow.session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))
        )
    ]
    recipients = await Recipients.load(uow, events)
    claimed_by, claimed_until = claim if claim is not None else (None, None)
    rows: list[dict[str, object]] = []
    targets: list[tuple[str, str, bool] | None] = []
    kept: list[dict[str, object]] = []

    def deliver(
        event: OutboxMessage,
        destination: str,
        payload: dict[str, object],
        target: tuple[str, str, bool] | None = None,
    ) -> None:
        # An outbox row like any event's, sent to one destination on the event's behalf.
        rows.append(
            {
                **Event(event.event_type, payload).row(),
                "destination": destination,
                "event_id": event.id,
                "created_at": now,
                "available_at": now,
                "claimed_by": claimed_by,
                "claimed_until": claimed_until,
            }
        )
        targets.append(target)

    for event in events:
        for endpoint in endpoints:
            if endpoint.hears(event.event_type, event.created_at):
                deliver(event, endpoint.destination, event.payload, endpoint.target)
        portal_url = None
        if recipients.of(event.event_type, event.payload) is not None:
            make_link = portal_link_maker(uow, settings, event.event_type, event.payload)
            portal_url = await make_link() if make_link is not None else None
        email = render_email(event.event_type, event.payload, recipients, portal_url=portal_url)
        if email is None:
            continue
        if smtp:
            deliver(event, "email", email.payload())
        else:
            kept.append(kept_email_row(new_id(), event.event_type, email, created_at=now))
    # The deliveries and kept e-mails as plain rows: one statement each for all of them,
    # without the ORM's bookkeeping for objects nobody reads back.
    await uow.sql.execute_many(_INSERT_DELIVERIES, rows)
    await uow.sql.execute_many(_INSERT_EMAILS, kept)
    await uow.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([event.id for event in events]))
        .values(status="delivered", delivered_at=now, claimed_by=None, claimed_until=None),
        execution_options={"synchronize_session": False},
    )
    return [
        Delivery(str(r["id"]), str(r["destination"]), str(r["event_type"]), r["payload"], t)
        for r, t in zip(rows, targets, strict=True)
    ]


class _Subscriber(NamedTuple):
    """An enabled endpoint as the fan-out matches events to it."""

    destination: str
    registered_at: datetime
    event_types: frozenset[str]  # empty: every type
    target: tuple[str, str, bool]

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> _Subscriber:
        return cls(
            f"webhook:{endpoint.id}",
            endpoint.created_at,
            frozenset(endpoint.event_types or ()),
            (endpoint.url, endpoint.secret, endpoint.allow_private),
        )

    def hears(self, event_type: str, happened_at: datetime) -> bool:
        """The events of its types that happened once it was registered: an event still
        waiting in the outbox when the endpoint was added is history, not news to it."""
        if happened_at < self.registered_at:
            return False
        return not self.event_types or event_type in self.event_types


def kept_email(
    message_id: str,
    event_type: str,
    email: RenderedEmail,
    *,
    created_at: datetime,
    sent: bool = False,
) -> EmailMessage:
    """The e-mail as the admins' e-mail page lists it."""
    return EmailMessage(
        **kept_email_row(message_id, event_type, email, created_at=created_at, sent=sent)
    )


def kept_email_row(
    message_id: str,
    event_type: str,
    email: RenderedEmail,
    *,
    created_at: datetime,
    sent: bool = False,
) -> dict[str, object]:
    """The columns of the e-mail as the admins' e-mail page lists it."""
    return {
        "id": message_id,
        "event_type": event_type,
        "recipient": email.to,
        "subject": email.subject,
        "text_body": email.text,
        "html_body": email.html,
        "status": "sent" if sent else "kept",
        "created_at": created_at,
        "sent_at": utcnow() if sent else None,
    }
