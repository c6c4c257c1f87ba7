"""Ended sessions and the counters that slow down password guessing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base
from server.db.types import UTCDateTime, UUIDString, utcnow

__all__ = ["LoginCounter", "RevokedSession"]


class RevokedSession(Base):
    """A session (one login's refresh-token family) that was ended: by signing out, by a
    reused refresh token, or by deactivating its user. Access tokens name their session,
    and one naming a row here is refused."""

    __tablename__ = "revoked_sessions"

    session_id: Mapped[str] = mapped_column(UUIDString, primary_key=True)
    user_id: Mapped[str] = mapped_column(UUIDString)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginCounter(Base):
    """Login attempts of one client address, or failed logins of one account, kept in the
    database so that every server process counts the same attempts.

    Times are Unix seconds: the counters are updated with one atomic upsert whose
    arithmetic must read the same on SQLite and PostgreSQL."""

    __tablename__ = "login_counters"

    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    # When the count starts over.
    window_ends: Mapped[float] = mapped_column(Float, index=True)
    # Until when an account takes no logins from clients it does not know.
    blocked_until: Mapped[float | None] = mapped_column(Float, nullable=True)
