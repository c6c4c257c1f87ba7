"""HTTP API of customers: /api/customers."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.params import Parameter
from sqlalchemy import select

from server.db.engine import Database
from server.db.models import AuditEvent
from server.domain.actor import CurrentUser
from server.domain.channels import channel_for
from server.features.customers import queries, services
from server.features.customers.schemas import (
    CustomerCreateIn,
    CustomerDetail,
    CustomerPage,
    CustomerUpdateIn,
    CustomerUpdateOut,
)
from server.features.shared.paging import Offset
from server.features.shared.scope import load_scope
from server.security.api_tokens import TOKEN_SCOPE

__all__ = ["CustomerController"]


class CustomerController(Controller):
    path = "/api/customers"
    tags = ["customers"]

    @get("/", opt={TOKEN_SCOPE: "customers:read"})
    async def list_customers(
        self,
        request: Request[CurrentUser, Any, Any],
        db: Database,
        q: str = "",
        status: str | None = None,
        territory_id: str | None = None,
        sort: Annotated[str, Parameter(pattern=r"^-?(name|number|updated)$")] = "name",
        limit: Annotated[int, Parameter(ge=1, le=200)] = 25,
        offset: Offset = 0,
    ) -> CustomerPage:
        """Search the customers the caller may see, by name, tax id, city, postal code or contact."""
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            return await queries.search_customers(
                unit.session,
                scope,
                q=q,
                status=status,
                territory_id=territory_id,
                sort=sort,
                limit=limit,
                offset=offset,
            )

    @post("/", opt={TOKEN_SCOPE: "customers:write"})
    async def create_customer(
        self, request: Request[CurrentUser, Any, Any], db: Database, data: CustomerCreateIn
    ) -> Response[CustomerDetail]:
        """Onboard a customer. Likely duplicates answer 409 with the candidates unless
        `confirm_new` is true. Territory and owner are assigned automatically; the channel
        is the caller's, as for orders."""
        data = msgspec.structs.replace(data, channel=channel_for(request.user, "api", data.channel))
        async with db.write() as uow:
            scope = await load_scope(uow.session, request.user)
            customer, _ = await services.create_customer(uow, request.user, scope, data)
            detail = await queries.customer_detail(uow.session, customer)
        return Response(detail, status_code=201)

    @get("/{customer_id:str}", opt={TOKEN_SCOPE: "customers:read"})
    async def get_customer(
        self, request: Request[CurrentUser, Any, Any], db: Database, customer_id: str
    ) -> CustomerDetail:
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            customer = await queries.get_visible(unit.session, scope, customer_id)
            return await queries.customer_detail(unit.session, customer)

    @patch("/{customer_id:str}", opt={TOKEN_SCOPE: "customers:write"})
    async def update_customer(
        self,
        request: Request[CurrentUser, Any, Any],
        db: Database,
        customer_id: str,
        data: CustomerUpdateIn,
    ) -> CustomerUpdateOut:
        """Edit fields against `base_version`; the server wins on fields changed since."""
        async with db.write() as uow:
            scope = await load_scope(uow.session, request.user)
            customer, applied, overwritten = await services.update_customer(
                uow, request.user, scope, customer_id, data
            )
            detail = await queries.customer_detail(uow.session, customer)
        return CustomerUpdateOut(
            customer=detail, applied=applied, overwritten_by_server=overwritten
        )

    @get("/{customer_id:str}/history", opt={TOKEN_SCOPE: "customers:read"})
    async def history(
        self, request: Request[CurrentUser, Any, Any], db: Database, customer_id: str
    ) -> list[dict[str, Any]]:
        """The customer's audit trail, oldest first."""
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            await queries.get_visible(unit.session, scope, customer_id)
            events = (
                (
                    await unit.session.execute(
                        select(AuditEvent)
                        .where(
                            AuditEvent.entity_type == "customer",
                            AuditEvent.entity_id == customer_id,
                        )
                        .order_by(AuditEvent.at, AuditEvent.id)
                    )
                )
                .scalars()
                .all()
            )
        return [
            {"action": e.action, "at": e.at.isoformat(), "actor_id": e.actor_id, "data": e.data}
            for e in events
        ]
