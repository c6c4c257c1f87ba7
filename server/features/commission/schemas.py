"""Messages of the commission API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from server.features.commission.dispute_schemas import DisputeOut

__all__ = [
    "DrawIn",
    "DrawOut",
    "EntryOut",
    "PhonePlan",
    "PlanIn",
    "PlanOut",
    "QuotaIn",
    "QuotaOut",
    "SpiffIn",
    "SplitIn",
    "SplitOut",
    "SplitsIn",
    "SplitsOut",
    "StatementOut",
    "SummaryOut",
    "TierIn",
]

Period = Annotated[str, Meta(pattern=r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$")]
# A quota's period: a month (YYYY-MM) or a quarter (YYYY-Qn).
QuotaPeriod = Annotated[
    str,
    Meta(pattern=r"^(19|20|21)\d{2}-((0[1-9]|1[0-2])|Q[1-4])$", description="YYYY-MM or YYYY-Qn"),
]
PaysOnIn = Literal["revenue", "margin"]
Uuid = Annotated[str, Meta(pattern=r"^[0-9a-fA-F-]{36}$")]
# A percent as a decimal string, 0 to 100 with up to 4 places ("7.5").
Percent = Annotated[str, Meta(pattern=r"^(100(\.0{1,4})?|\d{1,2}(\.\d{1,4})?)$")]
Multiplier = Annotated[str, Meta(pattern=r"^\d{1,2}(\.\d{1,4})?$")]


class TierIn(msgspec.Struct, forbid_unknown_fields=True):
    from_percent: Annotated[str, Meta(pattern=r"^\d{1,4}(\.\d{1,2})?$")]
    multiplier: Multiplier


class SpiffIn(msgspec.Struct, forbid_unknown_fields=True):
    """A bonus of `amount_cents` per unit (or once per order) of `product_id`, for orders
    placed from `starts_on` to `ends_on` inclusive."""

    product_id: Uuid
    per: Literal["unit", "order"]
    amount_cents: Annotated[int, Meta(gt=0, le=10**9)]
    starts_on: date
    ends_on: date


class PlanIn(msgspec.Struct, forbid_unknown_fields=True):
    """A plan, or a new version of the plan with this `code` (from `valid_from` on)."""

    code: Annotated[str, Meta(min_length=1, max_length=40)]
    name: Annotated[str, Meta(min_length=1, max_length=120)]
    valid_from: date
    basis: Literal["booked", "invoiced", "paid"]
    default_rate: Percent
    category_rates: Annotated[dict[Uuid, Percent], Meta(max_length=500)] = {}
    product_rates: Annotated[dict[Uuid, Percent], Meta(max_length=5000)] = {}
    tier_mode: Literal["none", "marginal", "retroactive"] = "none"
    tiers: Annotated[list[TierIn], Meta(max_length=20)] = []
    cap_cents: Annotated[int, Meta(ge=0, le=10**13)] | None = None
    manager_override_rate: Percent = "0"
    # The line discount (percent) at which the rate has fallen to 0; None: no erosion.
    erosion_limit: Percent | None = None
    spiffs: Annotated[list[SpiffIn], Meta(max_length=200)] = []
    # What the rates apply to: net revenue, or net minus the product's cost (margin).
    pays_on: PaysOnIn = "revenue"
    category_pays_on: Annotated[dict[Uuid, PaysOnIn], Meta(max_length=500)] = {}
    product_pays_on: Annotated[dict[Uuid, PaysOnIn], Meta(max_length=5000)] = {}


class PlanOut(msgspec.Struct):
    id: str
    code: str
    version: int
    name: str
    valid_from: date
    basis: str
    default_rate: str
    category_rates: dict[str, str]
    product_rates: dict[str, str]
    tier_mode: str
    tiers: list[dict[str, str]]
    cap_cents: int | None
    manager_override_rate: str
    erosion_limit: str | None = None
    spiffs: list[dict[str, Any]] = []
    pays_on: str = "revenue"
    category_pays_on: dict[str, str] = {}
    product_pays_on: dict[str, str] = {}


class PhonePlan(msgspec.Struct):
    """The rates of the plan in force, as the phone's what-if (commission.js) reads them:
    percents as decimal strings, SPIFF dates as ISO days."""

    id: str
    version: int
    basis: str
    default_rate: str
    category_rates: dict[str, str]
    product_rates: dict[str, str]
    erosion_limit: str | None
    spiffs: list[dict[str, Any]]
    pays_on: str = "revenue"
    category_pays_on: dict[str, str] = {}
    product_pays_on: dict[str, str] = {}
    tier_mode: str = "none"
    tiers: list[dict[str, str]] = []
    cap_cents: int | None = None


class QuotaIn(msgspec.Struct, forbid_unknown_fields=True):
    """A rep's quota for a month or a quarter; attainment and tiers run on that period."""

    rep_id: Uuid
    period: QuotaPeriod
    quota_cents: Annotated[int, Meta(ge=0, le=10**13)]


