"""HTTP API of returns: /api/orders/{id}/returns and /api/returns/{id}/...

Anyone who can see an order may authorise a return of its invoiced goods (a rep takes
the call from the customer); receiving the goods back is the back office's (admin). An
integration (an ERP or a warehouse system) with the `returns:write` scope does both, and
reads an order's returns with `orders:read`; cancelling an RMA stays with people.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from sqlalchemy import select

from server.db.engine import Database
from server.db.models import ReturnAuthorization
from server.features.catalog.openapi import problems
from server.features.fulfilment import returns
from server.features.fulfilment.schemas import ReceiveReturnIn, ReturnIn, ReturnOut
from server.features.sales.order_queries import get_visible_order
from server.features.shared.scope import load_scope
from server.security.api_tokens import TOKEN_SCOPE
from server.security.auth import CurrentUser, requires_role

__all__ = ["ROUTES"]

_Req = Request[CurrentUser, Any, Any]


async def _answer(db: Database, return_id: str) -> ReturnOut:
    async with db.read() as unit:
        order_id = await unit.session.scalar(
            select(ReturnAuthorization.order_id).where(ReturnAuthorization.id == return_id)
        )
        found = await returns.returns_of_order(unit, order_id or "")
    return next(r for r in found if r.id == return_id)


@post(
    "/api/orders/{order_id:str}/returns",
    tags=["returns"],
    responses=problems(400, 404, 409, 422),
    opt={TOKEN_SCOPE: "returns:write"},
)
async def authorise_return(request: _Req, db: Database, order_id: str, data: ReturnIn) -> ReturnOut:
    """Authorise a return (RMA) of shipped, invoiced units with a reason. More than may come
    back answers 409 `cannot_return` naming every line; nothing is written."""
    async with db.write() as uow:
        return_id = await returns.authorise_return(uow, request.user, order_id, data)
    return await _answer(db, return_id)


@get(
    "/api/orders/{order_id:str}/returns",
    tags=["returns"],
    responses=problems(404),
    opt={TOKEN_SCOPE: "orders:read"},
)
async def list_returns(request: _Req, db: Database, order_id: str) -> list[ReturnOut]:
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        order = await get_visible_order(unit.session, scope, order_id)
        return await returns.returns_of_order(unit, order.id)


@post(
    "/api/returns/{return_id:str}/receive",
    status_code=200,
    guards=[requires_role("admin", "integration")],
    tags=["returns"],
    responses=problems(400, 403, 404, 409, 422),
    opt={TOKEN_SCOPE: "returns:write"},
)
async def receive_return(
    request: _Req, db: Database, return_id: str, data: ReceiveReturnIn
) -> ReturnOut:
    """The goods are back: restocked (serving backorders like any receipt) or scrapped; a
    credit note for them follows on each invoice that billed them. The back office, or an
    integration token with `returns:write`."""
    async with db.write() as uow:
        await returns.receive_return(uow, request.user, return_id, data)
    return await _answer(db, return_id)


@post(
    "/api/returns/{return_id:str}/cancel",
    status_code=200,
    tags=["returns"],
    responses=problems(404, 409),
)
async def cancel_return(request: _Req, db: Database, return_id: str) -> ReturnOut:
    async with db.write() as uow:
        await returns.cancel_return(uow, request.user, return_id)
    return await _answer(db, return_id)


ROUTES: list[Any] = [authorise_return, list_returns, receive_return, cancel_return]
