"""The portal session: a link's token exchanged for a cookie, and what that cookie opens.

The cookie holds a signed claim naming the link (never the token), signed with a key
derived from the server secret for this use only, so it can never pass for a staff
session (whose cookie has another name anyway, and whose path is not limited to /p).
Every request reads the link again: a revoked or expired link stops at once.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from sqlalchemy import ColumnElement, and_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import PortalLink, Quote, SalesOrder
from server.db.types import utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.portal import LinkState, hash_token, link_state

__all__ = [
    "PORTAL_COOKIE",
    "PORTAL_PATH",
    "PortalAccess",
    "exchange_token",
    "portal_access",
    "session_claim",
]

PORTAL_COOKIE = "fs_portal"
PORTAL_PATH = "/p"
_TYPE = "portal"
_ALGORITHM = "HS256"
# A portal session lasts a working day at most, and never past its link's expiry.
_SESSION_SECONDS = 12 * 3600


def _key(secret: str) -> str:
    return hashlib.sha256(f"portal-session:{secret}".encode()).hexdigest()


@dataclass(frozen=True)
class PortalAccess:
    link_id: str
    customer_id: str
    order_id: str | None
    quote_id: str | None

    @property
    def whole_customer(self) -> bool:
        return self.order_id is None and self.quote_id is None

    def orders(self) -> ColumnElement[bool]:
        """The orders this session may read: the one order, or the customer's placed ones."""
        if self.order_id is not None:
            return SalesOrder.id == self.order_id
        if self.quote_id is not None:
            return SalesOrder.quote_id == self.quote_id
        return and_(SalesOrder.customer_id == self.customer_id, SalesOrder.status != "draft")

    def quotes(self) -> ColumnElement[bool]:
        if self.quote_id is not None:
            return Quote.id == self.quote_id
        if self.order_id is not None:
            return Quote.id.in_(select(SalesOrder.quote_id).where(SalesOrder.id == self.order_id))
        return and_(Quote.customer_id == self.customer_id, Quote.status != "draft", true())

    @property
    def home(self) -> str:
        if self.order_id is not None:
            return f"{PORTAL_PATH}/orders/{self.order_id}"
        if self.quote_id is not None:
            return f"{PORTAL_PATH}/quotes/{self.quote_id}"
        return f"{PORTAL_PATH}/"


def _access(link: PortalLink) -> PortalAccess:
    return PortalAccess(link.id, link.customer_id, link.order_id, link.quote_id)


async def exchange_token(uow: WriteUnit, token: str) -> tuple[PortalAccess, datetime] | None:
    """The access a working token gives (and its link's expiry), its use recorded; None
    for a token that is unknown, expired or revoked (told apart to nobody)."""
    if len(token) > 100:
        return None
    link = (
        await uow.session.execute(
            select(PortalLink).where(PortalLink.token_hash == hash_token(token))
        )
    ).scalar_one_or_none()
    now = utcnow()
    if link is None or (
        link_state(expires=link.expires_at, revoked=link.revoked_at, now=now) != LinkState.ACTIVE
    ):
        return None
    link.last_used_at = now
    return _access(link), link.expires_at


def session_claim(secret: str, link_id: str, link_expires: datetime) -> tuple[str, int]:
    """The cookie's value and its lifetime in seconds."""
    now = int(time.time())
    ends = min(now + _SESSION_SECONDS, int(link_expires.timestamp()))
    value = jwt.encode({"typ": _TYPE, "lid": link_id, "exp": ends}, _key(secret), _ALGORITHM)
    return value, max(1, ends - now)


async def portal_access(
    session: AsyncSession, secret: str, cookies: dict[str, Any]
) -> PortalAccess | None:
    raw = cookies.get(PORTAL_COOKIE)
    if not isinstance(raw, str) or not raw:
        return None
    try:
        claims = jwt.decode(
            raw, _key(secret), algorithms=[_ALGORITHM], options={"require": ["exp"]}
        )
    except jwt.InvalidTokenError:
        return None
    if claims.get("typ") != _TYPE or not isinstance(claims.get("lid"), str):
        return None
    link = await session.get(PortalLink, claims["lid"])
    if link is None or (
        link_state(expires=link.expires_at, revoked=link.revoked_at, now=utcnow())
        != LinkState.ACTIVE
    ):
        return None
    return _access(link)
