"""HTTP API of portal links: /api/portal-links (staff; the portal itself is under /p)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter

from server.config import Settings
from server.db.engine import Database
from server.domain.actor import CurrentUser
from server.features.catalog.openapi import problems
from server.features.portal import links
from server.features.portal.schemas import PortalLinkCreated, PortalLinkIn, PortalLinkOut

__all__ = ["PortalLinkController", "portal_url"]

_Req = Request[CurrentUser, Any, Any]
_Id = Annotated[str | None, Parameter(max_length=36)]


def portal_url(request: Request[Any, Any, Any], token: str) -> str:
    return str(request.base_url).rstrip("/") + f"/p/{token}"


class PortalLinkController(Controller):
    path = "/api/portal-links"
    tags = ["portal"]

    @post("/", status_code=201, responses=problems(404, 422))
    async def create(
        self, request: _Req, db: Database, settings: Settings, data: PortalLinkIn
    ) -> PortalLinkCreated:
        """A link for a customer (all their orders and quotes), one order or one quote,
        working for FIELDSALES_PORTAL_LINK_DAYS days. The URL is in this answer only."""
        async with db.write() as uow:
            link, token = await links.create_link(
                uow, request.user, data, days=settings.portal_link_days
            )
            out = links.link_out(link)
        return PortalLinkCreated(link=out, url=portal_url(request, token))

    @get("/", responses=problems(404, 422))
    async def list_links(
        self,
        request: _Req,
        db: Database,
        customer_id: _Id = None,
        order_id: _Id = None,
        quote_id: _Id = None,
    ) -> list[PortalLinkOut]:
        """The links of a customer, order or quote, newest first, with their last use."""
        target = PortalLinkIn(customer_id=customer_id, order_id=order_id, quote_id=quote_id)
        async with db.read() as unit:
            rows = await links.list_links(unit.session, request.user, target)
            return [links.link_out(x) for x in rows]

    @post("/{link_id:str}/revoke", status_code=200, responses=problems(404, 409))
    async def revoke(self, request: _Req, db: Database, link_id: str) -> PortalLinkOut:
        """Stop the link at once, also for a customer who has it open."""
        async with db.write() as uow:
            link = await links.revoke_link(uow, request.user, link_id)
            return links.link_out(link)
