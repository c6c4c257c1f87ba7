"""Shipment rows and the stock they take, in one unit of work (`uow.scoped(ShipmentStore)`).

Packing takes goods off the shelf: the warehouse's on hand and allocated fall together,
the order's reservations there shrink by what was packed, and a stock movement records
why. The stock rows are locked by the caller first (`OrderStore.lock_stock`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from server.db.models import (
    Shipment,
    ShipmentLine,
    StockLevel,
    StockReservation,
)
from server.db.models.base import table_of
from server.db.types import utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.stock import MovementKind
from server.features.catalog.changes import product_changes
from server.features.shared.stock_ledger import record_movement

__all__ = ["ShipmentStore"]

_RESERVED_AT = (
    select(StockReservation.id, StockReservation.line_id, StockReservation.quantity)
    .where(
        StockReservation.order_id == bindparam("order_id"),
        StockReservation.warehouse_id == bindparam("warehouse_id"),
        StockReservation.released_at.is_(None),
    )
    .order_by(StockReservation.id)
)
_SHRINK_RESERVATION = (
    update(StockReservation)
    .where(StockReservation.id == bindparam("reservation_id"))
    .values(
        quantity=bindparam("left"),
        released_at=bindparam("closed_at", type_=StockReservation.released_at.type),
    )
)
_TAKE_STOCK = (
    update(StockLevel)
    .where(StockLevel.warehouse_id == bindparam("w"), StockLevel.product_id == bindparam("p"))
    .values(
        on_hand=StockLevel.on_hand - bindparam("q"),
        allocated=StockLevel.allocated - bindparam("q"),
    )
    .returning(StockLevel.on_hand)
)
_PACKED_BY_LINE = (
    select(ShipmentLine.order_line_id, func.sum(ShipmentLine.quantity))
    .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
    .where(Shipment.order_id == bindparam("order_id"), Shipment.status == "packed")
    .group_by(ShipmentLine.order_line_id)
)
_INSERT_SHIPMENT = insert(table_of(Shipment))
_INSERT_LINES = insert(table_of(ShipmentLine))


class ShipmentStore:
    def __init__(self, uow: WriteUnit) -> None:
        self._uow = uow
        self._sql = uow.sql

    async def reserved_at(self, order_id: str, warehouse_id: str) -> dict[str, int]:
        """Units reserved for each of the order's lines at this warehouse."""
        rows = await self._sql.rows(
            _RESERVED_AT, {"order_id": order_id, "warehouse_id": warehouse_id}
        )
        reserved: dict[str, int] = {}
        for row in rows:
            reserved[row.line_id] = reserved.get(row.line_id, 0) + row.quantity
        return reserved

    async def packed_by_line(self, order_id: str) -> dict[str, int]:
        rows = await self._sql.rows(_PACKED_BY_LINE, {"order_id": order_id})
        return {line_id: int(total) for line_id, total in rows}

    async def take_from_stock(
        self,
        *,
        order_id: str,
        warehouse_id: str,
        taken: dict[str, tuple[str, int]],
        number: str,
        actor_id: str | None,
    ) -> None:
        """Pack `taken` (line id -> (product id, units)) from the warehouse: reservations
        shrink oldest first, stock leaves, one movement per product."""
        now = utcnow()
        left = {line_id: units for line_id, (_, units) in taken.items()}
        for row in await self._sql.rows(
            _RESERVED_AT, {"order_id": order_id, "warehouse_id": warehouse_id}
        ):
            want = left.get(row.line_id, 0)
            if want <= 0:
                continue
            used = min(want, row.quantity)
            left[row.line_id] = want - used
            remaining = row.quantity - used
            await self._sql.execute(
                _SHRINK_RESERVATION,
                {
                    "reservation_id": row.id,
                    "left": remaining if remaining > 0 else row.quantity,
                    "closed_at": None if remaining > 0 else now,
                },
            )
        per_product: dict[str, int] = {}
        for product_id, units in taken.values():
            per_product[product_id] = per_product.get(product_id, 0) + units
        self._uow.feed.touch_all(product_changes(per_product))
        for product_id, units in sorted(per_product.items()):
            on_hand = await self._sql.scalar(
                _TAKE_STOCK, {"w": warehouse_id, "p": product_id, "q": units}
            )
            await record_movement(
                self._uow,
                warehouse_id=warehouse_id,
                product_id=product_id,
                quantity=-units,
                on_hand_after=int(on_hand),
                kind=MovementKind.SHIPMENT,
                actor_id=actor_id,
                order_id=order_id,
                document_number=number,
            )

    async def insert(self, shipment: dict[str, Any], lines: Iterable[dict[str, Any]]) -> None:
        await self._sql.execute(_INSERT_SHIPMENT, shipment)
        await self._sql.execute_many(_INSERT_LINES, list(lines))

    async def load_for_update(self, shipment_id: str) -> Any:
        query = select(table_of(Shipment)).where(Shipment.id == shipment_id).with_for_update()
        return (await self._uow.session.execute(query)).first()

    async def lines_of(self, shipment_id: str) -> list[Any]:
        query = select(ShipmentLine.order_line_id, ShipmentLine.quantity).where(
            ShipmentLine.shipment_id == shipment_id
        )
        return list((await self._uow.session.execute(query)).all())

    async def mark(
        self,
        shipment_id: str,
        *,
        status: str,
        shipped_at: datetime | None = None,
        delivered_on: date | None = None,
        carrier: dict[str, str] | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
        if shipped_at is not None:
            values["shipped_at"] = shipped_at
        if delivered_on is not None:
            values["delivered_on"] = delivered_on
        values.update({k: v for k, v in (carrier or {}).items() if v})
        await self._uow.session.execute(
            update(Shipment).where(Shipment.id == shipment_id).values(**values)
        )
