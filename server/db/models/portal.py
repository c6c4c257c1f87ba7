"""Portal links: a customer's way in to their orders and quotes without an account.

Only the SHA-256 of a link's token is kept; the token itself is shown once, to whoever
creates the link. A link opens exactly one of: a customer (all their orders and quotes),
one order, or one quote.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base
from server.db.types import UTCDateTime, UUIDString, new_id, utcnow

__all__ = ["PortalLink"]


class PortalLink(Base):
    __tablename__ = "portal_links"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN order_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN quote_id IS NULL THEN 0 ELSE 1 END) <= 1",
            name="one_document",
        ),
    )

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    # Hex SHA-256 of the token: a stolen table opens nothing.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Always the customer; with an order or a quote the link opens only that document.
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[str | None] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    quote_id: Mapped[str | None] = mapped_column(ForeignKey("quotes.id"), index=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
