"""Messages of the webhook and e-mail API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

__all__ = [
    "AttemptOut",
    "DeliveryOut",
    "EmailOut",
    "EndpointCreateIn",
    "EndpointDetail",
    "EndpointOut",
    "EndpointUpdateIn",
]

Url = Annotated[str, Meta(min_length=8, max_length=2000)]


class EndpointCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    url: Url
    # Event types sent to it (see GET /api/webhooks/event-types); empty means all.
    event_types: list[str] = []
    description: Annotated[str, Meta(max_length=200)] = ""
    # Let this endpoint reach private, loopback and link-local addresses.
    allow_private: bool = False


class EndpointUpdateIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    url: Url | UnsetType = UNSET
    event_types: list[str] | UnsetType = UNSET
    description: Annotated[str, Meta(max_length=200)] | UnsetType = UNSET
    allow_private: bool | UnsetType = UNSET
    # False pauses it; True enables it again (and forgets its failures).
    enabled: bool | UnsetType = UNSET


class EndpointOut(msgspec.Struct):
    id: str
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    allow_private: bool
    consecutive_failures: int
    paused_reason: str | None
    created_at: datetime
    # The signing secret, `whsec_` and base64 (Standard Webhooks).
    secret: str


class AttemptOut(msgspec.Struct):
    at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None


class DeliveryOut(msgspec.Struct):
    # The idempotency id, sent as `webhook-id` on every attempt.
    id: str
    event_type: str
    event_id: str
    status: str
    attempts: int
    created_at: datetime
    available_at: datetime
    delivered_at: datetime | None
    last_error: str | None
    attempt_log: list[AttemptOut]


class EndpointDetail(msgspec.Struct):
    endpoint: EndpointOut
    deliveries: list[DeliveryOut]


class EmailOut(msgspec.Struct):
    id: str
    event_type: str
    recipient: str
    subject: str
    # kept: no SMTP server is configured, so it was not sent | sent
    status: str
    created_at: datetime
    sent_at: datetime | None
    text_body: str
    html_body: str
