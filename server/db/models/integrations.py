"""API tokens: how an integration user (role `integration`) authenticates.

Only the SHA-256 of a token is kept; the token itself is shown once, to the admin who
creates it. `prefix` keeps its first characters so that a person can tell tokens apart.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base
from server.db.types import UTCDateTime, UUIDString, new_id, utcnow

__all__ = ["ApiToken"]


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    # The integration user the token signs in as.
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))
    # Space-separated, from server/domain/api_tokens.py SCOPES.
    scopes: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(10))  # api | edi
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
