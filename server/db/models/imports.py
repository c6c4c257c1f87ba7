"""CSV import jobs: the uploaded file and how far writing it has come."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base
from server.db.types import UTCDateTime, UUIDString, utcnow

__all__ = ["ImportJob"]


class ImportJob(Base):
    __tablename__ = "import_jobs"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # customers | products
    actor_id: Mapped[str] = mapped_column(UUIDString, index=True)
    status: Mapped[str] = mapped_column(String(20))  # running | done | failed
    rows_total: Mapped[int] = mapped_column(Integer)
    # Rows written, committed together with those rows: a resumed job starts after them.
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[bytes] = mapped_column(LargeBinary)  # the file, kept to resume from
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
