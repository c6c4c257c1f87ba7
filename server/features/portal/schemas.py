"""Messages of the portal-link API."""

from __future__ import annotations

import msgspec

__all__ = ["PortalLinkCreated", "PortalLinkIn", "PortalLinkOut"]


class PortalLinkIn(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly one of the three: the customer (all their orders and quotes), one order,
    or one quote."""

    customer_id: str | None = None
    order_id: str | None = None
    quote_id: str | None = None


class PortalLinkOut(msgspec.Struct):
    id: str
    customer_id: str
    order_id: str | None
    quote_id: str | None
    state: str  # active | expired | revoked
    created_by: str
    created_at: str
    expires_at: str
    revoked_at: str | None
    last_used_at: str | None


class PortalLinkCreated(msgspec.Struct):
    """The only answer that carries the URL: it is not stored and cannot be shown again."""

    link: PortalLinkOut
    url: str
