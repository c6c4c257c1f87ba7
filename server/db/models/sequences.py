"""Gap-tolerant human document numbers (C-000123, Q-000123, SO-000123)."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base

__all__ = ["DocumentSequence"]


class DocumentSequence(Base):
    __tablename__ = "document_sequences"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, default=0)
