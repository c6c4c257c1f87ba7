"""HTTP API of sales orders: /api/orders, /api/approvals, /api/stock/receipts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from server.db.engine import Database
from server.db.unit_of_work import WriteUnit
from server.domain.channels import channel_for
from server.features.catalog.openapi import problems
from server.features.sales import approvals, order_queries
from server.features.sales.allocation_service import receive_stock
from server.features.sales.amend_service import amend_order
from server.features.sales.call_offs import place_call_off
from server.features.sales.idempotency import create_once
from server.features.sales.order_service import place_order
from server.features.sales.schemas import (
    ApprovalItem,
    CallOffIn,
    CancelIn,
    OrderAmendIn,
    OrderCreateIn,
    OrderDetail,
    OrderPage,
    RejectIn,
    StockReceiptIn,
)
from server.features.shared.paging import Offset
from server.features.shared.scope import load_scope
from server.security.api_tokens import TOKEN_SCOPE
from server.security.auth import CurrentUser, requires_role

__all__ = ["OrderController", "approval_queue", "stock_receipt"]

IDEMPOTENCY_HEADER = "idempotency-key"
ChannelFilter = Literal["web", "phone", "edi", "api"]
_Req = Request[CurrentUser, Any, Any]


class OrderController(Controller):
    path = "/api/orders"
    tags = ["orders"]

    @post("/", opt={TOKEN_SCOPE: "orders:write"})
    async def create_order(self, request: _Req, db: Database, data: OrderCreateIn) -> Response[Any]:
        """Place an order. The server prices it, validates it (422 with `details.reasons`,
        nothing written) and routes it to confirmed (stock reserved), pending_approval or
        credit_hold. Send `Idempotency-Key` to make retries safe. The channel is the
        caller's: `api` or `edi` for an integration token, else `phone` when the body says
        `phone` (or `field`), else `web`."""
        data = msgspec.structs.replace(data, channel=channel_for(request.user, "api", data.channel))

        async def work(uow: WriteUnit) -> OrderDetail:
            return order_queries.placed_order_detail(await place_order(uow, request.user, data))

        status, body = await create_once(
            db,
            request.user.id,
            request.headers.get(IDEMPOTENCY_HEADER),
            "POST /api/orders",
            data,
            work,
        )
        return Response(body, status_code=status)

    @post("/{blanket_id:str}/call-offs", opt={TOKEN_SCOPE: "orders:write"})
    async def create_call_off(
        self, request: _Req, db: Database, blanket_id: str, data: CallOffIn
    ) -> Response[Any]:
        """Place a call-off of a blanket order: an ordinary order (its own number, stock
        allocated) at the blanket's agreed prices and discounts, with its rep and territory.
        Refused, with nothing changed, when the blanket is not confirmed (409
        `blanket_not_confirmed`), today is outside its period (422
        `outside_blanket_period`), a line is not one of its lines (422
        `unknown_blanket_line`) or a quantity is above what the line has left (409
        `exceeds_blanket_quantity`). Send `Idempotency-Key` (or a client `id`) to make
        retries safe. The channel is the caller's, as for any order placed."""

        data = msgspec.structs.replace(data, channel=channel_for(request.user, "api", data.channel))

        async def work(uow: WriteUnit) -> OrderDetail:
            placed = await place_call_off(uow, request.user, blanket_id, data)
            return await order_queries.order_detail(uow.session, placed.order)

        status, body = await create_once(
            db,
            request.user.id,
            request.headers.get(IDEMPOTENCY_HEADER),
            f"POST /api/orders/{blanket_id}/call-offs",
            data,
            work,
        )
        return Response(body, status_code=status)

    @get("/", opt={TOKEN_SCOPE: "orders:read"})
    async def list_orders(
        self,
        request: _Req,
        db: Database,
        status: str | None = None,
        customer_id: str | None = None,
        channel: ChannelFilter | None = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 25,
        offset: Offset = 0,
    ) -> OrderPage:
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            return await order_queries.list_orders(
                unit.session,
                scope,
                status=status,
                customer_id=customer_id,
                channel=channel,
                limit=limit,
                offset=offset,
            )

    @get("/{order_id:str}", opt={TOKEN_SCOPE: "orders:read"})
    async def get_order(self, request: _Req, db: Database, order_id: str) -> OrderDetail:
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            order = await order_queries.get_visible_order(unit.session, scope, order_id)
            return await order_queries.order_detail(unit.session, order)

    @post("/{order_id:str}/approve", status_code=200)
    async def approve(self, request: _Req, db: Database, order_id: str) -> OrderDetail:
        """A manager of the order's territory (or an admin) approves; stock is reserved."""
        async with db.write() as uow:
            order = await approvals.approve(uow, request.user, order_id)
            return await order_queries.order_detail(uow.session, order)

    @post("/{order_id:str}/reject", status_code=200)
    async def reject(
        self, request: _Req, db: Database, order_id: str, data: RejectIn
    ) -> OrderDetail:
        async with db.write() as uow:
            order = await approvals.reject(uow, request.user, order_id, data.reason)
            return await order_queries.order_detail(uow.session, order)

    @post("/{order_id:str}/release-credit", status_code=200)
    async def release_credit(self, request: _Req, db: Database, order_id: str) -> OrderDetail:
        async with db.write() as uow:
            order = await approvals.release_credit(uow, request.user, order_id)
            return await order_queries.order_detail(uow.session, order)

    @post(
        "/{order_id:str}/amend",
        status_code=200,
        responses=problems(400, 404, 409, 422),
        opt={TOKEN_SCOPE: "orders:write"},
    )
    async def amend(
        self, request: _Req, db: Database, order_id: str, data: OrderAmendIn
    ) -> OrderDetail:
        """Amend an order before it ships, at the revision the caller last saw
        (`expected_revision`; 409 `revision_conflict` with the current one when it moved
        on). Re-priced and re-checked: it is confirmed and its stock reserved again, or
        waits on pending_approval or credit_hold. Refused: 409 `not_amendable`; 422
        `below_shipped`, `line_shipped`, `no_change` or a pricing rule, nothing changed."""
        async with db.write() as uow:
            amended = await amend_order(uow, request.user, order_id, data)
            return await order_queries.order_detail(uow.session, amended.order)

    @post("/{order_id:str}/cancel", status_code=200, opt={TOKEN_SCOPE: "orders:write"})
    async def cancel(
        self, request: _Req, db: Database, order_id: str, data: CancelIn
    ) -> OrderDetail:
        """Cancel before shipment; reserved stock is released. After shipment: 409."""
        async with db.write() as uow:
            order = await approvals.cancel(uow, request.user, order_id, data.reason)
            return await order_queries.order_detail(uow.session, order)


@get("/api/approvals", guards=[requires_role("manager", "admin")], tags=["orders"])
async def approval_queue(request: _Req, db: Database) -> list[ApprovalItem]:
    """Orders on pending_approval or credit_hold that the caller may decide, oldest first."""
    async with db.read() as unit:
        scope = await load_scope(unit.session, request.user)
        return await order_queries.approval_queue(unit.session, scope, request.user.id)


class StockReceiptOut(msgspec.Struct):
    warehouse_id: str
    product_id: str
    on_hand: int
    allocated: int
    backorders_allocated: int


@post("/api/stock/receipts", status_code=200, guards=[requires_role("admin")], tags=["stock"])
async def stock_receipt(request: _Req, db: Database, data: StockReceiptIn) -> StockReceiptOut:
    """Book received goods; waiting backorders take them, rush orders first, then the oldest."""
    async with db.write() as uow:
        row, reserved = await receive_stock(
            uow,
            warehouse_id=data.warehouse_id,
            product_id=data.product_id,
            quantity=data.quantity,
            actor_id=request.user.id,
        )
        return StockReceiptOut(
            row.warehouse_id, row.product_id, row.on_hand, row.allocated, reserved
        )
