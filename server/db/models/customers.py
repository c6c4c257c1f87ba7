"""Customer accounts with their addresses and contacts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base
from server.db.types import UTCDateTime, UUIDString, new_id, utcnow

__all__ = ["Customer", "CustomerAddress", "CustomerContact", "CustomerFavourite"]


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # C-000123
    legal_name: Mapped[str] = mapped_column(String(200))
    trading_name: Mapped[str] = mapped_column(String(200), default="")
    # Normalised copies used for search and duplicate detection.
    search_name: Mapped[str] = mapped_column(String(200), index=True)
    tax_id: Mapped[str] = mapped_column(String(40), default="", index=True)
    # Everything a search reads, folded (server/domain/search.py), indexed by trigrams:
    # written by features/customers/search_documents.py whenever the customer changes.
    search_document: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(20), default="prospect")
    payment_terms: Mapped[str] = mapped_column(String(20), default="net_30")
    # None: no limit, a manager's explicit choice (server/domain/credit.py).
    credit_limit_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    price_list_id: Mapped[str | None] = mapped_column(ForeignKey("price_lists.id"), nullable=True)
    tax_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    territory_id: Mapped[str] = mapped_column(ForeignKey("territories.id"), index=True)
    # An explicit assignment wins over every territory rule.
    explicit_territory_id: Mapped[str | None] = mapped_column(
        ForeignKey("territories.id"), nullable=True
    )
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    preferred_warehouse_id: Mapped[str | None] = mapped_column(
        ForeignKey("warehouses.id"), nullable=True
    )
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    channel: Mapped[str] = mapped_column(String(20), default="field")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerAddress(Base):
    __tablename__ = "customer_addresses"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # billing | shipping
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    country: Mapped[str] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(40), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="", index=True)
    street: Mapped[str] = mapped_column(String(200), default="")
    # Coordinates are display hints for maps, never money: float is fine here.
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)


class CustomerContact(Base):
    __tablename__ = "customer_contacts"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(254), default="", index=True)
    phone: Mapped[str] = mapped_column(String(40), default="", index=True)


class CustomerFavourite(Base):
    """A customer a user starred on their phone: theirs alone, shown on their home page."""

    __tablename__ = "customer_favourites"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
