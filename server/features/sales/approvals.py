"""Named actions on a placed order: approve, reject, release credit, cancel.

Each one locks the order row, asks the state machine, changes state, writes its audit
event (who, when, from, to, why) and touches stock, all in the caller's one transaction.
"""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, SalesOrder
from server.db.types import utcnow
from server.domain.errors import PermissionDenied
from server.domain.orders import FulfilmentStatus, OrderStatus, Reason, next_order_status
from server.features.sales.allocation_service import allocate_order_stock, release_order_stock
from server.features.sales.events import order_event
from server.features.sales.order_queries import get_visible_order, order_lines
from server.features.sales.order_service import credit_standing
from server.features.shared.numbers import lock_numbering
from server.features.shared.scope import load_scope
from server.security.auth import CurrentUser
from sync.changes import record_order_change

__all__ = ["approve", "cancel", "reject", "release_credit"]


def _require_deciding_manager(user: CurrentUser, order: SalesOrder) -> None:
    if user.is_admin:
        return
    if user.role != "manager":
        raise PermissionDenied("Only a manager of the order's territory may decide.",
                               code="not_a_manager")
    # The snapshot decides, not today's assignments: the chain the order was placed under.
    if user.id not in (order.manager_ids or []):
        raise PermissionDenied("You do not manage the territory this order was placed in.",
                               code="not_order_manager")


async def _load(session: AsyncSession, user: CurrentUser, order_id: str) -> SalesOrder:
    scope = await load_scope(session, user)
    return await get_visible_order(session, scope, order_id, lock=True)


async def _transition(
    session: AsyncSession, user: CurrentUser, order: SalesOrder, action: str,
    reason: str | None,
) -> None:
    before = OrderStatus(order.status)
    fulfilment = FulfilmentStatus(order.fulfilment_status)
    order.status = next_order_status(before, action, fulfilment=fulfilment).value
    now = utcnow()
    order.version += 1
    order.updated_at = now
    if action != "cancel":
        order.decided_by, order.decided_at = user.id, now
    session.add(order_event(order=order, actor_id=user.id, action=action,
                            from_state=before.value, to_state=order.status, reason=reason))
    if order.status == OrderStatus.CONFIRMED:
        customer = await session.get(Customer, order.customer_id)
        await allocate_order_stock(
            session, order, await order_lines(session, order.id),
            preferred_warehouse_id=customer.preferred_warehouse_id if customer else None,
            actor_id=user.id,
        )
    elif order.status == OrderStatus.CANCELLED:
        order.cancelled_at = now
        released = await release_order_stock(session, order, await order_lines(session, order.id))
        if released:
            session.add(order_event(order=order, actor_id=user.id, action="stock_released",
                                    from_state=fulfilment.value, to_state=order.fulfilment_status,
                                    data={"released": released}))
    await record_order_change(session, order)
    await session.flush()


async def approve(session: AsyncSession, user: CurrentUser, order_id: str) -> SalesOrder:
    """Approve the exception the order waited for. Its credit is checked again first: orders
    confirmed while it waited count against the same limit, and an order that no longer
    fits goes on credit hold (its discount approved), with the reasons for the manager."""
    order = await _load(session, user, order_id)
    _require_deciding_manager(user, order)
    reasons = await _credit_now(session, order)
    if reasons:
        order.approval_reasons = [*(order.approval_reasons or []), *(msgspec.structs.asdict(r) for r in reasons)]
        await _transition(session, user, order, "hold_for_credit", "; ".join(r.message for r in reasons))
    else:
        await _transition(session, user, order, "approve", None)
    return order


async def _credit_now(session: AsyncSession, order: SalesOrder) -> list[Reason]:
    # Order placement takes the order counter's row first and holds it to commit, so that
    # credit checks take turns on PostgreSQL (see place_order); this check takes its turn
    # among them in the same way.
    await lock_numbering(session, "SO")
    customer = await session.get(Customer, order.customer_id, populate_existing=True)
    if customer is None:
        return []
    return (await credit_standing(session, customer)).reasons_for(order.total_cents)


async def reject(
    session: AsyncSession, user: CurrentUser, order_id: str, reason: str
) -> SalesOrder:
    order = await _load(session, user, order_id)
    _require_deciding_manager(user, order)
    await _transition(session, user, order, "reject", reason.strip())
    return order


async def release_credit(session: AsyncSession, user: CurrentUser, order_id: str) -> SalesOrder:
    order = await _load(session, user, order_id)
    _require_deciding_manager(user, order)
    await _transition(session, user, order, "release_credit", None)
    return order


async def cancel(
    session: AsyncSession, user: CurrentUser, order_id: str, reason: str
) -> SalesOrder:
    """Anyone who can see the order may cancel it until it has shipped; stock is released."""
    order = await _load(session, user, order_id)
    await _transition(session, user, order, "cancel", reason.strip())
    return order
