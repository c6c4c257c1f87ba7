"""Named actions on a placed order: approve, reject, release credit, cancel.

Each one locks the order row, asks the state machine, changes state, writes its audit
event (who, when, from, to, why) and touches stock, all in the caller's one unit of work.
"""

from __future__ import annotations

import msgspec

from server.db.models import Customer
from server.db.types import utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.actor import CurrentUser
from server.domain.allocation import AllocationPlan
from server.domain.blanket_orders import reserves_stock
from server.domain.errors import NotFound, PermissionDenied
from server.domain.orders import FulfilmentStatus, OrderStatus, Reason, next_order_status
from server.features.commission.crediting import credit_commission
from server.features.notifications.order_events import decided_events
from server.features.sales.allocation_service import allocate, allocation_event, release_order_stock
from server.features.sales.call_offs import give_back_call_off
from server.features.sales.changes import order_changes
from server.features.sales.credit_turns import take_credit_turn_of_order
from server.features.sales.events import order_event
from server.features.sales.order_queries import order_filter
from server.features.sales.order_service import credit_standing
from server.features.sales.order_store import OrderRow, OrderStore
from server.features.shared.scope import load_scope

__all__ = ["approve", "cancel", "reject", "release_credit"]


def _require_deciding_manager(user: CurrentUser, order: OrderRow) -> None:
    if user.is_admin:
        return
    if user.role != "manager":
        raise PermissionDenied(
            "Only a manager of the order's territory may decide.", code="not_a_manager"
        )
    # The snapshot decides, not today's assignments: the chain the order was placed under.
    if user.id not in (order.manager_ids or []):
        raise PermissionDenied(
            "You do not manage the territory this order was placed in.", code="not_order_manager"
        )


async def _load(uow: WriteUnit, user: CurrentUser, order_id: str) -> OrderRow:
    """The order, locked to commit; NotFound also when it exists outside the caller's scope."""
    scope = await load_scope(uow.session, user)
    order = await uow.scoped(OrderStore).load_for_update(order_id, order_filter(scope))
    if order is None:
        raise NotFound("No such order.", code="order_not_found")
    return order


async def _transition(
    uow: WriteUnit,
    user: CurrentUser,
    order: OrderRow,
    action: str,
    reason: str | None,
) -> None:
    store = uow.scoped(OrderStore)
    before = OrderStatus(order.status)
    fulfilment = FulfilmentStatus(order.fulfilment_status)
    order.status = next_order_status(before, action, fulfilment=fulfilment).value
    now = utcnow()
    order.version += 1
    order.updated_at = now
    if action != "cancel":
        order.decided_by, order.decided_at = user.id, now
    events = [
        order_event(
            order=order,
            actor_id=user.id,
            action=action,
            from_state=before.value,
            to_state=order.status,
            reason=reason,
        )
    ]
    customer = await uow.session.get(Customer, order.customer_id)
    plan: AllocationPlan | None = None
    if order.status == OrderStatus.CONFIRMED and reserves_stock(order.order_type):
        lines = await store.lines(order.id)
        plan = await allocate(
            store,
            order,
            lines,
            preferred_warehouse_id=customer.preferred_warehouse_id if customer else None,
        )
        await store.reserve(order.id, plan.reservations)
        await store.save_allocations(lines)
        events.append(allocation_event(order, user.id, fulfilment.value, plan))
    elif order.status == OrderStatus.CANCELLED:
        order.cancelled_at = now
        lines = await store.lines(order.id)
        await give_back_call_off(uow, user, order, lines)
        released = await release_order_stock(store, order, lines)
        if released:
            events.append(
                order_event(
                    order=order,
                    actor_id=user.id,
                    action="stock_released",
                    from_state=fulfilment.value,
                    to_state=order.fulfilment_status,
                    data={"released": released},
                )
            )
    await store.save_status(order)
    await uow.audit.record(*events)
    await uow.outbox.emit(*decided_events(order, action, plan))
    await credit_commission(uow, order.id, reason=f"{action} {order.number}")
    uow.feed.touch_all(order_changes(order, customer))


async def approve(uow: WriteUnit, user: CurrentUser, order_id: str) -> OrderRow:
    """Approve the exception the order waited for. Its credit is checked again first: orders
    confirmed while it waited count against the same limit, and an order that no longer
    fits goes on credit hold (its discount approved), with the reasons for the manager."""
    # The customer's credit turn before the order row, the lock order of every order action
    # (an amendment takes both too): taken the other way round the two could wait on each
    # other. Orders of the customer placed or approved meanwhile are counted below.
    await take_credit_turn_of_order(uow, order_id)
    order = await _load(uow, user, order_id)
    _require_deciding_manager(user, order)
    reasons = await _credit_now(uow, order)
    if reasons:
        order.approval_reasons = [
            *(order.approval_reasons or []),
            *(msgspec.structs.asdict(r) for r in reasons),
        ]
        await _transition(
            uow, user, order, "hold_for_credit", "; ".join(r.message for r in reasons)
        )
    else:
        await _transition(uow, user, order, "approve", None)
    return order


async def _credit_now(uow: WriteUnit, order: OrderRow) -> list[Reason]:
    # The caller holds the customer's credit turn (see credit_turns).
    customer = await uow.session.get(Customer, order.customer_id, populate_existing=True)
    if customer is None:
        return []
    return (await credit_standing(uow, customer)).reasons_for(order.total_cents)


async def reject(uow: WriteUnit, user: CurrentUser, order_id: str, reason: str) -> OrderRow:
    order = await _load(uow, user, order_id)
    _require_deciding_manager(user, order)
    await _transition(uow, user, order, "reject", reason.strip())
    return order


async def release_credit(uow: WriteUnit, user: CurrentUser, order_id: str) -> OrderRow:
    order = await _load(uow, user, order_id)
    _require_deciding_manager(user, order)
    await _transition(uow, user, order, "release_credit", None)
    return order


async def cancel(uow: WriteUnit, user: CurrentUser, order_id: str, reason: str) -> OrderRow:
    """Anyone who can see the order may cancel it until it has shipped; stock is released."""
    order = await _load(uow, user, order_id)
    await _transition(uow, user, order, "cancel", reason.strip())
    return order
