"""Messages of integration users and their API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from server.domain.api_tokens import SCOPES
from server.domain.text import ONE_LINE_PATTERN

__all__ = ["IntegrationCreateIn", "IntegrationCreated", "IntegrationOut"]

# The same names as SCOPES (tests/unit/test_api_tokens.py holds them together).
Scope = Literal[
    "catalog:read",
    "customers:read",
    "customers:write",
    "invoices:read",
    "orders:read",
    "orders:write",
    "quotes:read",
    "quotes:write",
    "returns:write",
    "stock:read",
]


class IntegrationCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200, pattern=ONE_LINE_PATTERN)]
    scopes: Annotated[list[Scope], Meta(min_length=1, max_length=len(SCOPES))]
    # `edi` for an EDI bridge: its orders and customers carry the edi channel.
    channel: Literal["api", "edi"] = "api"
    # None: the token does not expire (it can still be revoked).
    expires_at: Annotated[datetime, Meta(tz=True)] | None = None


class IntegrationOut(msgspec.Struct):
    id: str
    user_id: str
    name: str
    prefix: str
    scopes: list[str]
    channel: str
    state: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class IntegrationCreated(msgspec.Struct):
    integration: IntegrationOut
    # The only time the token is shown: it is stored hashed.
    token: str
