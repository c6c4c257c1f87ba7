"""The stock ledger: one `stock_movements` row per change of a stock row's on hand.

Whoever changes on hand writes its movement through here in the same unit of work, so the
history of a product's stock and its stock rows cannot disagree.
"""

from __future__ import annotations

from sqlalchemy import insert

from server.db.models import StockMovement
from server.db.models.base import table_of
from server.db.types import new_id, utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.stock import MovementKind

__all__ = ["record_movement"]

_INSERT = insert(table_of(StockMovement))
_REASON_MAX = 200  # the column's length


async def record_movement(
    uow: WriteUnit,
    *,
    warehouse_id: str,
    product_id: str,
    quantity: int,
    on_hand_after: int,
    kind: MovementKind,
    actor_id: str | None,
    reason: str = "",
    order_id: str | None = None,
    document_number: str = "",
) -> str:
    """`quantity` is the signed change of on hand; `on_hand_after` what it became.
    Returns the movement's id."""
    movement_id = new_id()
    await uow.sql.execute(
        _INSERT,
        {
            "id": movement_id,
            "warehouse_id": warehouse_id,
            "product_id": product_id,
            "quantity": quantity,
            "on_hand_after": on_hand_after,
            "kind": kind.value,
            "reason": reason[:_REASON_MAX],
            "order_id": order_id,
            "document_number": document_number,
            "actor_id": actor_id,
            "created_at": utcnow(),
        },
    )
    return movement_id
