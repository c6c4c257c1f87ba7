"""Commission plans, quotas, the append-only ledger of entries, and statements.

A plan is effective-dated and versioned: a new version applies from its `valid_from`, the
ledger names the version each entry was computed with. Entries are never updated or
deleted; a recompute appends the difference under the same `key`, numbered, and
`entry_key` is unique, so two recomputes of one order can never both append it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base
from server.db.types import UTCDateTime, UUIDString, new_id, utcnow

__all__ = [
    "CommissionDraw",
    "CommissionEntry",
    "CommissionPlan",
    "CommissionQuota",
    "CommissionSplit",
    "CommissionStatement",
]


class CommissionPlan(Base):
    __tablename__ = "commission_plans"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(120))
    valid_from: Mapped[date] = mapped_column(Date, index=True)
    basis: Mapped[str] = mapped_column(String(10))  # booked | invoiced | paid
    default_rate: Mapped[Any] = mapped_column(Numeric(7, 4))
    # {category_id: percent} and {product_id: percent}, as strings (exact).
    category_rates: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    product_rates: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    tier_mode: Mapped[str] = mapped_column(String(12), default="none")  # none|marginal|retroactive
    # [{"from_percent": "100", "multiplier": "1.5"}, ...]
    tiers: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    cap_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    manager_override_rate: Mapped[Any] = mapped_column(Numeric(7, 4), default=0)
    # The line discount percent at which the rate has eroded to 0 (None: no erosion).
    erosion_limit: Mapped[Any] = mapped_column(Numeric(7, 4), nullable=True)
    # [{"product_id", "per": "unit"|"order", "amount_cents", "starts_on", "ends_on"}]
    spiffs: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    # revenue | margin, and the overrides {category_id: basis}, {product_id: basis}.
    pays_on: Mapped[str] = mapped_column(String(10), default="revenue", server_default="revenue")
    category_pays_on: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    product_pays_on: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    created_by: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("code", "version", name="commission_plan_version"),)


class CommissionQuota(Base):
    __tablename__ = "commission_quotas"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    rep_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM or YYYY-Qn
    quota_cents: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("rep_id", "period", name="commission_quota_period"),)


class CommissionDraw(Base):
    """A rep's draw for a month: recoverable (an advance) or non-recoverable (a minimum)."""

    __tablename__ = "commission_draws"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    rep_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    kind: Mapped[str] = mapped_column(String(16))  # recoverable | non_recoverable
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("rep_id", "period", name="commission_draw_period"),)


class CommissionEntry(Base):
    __tablename__ = "commission_entries"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    entry_key: Mapped[str] = mapped_column(String(240), unique=True)
    key: Mapped[str] = mapped_column(String(236))
    rep_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(10))  # rep | manager
    period: Mapped[str] = mapped_column(String(7))
    order_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True, index=True)
    # order_line | invoice_line | credit_note_line | period
    source_type: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[str] = mapped_column(String(80))
    basis: Mapped[str] = mapped_column(String(10))
    revenue_cents: Mapped[int] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    rate: Mapped[Any] = mapped_column(Numeric(9, 4))
    plan_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    plan_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(
        String(16), default="commission", server_default="commission"
    )  # commission | spiff | adjustment | draw | guarantee | recovery | carry_forward

    __table_args__ = (Index("ix_commission_entries_rep_period", "rep_id", "period"),)


class CommissionSplit(Base):
    """One rep's share of an order's credit; an order without rows is credited whole to
    its territory's rep."""

    __tablename__ = "commission_splits"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    rep_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    percent: Mapped[Any] = mapped_column(Numeric(7, 4))
    created_by: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("order_id", "rep_id", name="commission_split_rep"),)


class CommissionStatement(Base):
    """A rep's period: draft -> approved (locked: later changes land in the open period)
    -> paid."""

    __tablename__ = "commission_statements"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    rep_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft|approved|paid
    amount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    approved_by: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paid_by: Mapped[str | None] = mapped_column(UUIDString, nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("rep_id", "period", name="commission_statement_period"),)
