"""Sales territories: a tree, address rules, and effective-dated assignments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base
from server.db.types import UTCDateTime, UUIDString, new_id, utcnow

__all__ = ["Realignment", "Territory", "TerritoryAssignment", "TerritoryRule"]


class Territory(Base):
    __tablename__ = "territories"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("territories.id"), nullable=True, index=True
    )
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # region | area | territory
    # Addresses that no rule matches land here and show in the managers' unassigned list.
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TerritoryRule(Base):
    __tablename__ = "territory_rules"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    territory_id: Mapped[str] = mapped_column(ForeignKey("territories.id"), index=True)
    country: Mapped[str] = mapped_column(String(2))
    state: Mapped[str | None] = mapped_column(String(40), nullable=True)
    postal_exact: Mapped[str | None] = mapped_column(String(20), nullable=True)
    postal_prefix: Mapped[str | None] = mapped_column(String(20), nullable=True)
    postal_from: Mapped[str | None] = mapped_column(String(20), nullable=True)
    postal_to: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Rules are never deleted in place: realignment ends them, so history stays readable.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TerritoryAssignment(Base):
    """A user's role in a territory over [valid_from, valid_to) (valid_to None = open)."""

    __tablename__ = "territory_assignments"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    territory_id: Mapped[str] = mapped_column(ForeignKey("territories.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # owner | member | manager
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Realignment(Base):
    """A drafted set of rule and assignment changes, previewed before it is applied."""

    __tablename__ = "realignments"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | applied
    description: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[str] = mapped_column(Text, default="{}")  # JSON document of the draft
    effective_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
