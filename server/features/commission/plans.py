"""Plans and quotas, set by admins: a plan code's versions apply from their start date; a
quota covers a month or a quarter, never both for one month."""

from __future__ import annotations

from decimal import Decimal

import msgspec
from sqlalchemy import func, select

from server.db.models import CommissionPlan, CommissionQuota, User
from server.db.types import new_id, utcnow
from server.db.unit_of_work import ReadUnit, WriteUnit
from server.domain.actor import CurrentUser
from server.domain.commission_periods import is_quarter, months_of, quarter_of
from server.domain.errors import Conflict, NotFound, ValidationFailed
from server.features.commission.crediting import summary_change
from server.features.commission.schemas import PlanIn, PlanOut, QuotaIn, QuotaOut

__all__ = ["create_plan", "list_plans", "plan_out", "set_quota"]


def plan_out(plan: CommissionPlan) -> PlanOut:
    return PlanOut(
        id=plan.id,
        code=plan.code,
        version=plan.version,
        name=plan.name,
        valid_from=plan.valid_from,
        basis=plan.basis,
        default_rate=str(Decimal(str(plan.default_rate)).normalize()),
        category_rates=dict(plan.category_rates or {}),
        product_rates=dict(plan.product_rates or {}),
        tier_mode=plan.tier_mode,
        tiers=list(plan.tiers or []),
        cap_cents=plan.cap_cents,
        manager_override_rate=str(Decimal(str(plan.manager_override_rate or 0)).normalize()),
        erosion_limit=None
        if plan.erosion_limit is None
        else f"{Decimal(str(plan.erosion_limit)).normalize():f}",
        spiffs=list(plan.spiffs or []),
        pays_on=plan.pays_on or "revenue",
        category_pays_on=dict(plan.category_pays_on or {}),
        product_pays_on=dict(plan.product_pays_on or {}),
    )


async def create_plan(uow: WriteUnit, user: CurrentUser, data: PlanIn) -> PlanOut:
    """A new plan, or the next version of `code`: entries already in the ledger keep the
    version they were computed with; orders placed from `valid_from` on use this one."""
    if data.tier_mode != "none" and not data.tiers:
        raise ValidationFailed("A tiered plan needs at least one tier.", code="tiers_required")
    starts = [Decimal(t.from_percent) for t in data.tiers]
    if len(set(starts)) != len(starts):
        raise ValidationFailed("Two tiers start at the same attainment.", code="tiers_overlap")
    if data.erosion_limit is not None and Decimal(data.erosion_limit) <= 0:
        raise ValidationFailed(
            "The erosion limit is the discount at which the rate reaches 0: above 0 %.",
            code="erosion_limit_invalid",
        )
    if any(s.ends_on < s.starts_on for s in data.spiffs):
        raise ValidationFailed("A SPIFF ends before it starts.", code="spiff_dates")
    session = uow.session
    latest = await session.scalar(
        select(func.max(CommissionPlan.version)).where(CommissionPlan.code == data.code)
    )
    plan = CommissionPlan(
        id=new_id(),
        code=data.code,
        version=(latest or 0) + 1,
        name=data.name.strip(),
        valid_from=data.valid_from,
        basis=data.basis,
        default_rate=Decimal(data.default_rate),
        category_rates=dict(data.category_rates),
        product_rates=dict(data.product_rates),
        tier_mode=data.tier_mode,
        tiers=[
            {"from_percent": t.from_percent, "multiplier": t.multiplier}
            for t in sorted(data.tiers, key=lambda t: Decimal(t.from_percent))
        ],
        cap_cents=data.cap_cents,
        manager_override_rate=Decimal(data.manager_override_rate),
        erosion_limit=None if data.erosion_limit is None else Decimal(data.erosion_limit),
        spiffs=[msgspec.to_builtins(s) for s in data.spiffs],
        pays_on=data.pays_on,
        category_pays_on=dict(data.category_pays_on),
        product_pays_on=dict(data.product_pays_on),
        created_by=user.id,
        created_at=utcnow(),
    )
    session.add(plan)
    await session.flush()
    # Every phone's what-if reads the plan from its user's summary: each pulls it again.
    for user_id in await session.scalars(select(User.id).where(User.active.is_(True))):
        uow.feed.touch(summary_change(user_id))
    return plan_out(plan)


async def list_plans(unit: ReadUnit) -> list[PlanOut]:
    rows = await unit.session.scalars(
        select(CommissionPlan).order_by(CommissionPlan.code, CommissionPlan.version)
    )
    return [plan_out(p) for p in rows]


async def set_quota(uow: WriteUnit, data: QuotaIn) -> QuotaOut:
    """The rep's quota for a month or a quarter, replacing the one set before. A month
    counts towards one quota only: a quarter's quota is refused while one of its months has
    its own, and a month's while its quarter has one."""
    session = uow.session
    if await session.get(User, data.rep_id) is None:
        raise NotFound("No such user.", code="user_not_found")
    # The rep's row serialises quota changes, so two admins cannot set a month and its
    # quarter at once.
    await session.execute(select(User.id).where(User.id == data.rep_id).with_for_update())
    others = list(months_of(data.period)) if is_quarter(data.period) else [quarter_of(data.period)]
    clash = await session.scalar(
        select(CommissionQuota.period)
        .where(CommissionQuota.rep_id == data.rep_id, CommissionQuota.period.in_(others))
        .limit(1)
    )
    if clash is not None:
        raise Conflict(
            f"The rep already has a quota for {clash}, which covers part of {data.period}: "
            "change that one, or set it to another period first.",
            code="quota_period_overlap",
            details={"period": clash},
        )
    quota = await session.scalar(
        select(CommissionQuota)
        .where(CommissionQuota.rep_id == data.rep_id, CommissionQuota.period == data.period)
        .with_for_update()
    )
    if quota is None:
        quota = CommissionQuota(id=new_id(), rep_id=data.rep_id, period=data.period)
        session.add(quota)
    quota.quota_cents = data.quota_cents
    quota.updated_at = utcnow()
    await session.flush()
    return QuotaOut(rep_id=data.rep_id, period=data.period, quota_cents=data.quota_cents)