class QuotaOut(msgspec.Struct):
    rep_id: str
    period: str
    quota_cents: int


class DrawIn(msgspec.Struct, forbid_unknown_fields=True):
    """A rep's draw for a month, replacing the one set before (an amount of 0 removes it):
    recoverable (an advance on later earnings) or non-recoverable (a guaranteed minimum)."""

    rep_id: Uuid
    period: Period
    kind: Literal["recoverable", "non_recoverable"]
    amount_cents: Annotated[int, Meta(ge=0, le=10**11)]


class DrawOut(msgspec.Struct):
    rep_id: str
    period: str
    kind: str
    amount_cents: int


class SummaryOut(msgspec.Struct):
    """A rep's period: earned (entries plus the tier effect), pending (booked, not yet
    earned under the basis), paid (on paid statements), attainment against quota."""

    rep_id: str
    period: str
    basis: str | None
    earned_cents: int
    base_cents: int
    tier_adjustment_cents: int
    pending_cents: int
    paid_cents: int
    revenue_cents: int
    quota_cents: int | None
    attainment_percent: str | None
    next_tier_percent: str | None = None
    next_tier_multiplier: str | None = None
    next_tier_revenue_needed_cents: int | None = None
    statement_status: str = "draft"
    spiff_cents: int = 0  # SPIFFs credited in the period (part of earned, outside tiers)
    plan: PhonePlan | None = None
    # The period attainment and tiers run on (this month or its quarter) and its figures
    # to date: the phone's what-if adds a document to them for the tier effect.
    quota_period: str | None = None
    quota_base_cents: int = 0
    quota_revenue_cents: int = 0
    # The month's draw: what it tops the month up by and what it recovers of earlier
    # recoverable draws (part of earned), and what stays to recover after this month.
    draw_cents: int = 0
    draw_recovered_cents: int = 0
    draw_outstanding_cents: int = 0


class SplitIn(msgspec.Struct, forbid_unknown_fields=True):
    rep_id: Uuid
    percent: Annotated[str, Meta(pattern=r"^\d{1,3}(\.\d{1,4})?$")]


class SplitsIn(msgspec.Struct, forbid_unknown_fields=True):
    """The order's credit split, replacing the one before; empty: credited whole to the
    territory's rep again."""

    splits: Annotated[list[SplitIn], Meta(max_length=20)]


class SplitOut(msgspec.Struct):
    rep_id: str
    percent: str


class SplitsOut(msgspec.Struct):
    order_id: str
    splits: list[SplitOut]
    entries_appended: int


class EntryOut(msgspec.Struct):
    id: str
    period: str
    role: str
    order_id: str | None
    order_number: str | None
    source_type: str
    source_id: str
    basis: str
    revenue_cents: int
    amount_cents: int
    rate: str
    plan_version: int | None
    reason: str
    created_at: datetime
    kind: str = "commission"  # commission | spiff


class StatementOut(msgspec.Struct):
    rep_id: str
    rep_name: str
    period: str
    status: str
    amount_cents: int
    summary: SummaryOut
    entries: list[EntryOut]
    approved_by: str | None = None
    approved_at: datetime | None = None
    paid_at: datetime | None = None
    # The rep's questions about lines of this period, with the answers.
    disputes: list[DisputeOut] = []
