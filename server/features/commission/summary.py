"""A rep's period in figures: what the phone's home and a statement show."""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, or_, select

from server.db.models import (
    CommissionEntry,
    CommissionSplit,
    CommissionStatement,
    Product,
    SalesOrder,
    SalesOrderLine,
)
from server.db.unit_of_work import ReadUnit
from server.domain.commission import (
    EARNING_STATUSES,
    Basis,
    Plan,
    attainment_percent,
    commission_on,
    commissionable_share,
    next_tier,
    open_period,
    rate_for,
    split_cents,
)
from server.features.commission.draws import draw_settlement
from server.features.commission.schemas import PhonePlan, SummaryOut
from server.features.commission.standing import month_tier_adjustment, quota_standing
from server.features.commission.store import LOCKING_STATUSES, CommissionStore

__all__ = ["PENDING_ORDERS", "last_day", "phone_plan", "plan_for_period", "rep_summary"]

# The open orders looked at for "pending": the latest ones, enough for any field rep.
PENDING_ORDERS = 500


def last_day(period: str) -> date:
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, monthrange(year, month)[1])


async def plan_for_period(store: CommissionStore, period: str, today: date) -> Plan | None:
    """The plan whose tiers and cap rule the period: the one in force at its end (or today,
    for the running period)."""
    return await store.plan_on(min(last_day(period), today))


def phone_plan(plan: Plan) -> PhonePlan:
    """The plan's rates for the phone's what-if: exact decimals as plain strings."""
    return PhonePlan(
        id=plan.id,
        version=plan.version,
        basis=plan.basis.value,
        default_rate=f"{plan.default_rate:f}",
        category_rates={k: f"{v:f}" for k, v in plan.category_rates.items()},
        product_rates={k: f"{v:f}" for k, v in plan.product_rates.items()},
        erosion_limit=None if plan.erosion_limit is None else f"{plan.erosion_limit:f}",
        spiffs=[
            {
                "product_id": s.product_id,
                "per": s.per.value,
                "amount_cents": s.amount_cents,
                "starts_on": s.starts_on.isoformat(),
                "ends_on": s.ends_on.isoformat(),
            }
            for s in plan.spiffs
        ],
        pays_on=plan.pays_on.value,
        category_pays_on={k: v.value for k, v in plan.category_pays_on.items()},
        product_pays_on={k: v.value for k, v in plan.product_pays_on.items()},
        tier_mode=plan.tier_mode.value,
        tiers=[
            {"from_percent": f"{t.from_percent:f}", "multiplier": f"{t.multiplier:f}"}
            for t in plan.tiers
        ],
        cap_cents=plan.cap_cents,
    )


