"""HTTP API of fulfilment: /api/orders/{id}/shipments and /api/shipments/{id}/...

Packing, dispatching and confirming delivery are the back office's (admin); anyone who
can see an order sees its shipments.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import Parameter, QueryParameter
from sqlalchemy import select

from server.db.engine import Database
from server.db.models import Shipment
from server.features.catalog.openapi import problems
from server.features.fulfilment import shipments
from server.features.fulfilment.pick_lists import pick_lists
from server.features.fulfilment.queue import fulfilment_queue, parse_state
from server.features.fulfilment.return_routes import ROUTES as RETURN_ROUTES
from server.features.fulfilment.schemas import (
    CompleteServiceIn,
    DeliverIn,
    DispatchIn,
    PickListOut,
    QueuePageOut,
    ShipmentIn,
    ShipmentOut,
)
from server.features.fulfilment.service_work import complete_service
from server.features.fulfilment.views import FULFILMENT_PAGES
from server.features.sales.order_queries import get_visible_order
from server.features.shared.paging import Offset
from server.features.shared.scope import load_scope
from server.security.api_tokens import TOKEN_SCOPE
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
    opt={TOKEN_SCOPE: "orders:read"},
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


@post(
    "/api/orders/{order_id:str}/complete-service",
    guards=_admin,
    tags=["fulfilment"],
    responses=problems(400, 403, 404, 409, 422),
)
async def complete_service_order(
    request: _Req, db: Database, order_id: str, data: CompleteServiceIn
) -> ShipmentOut:
    """The work of a service order was done (on `completed_on`, today by default): every
    open unit is recorded as a delivered service shipment, so the order completes and is
    invoiced like delivered goods. Only service orders (409 `not_a_service_order`), once
    (409 `service_already_completed`); a date in the future is refused (422)."""
    async with db.write() as uow:
        shipment_id = await complete_service(uow, request.user, order_id, data)
    return await _answer(db, shipment_id)


@get(
    "/api/fulfilment/pick-lists",
    guards=_admin,
    tags=["fulfilment"],
    responses=problems(403, 404),
)
async def list_pick_lists(
    db: Database,
    warehouse_id: Annotated[str | None, Parameter(max_length=36)] = None,
) -> list[PickListOut]:
    """What to pick per warehouse: the reserved, not yet packed units of confirmed and
    in-fulfilment orders, rush first, then by priority, then the oldest order. With
    `warehouse_id`, that warehouse's list alone (also when empty)."""
    async with db.read() as unit:
        return await pick_lists(unit.session, warehouse_id)


@get(
    "/api/fulfilment/queue",
    guards=_admin,
    tags=["fulfilment"],
    responses=problems(403, 422),
)
async def fulfilment_queue_api(
    db: Database,
    # `state` is a name Litestar keeps for the application state: read under another.
    queue_state: Annotated[str, QueryParameter(name="state", max_length=40)] = "ready_to_pick",
    limit: Annotated[int, Parameter(ge=1, le=100)] = 25,
    offset: Offset = 0,
    q: Annotated[str, Parameter(max_length=100)] = "",
) -> QueuePageOut:
    """One page of the fulfilment queue in one state: `ready_to_pick`, `partially_shipped`,
    `backordered`, `awaiting_supplier` (drop-ship orders), or the shipments `packed`
    (waiting for the carrier) and `in_transit` (waiting for delivery); `counts` has every
    state's total for the tabs. `q` keeps the orders whose number or customer's name
    contains it."""
    async with db.read() as unit:
        return await fulfilment_queue(
            unit.session, parse_state(queue_state), limit=limit, offset=offset, search=q
        )


ROUTES: list[Any] = [
    create_shipment,
    list_shipments,
    dispatch_shipment,
    deliver_shipment,
    complete_service_order,
    list_pick_lists,
    fulfilment_queue_api,
    *RETURN_ROUTES,
    *FULFILMENT_PAGES,
]
