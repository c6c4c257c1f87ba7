"""HTTP API of prices: /api/prices/lookup and /api/price-lists."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.params import Parameter

from server.db.engine import Database
from server.features.catalog import price_lists, queries
from server.features.catalog.openapi import problems
from server.features.catalog.prices import price_lookup
from server.features.catalog.schemas import (
    PriceItemsIn,
    PriceListDetail,
    PriceListIn,
    PriceListOut,
    PriceLookupOut,
)
from server.features.shared.scope import load_scope
from server.security.auth import CurrentUser, requires_role

__all__ = ["PriceListController", "lookup_price"]


@get("/api/prices/lookup", tags=["prices"], responses=problems(400, 404, 422))
async def lookup_price(
    request: Request[CurrentUser, Any, Any],
    db: Database,
    customer_id: str,
    product_id: str,
    quantity: Annotated[int, Parameter(ge=1, le=10**9)] = 1,
    on: Annotated[date | None, Parameter(description="Pricing date; today when left out")] = None,
) -> PriceLookupOut:
    """The unit price of a product for a customer, quantity and date, with the price list
    and version it comes from, the volume break applied, the tax rate at the customer's
    default shipping (else billing) address, and whether the quantity may be ordered.

    Precedence: the customer's own list, then the customer's assigned list, then the base
    list; the newest version valid on the date speaks at each level. A customer outside
    the caller's scope answers 404; a product nothing prices answers 422 `no_price`."""
    async with db.read() as unit:
        product, _ = await queries.get_product(unit.session, product_id)
        return await price_lookup(
            unit.session,
            request.user,
            customer_id=customer_id,
            product=product,
            quantity=quantity,
            on=on or date.today(),
        )


class PriceListController(Controller):
    path = "/api/price-lists"
    tags = ["prices"]

    @get("/", guards=[requires_role("admin", "manager")], responses=problems(403))
    async def list_price_lists(
        self,
        request: Request[CurrentUser, Any, Any],
        db: Database,
        code: str | None = None,
        kind: Annotated[str | None, Parameter(pattern=r"^(base|tier|customer)$")] = None,
        customer_id: str | None = None,
    ) -> list[PriceListOut]:
        """Every version of every price list, newest version first within a code; a
        customer's own lists only for customers the caller sees (another one answers 404)."""
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            return await price_lists.list_price_lists(
                unit.session, scope, code=code, kind=kind, customer_id=customer_id
            )

    @get(
        "/{price_list_id:str}",
        guards=[requires_role("admin", "manager")],
        responses=problems(403, 404),
    )
    async def get_price_list(
        self, request: Request[CurrentUser, Any, Any], db: Database, price_list_id: str
    ) -> PriceListDetail:
        """One version of a price list with its items and volume breaks (a customer's own
        list: 404 unless the caller sees the customer)."""
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            return await price_lists.price_list_detail(unit.session, scope, price_list_id)

    @post("/", guards=[requires_role("admin")], responses=problems(400, 403, 409, 422))
    async def create_price_list(
        self, request: Request[CurrentUser, Any, Any], db: Database, data: PriceListIn
    ) -> PriceListDetail:
        """Create a price list, or the next version of an existing `code` (admin); earlier
        versions stay as they are. No price or break may be below the product's floor."""
        async with db.write() as uow:
            created = await price_lists.create_price_list(uow, request.user.id, data)
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            return await price_lists.price_list_detail(unit.session, scope, created.id)

    @put(
        "/{price_list_id:str}/items",
        guards=[requires_role("admin")],
        responses=problems(400, 403, 404, 422),
    )
    async def replace_items(
        self,
        request: Request[CurrentUser, Any, Any],
        db: Database,
        price_list_id: str,
        data: PriceItemsIn,
    ) -> PriceListDetail:
        """Replace all items (and their breaks) of one price list version (admin)."""
        async with db.write() as uow:
            await price_lists.replace_items(uow, request.user.id, price_list_id, data.items)
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            return await price_lists.price_list_detail(unit.session, scope, price_list_id)
