"""Credit splits: a manager or admin credits an order to several reps by percent.

Setting a split replaces the one before and recomputes the order's commission at once,
under the order's lock: the ledger reverses what the old shares were credited and posts
the new shares, in the open period, each entry saying why.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import delete, select

from server.db.models import CommissionSplit, User
from server.db.types import new_id, utcnow
from server.db.unit_of_work import AuditRecord, ReadUnit, WriteUnit
from server.domain.actor import CurrentUser
from server.domain.commission import CreditSplit, validate_splits
from server.domain.errors import NotFound, ValidationFailed
from server.features.commission.crediting import credit_commission
from server.features.commission.dispute_schemas import OrderSplitsOut, SplitShareOut
from server.features.commission.schemas import SplitOut, SplitsIn, SplitsOut
from server.features.sales.changes import order_changes
from server.features.sales.order_queries import get_visible_order, order_filter
from server.features.sales.order_store import OrderStore
from server.features.shared.scope import load_scope

__all__ = ["order_splits", "set_splits"]

# Who may be credited: the people who sell.
_CREDITABLE_ROLES = ("rep", "manager")


async def set_splits(uow: WriteUnit, user: CurrentUser, order_id: str, data: SplitsIn) -> SplitsOut:
    splits = [CreditSplit(rep_id=s.rep_id, percent=Decimal(s.percent)) for s in data.splits]
    problem = validate_splits(splits)
    if problem is not None:
        raise ValidationFailed(problem, code="split_invalid")
    session = uow.session
    wanted = {s.rep_id for s in splits}
    known = set(
        await session.scalars(
            select(User.id).where(
                User.id.in_(sorted(wanted)),
                User.active.is_(True),
                User.role.in_(_CREDITABLE_ROLES),
            )
        )
    )
    if wanted - known:
        raise ValidationFailed(
            "Credit can only be split between active reps and managers.",
            code="split_unknown_rep",
            details={"rep_ids": sorted(wanted - known)},
        )
    scope = await load_scope(session, user)
    order = await uow.scoped(OrderStore).load_for_update(order_id, order_filter(scope))
    if order is None:
        raise NotFound("No such order.", code="order_not_found")
    before = [
        {"rep_id": r.rep_id, "percent": f"{Decimal(str(r.percent)).normalize():f}"}
        for r in await session.scalars(
            select(CommissionSplit).where(CommissionSplit.order_id == order.id)
        )
    ]
    await session.execute(delete(CommissionSplit).where(CommissionSplit.order_id == order.id))
    now = utcnow()
    for split in splits:
        session.add(
            CommissionSplit(
                id=new_id(),
                order_id=order.id,
                rep_id=split.rep_id,
                percent=split.percent,
                created_by=user.id,
                created_at=now,
            )
        )
    await session.flush()
    after = [{"rep_id": s.rep_id, "percent": f"{s.percent.normalize():f}"} for s in splits]
    await uow.audit.record(
        AuditRecord(
            entity_type="sales_order",
            entity_id=order.id,
            action="commission_split_set",
            actor_id=user.id,
            data={"before": before, "after": after},
        )
    )
    appended = await credit_commission(uow, order.id, reason=f"credit split of {order.number}")
    # The order's phones pull its split again (the amend builder's what-if reads it).
    uow.feed.touch_all(order_changes(order, None))
    return SplitsOut(
        order_id=order.id,
        splits=[SplitOut(rep_id=s["rep_id"], percent=s["percent"]) for s in after],
        entries_appended=appended,
    )


async def order_splits(unit: ReadUnit, user: CurrentUser, order_id: str) -> OrderSplitsOut:
    """The order's split as it stands, largest share first, with the reps' names."""
    session = unit.session
    order = await get_visible_order(session, await load_scope(session, user), order_id)
    rows = await session.execute(
        select(CommissionSplit.rep_id, User.full_name, CommissionSplit.percent)
        .join(User, User.id == CommissionSplit.rep_id)
        .where(CommissionSplit.order_id == order.id)
        .order_by(CommissionSplit.percent.desc(), CommissionSplit.rep_id)
    )
    return OrderSplitsOut(
        order_id=order.id,
        order_number=order.number,
        credited_rep_id=order.rep_id or order.created_by,
        splits=[
            SplitShareOut(
                rep_id=rep_id, rep_name=name, percent=f"{Decimal(str(percent)).normalize():f}"
            )
            for rep_id, name, percent in rows
        ],
    )
