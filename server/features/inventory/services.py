"""Stock actions of the back office: adjust on hand with a reason, expect a receipt.

Each runs in the caller's unit of work: it checks its rule, writes the change, its stock
movement, its audit event and what the phones must pull again; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.db.models import ExpectedReceipt, Product, Warehouse
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.errors import NotFound, ValidationFailed
from server.domain.stock import MovementKind, adjustment_target
from server.features.catalog import events as catalog_events
from server.features.catalog.changes import product_changes
from server.features.catalog.services import locked_levels
from server.features.inventory import events
from server.features.inventory.schemas import ExpectedReceiptIn, StockAdjustmentIn
from server.features.sales.expected_dates import refresh_expected_dates
from server.features.shared.stock_ledger import record_movement

__all__ = ["Adjusted", "add_expected_receipt", "adjust_stock_level", "check_stock_keys"]


@dataclass(frozen=True)
class Adjusted:
    warehouse_id: str
    product_id: str
    movement_id: str | None  # None when the count found what was on hand already


async def check_stock_keys(uow: WriteUnit, warehouse_id: str, product_id: str) -> None:
    if await uow.session.get(Warehouse, warehouse_id) is None:
        raise NotFound("No such warehouse.", code="warehouse_not_found")
    if await uow.session.get(Product, product_id) is None:
        raise NotFound("No such product.", code="product_not_found")


def _reason(text: str) -> str:
    reason = " ".join(text.split())
    if not reason:
        raise ValidationFailed(
            "Say why stock is adjusted: the reason is kept in the product's stock history.",
            code="reason_required",
            details={"field": "reason"},
        )
    return reason


async def adjust_stock_level(uow: WriteUnit, actor_id: str, data: StockAdjustmentIn) -> Adjusted:
    """Move on hand by a signed quantity or set it to a count. On hand may not go below
    what is allocated to orders: 409 `below_allocated`, nothing changed."""
    reason = _reason(data.reason)
    await check_stock_keys(uow, data.warehouse_id, data.product_id)
    key = (data.warehouse_id, data.product_id)
    level = (await locked_levels(uow.session, [key]))[key]
    before = level.on_hand
    target = adjustment_target(
        on_hand=before,
        allocated=level.allocated,
        change=data.quantity,
        counted=data.counted_on_hand,
    )
    if target == before:
        return Adjusted(data.warehouse_id, data.product_id, None)
    level.on_hand = target
    await uow.session.flush()
    movement_id = await record_movement(
        uow,
        warehouse_id=data.warehouse_id,
        product_id=data.product_id,
        quantity=target - before,
        on_hand_after=target,
        kind=MovementKind.ADJUSTMENT,
        actor_id=actor_id,
        reason=reason,
    )
    await uow.audit.record(
        catalog_events.stock_set(
            product_id=data.product_id,
            warehouse_id=data.warehouse_id,
            actor_id=actor_id,
            from_on_hand=before,
            to_on_hand=target,
            reason=reason,
            channel="back_office",
        )
    )
    uow.feed.touch_all(product_changes([data.product_id]))
    return Adjusted(data.warehouse_id, data.product_id, movement_id)


async def add_expected_receipt(
    uow: WriteUnit, actor_id: str, data: ExpectedReceiptIn
) -> tuple[ExpectedReceipt, int]:
    """Goods expected from a purchase. The product's backordered lines are dated again
    from every receipt still expected; returns the receipt and the lines that have a date."""
    await check_stock_keys(uow, data.warehouse_id, data.product_id)
    receipt = ExpectedReceipt(
        id=new_id(),
        warehouse_id=data.warehouse_id,
        product_id=data.product_id,
        quantity=data.quantity,
        expected_on=data.expected_on,
        reference=" ".join(data.reference.split()),
        received=False,
        created_by=actor_id,
        created_at=utcnow(),
    )
    uow.session.add(receipt)
    await uow.session.flush()
    await uow.audit.record(events.receipt_expected(receipt=receipt, actor_id=actor_id))
    dated = await refresh_expected_dates(uow, data.product_id)
    return receipt, dated