def _pct(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.1")))


async def _pending(unit: ReadUnit, store: CommissionStore, rep_id: str) -> int:
    """What the rep's confirmed, not yet paid orders would earn at booking and have not
    earned yet under their plan's basis (zero under a booked plan). On a split order, the
    rep's share of each line; an order split without them is not theirs."""
    session = unit.session
    split_to_rep = select(CommissionSplit.order_id).where(CommissionSplit.rep_id == rep_id)
    orders = (
        await session.execute(
            select(SalesOrder.id, SalesOrder.placed_at)
            .where(
                or_(
                    SalesOrder.rep_id == rep_id,
                    and_(SalesOrder.rep_id.is_(None), SalesOrder.created_by == rep_id),
                    SalesOrder.id.in_(split_to_rep),
                ),
                SalesOrder.status.in_(sorted(EARNING_STATUSES)),
                SalesOrder.billing_status != "paid",
            )
            .order_by(SalesOrder.placed_at.desc())
            .limit(PENDING_ORDERS)
        )
    ).all()
    if not orders:
        return 0
    plans: dict[date, Plan | None] = {}
    plan_of_order: dict[str, Plan] = {}
    for order_id, placed_at in orders:
        day = placed_at.date()
        if day not in plans:
            plans[day] = await store.plan_on(day)
        found = plans[day]
        if found is not None and found.basis is not Basis.BOOKED:
            plan_of_order[order_id] = found
    if not plan_of_order:
        return 0
    ids = list(plan_of_order)
    splits: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for order_id, split_rep, percent in await session.execute(
        select(CommissionSplit.order_id, CommissionSplit.rep_id, CommissionSplit.percent)
        .where(CommissionSplit.order_id.in_(ids))
        .order_by(CommissionSplit.percent.desc(), CommissionSplit.rep_id)
    ):
        splits[order_id].append((split_rep, Decimal(str(percent))))
    booked: dict[str, int] = defaultdict(int)
    lines = await session.execute(
        select(
            SalesOrderLine.order_id,
            SalesOrderLine.product_id,
            Product.category_id,
            SalesOrderLine.net_cents,
            SalesOrderLine.discount_percent,
            SalesOrderLine.quantity,
            Product.cost_cents,
        )
        .join(Product, Product.id == SalesOrderLine.product_id)
        .where(SalesOrderLine.order_id.in_(ids))
    )
    for order_id, product_id, category_id, net, discount, quantity, cost in lines:
        plan = plan_of_order[order_id]
        share = commissionable_share(plan, product_id, category_id, net, quantity, cost)
        rate = rate_for(plan, product_id, category_id, Decimal(str(discount or 0)))
        cents = commission_on(net, rate, share)
        shares = splits.get(order_id)
        if shares:
            reps = [r for r, _ in shares]
            if rep_id not in reps:
                continue
            cents = split_cents(cents, [p for _, p in shares])[reps.index(rep_id)]
        booked[order_id] += cents
    earned = dict(
        (
            await session.execute(
                select(CommissionEntry.order_id, func.sum(CommissionEntry.amount_cents))
                .where(
                    CommissionEntry.order_id.in_(ids),
                    CommissionEntry.rep_id == rep_id,
                    CommissionEntry.role == "rep",
                )
                .group_by(CommissionEntry.order_id)
            )
        ).all()
    )
    return sum(max(0, booked[i] - int(earned.get(i) or 0)) for i in ids)


async def rep_summary(
    unit: ReadUnit, rep_id: str, period: str, today: date | None = None
) -> SummaryOut:
    today = today or date.today()
    store = CommissionStore(unit)
    base, revenue = await store.period_sums(rep_id, period)
    total = await store.period_total(rep_id, period)
    standing = await quota_standing(store, rep_id, period)
    quota = standing.quota_cents
    plan = await plan_for_period(store, period, today)
    statement = (
        await unit.session.execute(
            select(CommissionStatement.status, CommissionStatement.amount_cents).where(
                CommissionStatement.rep_id == rep_id, CommissionStatement.period == period
            )
        )
    ).first()
    status = statement[0] if statement else "draft"
    if status in LOCKING_STATUSES or plan is None:
        # Approving wrote the tier adjustment and the draws into the ledger: `total`.
        rows = await unit.session.execute(
            select(CommissionEntry.kind, func.coalesce(func.sum(CommissionEntry.amount_cents), 0))
            .where(
                CommissionEntry.rep_id == rep_id,
                CommissionEntry.period == period,
                CommissionEntry.source_type == "period",
            )
            .group_by(CommissionEntry.kind)
        )
        by_kind = {str(kind): int(cents or 0) for kind, cents in rows}
        adjustment = by_kind.get("commission", 0)
        top_up = by_kind.get("draw", 0) + by_kind.get("guarantee", 0)
        recovered = -by_kind.get("recovery", 0)
        after = open_period(period, {period})  # the month after
        outstanding = await store.outstanding_draws(rep_id, after)
        earned = total
    else:
        adjustment = month_tier_adjustment(plan, standing)
        settled, outstanding = await draw_settlement(
            store, rep_id, period, await store.period_earnings(rep_id, period) + adjustment
        )
        top_up, recovered = settled.top_up_cents, settled.recovered_cents
        earned = total + adjustment + settled.paid_cents
    # Attainment and the next tier run on the quota period (the month or its quarter).
    quota_revenue = standing.revenue_cents
    upcoming = next_tier(plan, quota_revenue, quota) if plan is not None else None
    return SummaryOut(
        rep_id=rep_id,
        period=period,
        basis=plan.basis.value if plan else None,
        earned_cents=earned,
        base_cents=base,
        tier_adjustment_cents=adjustment,
        pending_cents=await _pending(unit, store, rep_id),
        paid_cents=int(statement[1]) if statement and status == "paid" else 0,
        revenue_cents=revenue,
        quota_cents=quota,
        attainment_percent=_pct(attainment_percent(quota_revenue, quota)),
        next_tier_percent=str(upcoming.from_percent) if upcoming else None,
        next_tier_multiplier=str(upcoming.multiplier) if upcoming else None,
        next_tier_revenue_needed_cents=upcoming.revenue_needed_cents if upcoming else None,
        statement_status=status,
        spiff_cents=int(
            await unit.session.scalar(
                select(func.coalesce(func.sum(CommissionEntry.amount_cents), 0)).where(
                    CommissionEntry.rep_id == rep_id,
                    CommissionEntry.period == period,
                    CommissionEntry.kind == "spiff",
                )
            )
            or 0
        ),
        plan=phone_plan(plan) if plan is not None else None,
        quota_period=standing.quota_period,
        quota_base_cents=standing.base_cents,
        quota_revenue_cents=quota_revenue,
        draw_cents=top_up,
        draw_recovered_cents=recovered,
        draw_outstanding_cents=outstanding,
    )
