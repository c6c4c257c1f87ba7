"""Sync bookkeeping tables: devices, mutation outcomes and the change feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base
from server.db.types import UTCDateTime, UUIDString, new_id, utcnow

__all__ = ["ChangeCounter", "ChangeRecord", "Device", "MutationOutcome"]


class Device(Base):
    """A phone (or browser) registered to one user; its `last_seq` is the exactly-once guard."""

    __tablename__ = "sync_devices"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MutationOutcome(Base):
    """What the server decided for one mutation, replayed when the phone sends it again."""

    __tablename__ = "sync_outcomes"

    device_id: Mapped[str] = mapped_column(ForeignKey("sync_devices.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    mutation_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20))  # accepted | needs_approval | rejected
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ChangeCounter(Base):
    """One row: the server's change counter, the pull cursor.

    Every write transaction that changes something a phone may pull increments it while
    holding the row lock until commit. Transactions therefore take counter values in commit
    order, so a reader that has seen value N can never later find a commit with a value
    below N: no change is skipped, whatever order transactions start in.
    """

    __tablename__ = "sync_change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class ChangeRecord(Base):
    """Entity `entity_type`/`entity_id` changed at counter value `seq`."""

    __tablename__ = "sync_changes"

    # Assigned by the database (SQLite's rowid, a sequence on PostgreSQL): the feed is only
    # appended to and read in (seq, id) order, so a UUID key would be one more b-tree per
    # change for nothing.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(36))
    # Row scope of the change: the territory for customers and documents, None = everyone.
    territory_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True, index=True)
    owner_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
