"""The transactional outbox and what it delivers to: webhook endpoints and e-mail.

An `OutboxMessage` is written in the transaction of the change it tells about, so it
exists exactly when the change does. A message with no `destination` is an event; the
worker fans it out, in one transaction, into one message per webhook endpoint that wants
it and one per e-mail it causes, each then delivered and retried on its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base
from server.db.types import UTCDateTime, UUIDString, new_id, utcnow

__all__ = ["EmailMessage", "OutboxMessage", "WebhookAttempt", "WebhookEndpoint"]


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "available_at"),
        # An endpoint's latest deliveries (its admin page); events, not yet fanned out,
        # have no destination and no entry.
        Index(
            "ix_outbox_messages_by_destination",
            "destination",
            "created_at",
            sqlite_where=text("destination IS NOT NULL"),
            postgresql_where=text("destination IS NOT NULL"),
        ),
    )

    # The idempotency id: the same on every attempt, sent as `webhook-id`.
    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    event_type: Mapped[str] = mapped_column(String(60))
    # None for an event still to fan out; "webhook:<endpoint id>" or "email" after.
    destination: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # The event this delivery fans out from (the event's own id for an event).
    event_id: Mapped[str] = mapped_column(UUIDString)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Not claimed before this moment: the backoff after a failed attempt.
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A worker's claim, void after `claimed_until`: a worker that died loses its claim.
    claimed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The attempt that delivered a webhook: the receiver's status and how long it took
    # (its failed attempts are rows of webhook_attempts).
    delivered_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    delivered_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # pending | delivered | failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # The event types sent to it; empty means every type.
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "whsec_" + base64 of the signing key.
    secret: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Private, loopback and link-local addresses allowed for this endpoint.
    allow_private: Mapped[bool] = mapped_column(Boolean, default=False)
    # Deliveries that failed for good in a row; reset by a success.
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # Why the server paused it (None when an admin paused it or it is enabled).
    paused_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(UUIDString, index=True)
    endpoint_id: Mapped[str] = mapped_column(UUIDString, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class EmailMessage(Base):
    __tablename__ = "email_messages"

    # The outbox message's id, so a redelivery finds the e-mail it already wrote.
    id: Mapped[str] = mapped_column(UUIDString, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # kept (no SMTP configured: shown to admins, not sent) | sent
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
