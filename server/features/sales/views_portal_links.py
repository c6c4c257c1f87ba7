"""The order page's portal-link buttons: create one (its URL shown once) and revoke.

The same actions as POST /api/portal-links and /api/portal-links/{id}/revoke, with the
same rules."""

from __future__ import annotations

from typing import Any

from litestar import post
from litestar.enums import MediaType
from litestar.response import Redirect, Template

from server.config import Settings
from server.db.engine import Database
from server.domain.errors import DomainError, NotFound
from server.features.portal import links
from server.features.portal.routes import portal_url
from server.features.portal.schemas import PortalLinkIn
from server.features.sales.views_data import Req
from server.features.sales.views_orders import render_order
from server.http.errors import status_for

__all__ = ["PORTAL_LINK_PAGES"]


@post("/orders/{order_id:str}/portal-links", include_in_schema=False)
async def create_order_link(
    request: Req, db: Database, settings: Settings, order_id: str
) -> Template:
    async with db.write() as uow:
        _, token = await links.create_link(
            uow, request.user, PortalLinkIn(order_id=order_id), days=settings.portal_link_days
        )
    return await render_order(request, db, order_id, new_portal_url=portal_url(request, token))


@post(
    "/orders/{order_id:str}/portal-links/{link_id:str}/revoke",
    media_type=MediaType.HTML,
    include_in_schema=False,
)
async def revoke_order_link(request: Req, db: Database, order_id: str, link_id: str) -> Any:
    try:
        async with db.write() as uow:
            await links.revoke_link(uow, request.user, link_id)
    except NotFound:
        raise
    except DomainError as exc:
        return await render_order(
            request, db, order_id, error=exc.message, status_code=status_for(exc)
        )
    return Redirect(path=f"/orders/{order_id}", status_code=303)


PORTAL_LINK_PAGES = [create_order_link, revoke_order_link]
