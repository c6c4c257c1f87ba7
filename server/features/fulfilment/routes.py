"""HTTP API of fulfilment: /api/orders/{id}/shipments and /api/shipments/{id}/...

Packing, dispatching and confirming delivery are the back office's (admin); anyone who
can see an order sees its shipments.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from sqlalchemy import select

from server.db.engine import Database
from server.db.models import Shipment
from server.features.catalog.openapi import problems
from server.features.fulfilment import shipments
from server.features.fulfilment.schemas import DeliverIn, DispatchIn, ShipmentIn, ShipmentOut
from server.features.sales.order_queries import get_visible_order
from server.features.shared.scope import load_scope
from server.security.auth import CurrentUser, requires_role

__all__ = ["ROUTES"]

_Req = Request[CurrentUser, Any, Any]
_admin = [requires_role("admin")]


async def _answer(db: Database, shipment_id: str) -> ShipmentOut:
    async with db.read() as unit:
        order_id = await unit.session.scalar(
            select(Shipment.order_id).where(Shipment.id == shipment_id)
        )
        found = await shipments.shipments_of_order(unit, order_id or "")
    return next(s for s in found if s.id == shipment_id)


@post(
    "/api/orders/{order_id:str}/shipments",
    guards=_admin,
    tags=["fulfilment"],
    responses=problems(400, 403, 404, 409, 422),
)
async def create_shipment(
    request: _Req, db: Database, order_id: str, data: ShipmentIn
) -> ShipmentOut:
    """Pack allocated goods of the order from one warehouse (all that is reserved there
    unless `lines` says which) and, unless `dispatch` is false, ship them. A drop-ship or
    service order has no warehouse. Refusals (409 `cannot_ship`, `ship_complete`,
    `order_not_shippable`) name every line and change nothing."""
    async with db.write() as uow:
        shipment_id = await shipments.create_shipment(uow, request.user, order_id, data)
    return await _answer(db, shipment_id)


@get(
    "/api/orders/{order_id:str}/shipments",
    tags=["fulfilment"],
    responses=problems(404),
)
async def list_shipments(request: _Req, db: Database, order_id: str) -> list[ShipmentOut]:
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        order = await get_visible_order(unit.session, scope, order_id)
        return await shipments.shipments_of_order(unit, order.id)


@post(
    "/api/shipments/{shipment_id:str}/dispatch",
    status_code=200,
    guards=_admin,
    tags=["fulfilment"],
    responses=problems(400, 403, 404, 409),
)
async def dispatch_shipment(
    request: _Req, db: Database, shipment_id: str, data: DispatchIn
) -> ShipmentOut:
    """A packed shipment leaves with its carrier and tracking number."""
    async with db.write() as uow:
        await shipments.dispatch(uow, request.user, shipment_id, data)
    return await _answer(db, shipment_id)


@post(
    "/api/shipments/{shipment_id:str}/deliver",
    status_code=200,
    guards=_admin,
    tags=["fulfilment"],
    responses=problems(400, 403, 404, 409, 422),
)
async def deliver_shipment(
    request: _Req, db: Database, shipment_id: str, data: DeliverIn
) -> ShipmentOut:
    """Delivery confirmed on a date (today by default); when every unit of the order is
    delivered the order is completed."""
    async with db.write() as uow:
        await shipments.deliver(uow, request.user, shipment_id, data)
    return await _answer(db, shipment_id)


ROUTES: list[Any] = [create_shipment, list_shipments, dispatch_shipment, deliver_shipment]
