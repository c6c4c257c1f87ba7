"""A rep's question about one commission entry, and the manager's answer.

The entry itself is never changed: an answer with an adjustment appends a new entry (in the
open period) and names it here, so the statement shows both the question and its effect.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base
from server.db.types import UTCDateTime, UUIDString, new_id, utcnow

__all__ = ["CommissionDispute"]


class CommissionDispute(Base):
    __tablename__ = "commission_disputes"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    entry_id: Mapped[str] = mapped_column(ForeignKey("commission_entries.id"), index=True)
    rep_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    period: Mapped[str] = mapped_column(String(7))  # the disputed entry's period
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | answered
    comment: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    adjustment_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    adjustment_entry_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True)

    __table_args__ = (Index("ix_commission_disputes_rep_status", "rep_id", "status"),)
