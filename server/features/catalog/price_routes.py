"""HTTP API of prices: /api/prices/lookup and /api/price-lists."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import Parameter

from server.db.engine import Database
from server.features.catalog import price_list_csv, price_lists, queries
from server.features.catalog.openapi import problems
from server.features.catalog.prices import price_lookup
from server.features.catalog.schemas import (
    PriceItemBody,
    PriceItemIn,
    PriceItemsIn,
    PriceListDetail,
    PriceListIn,
    PriceListOut,
    PriceLookupOut,
)
from server.features.imports.csv_input import MAX_FILE_BYTES
from server.features.imports.routes import _csv_bytes
from server.features.shared.csv_export import CSV_MEDIA_TYPE
from server.features.shared.scope import load_scope
from server.security.api_tokens import TOKEN_SCOPE
from server.security.auth import CurrentUser, requires_role

__all__ = ["PriceListController", "lookup_price"]


@get(
    "/api/prices/lookup",
    tags=["prices"],
    responses=problems(400, 404, 422),
    opt={TOKEN_SCOPE: "catalog:read"},
)
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
        versions stay as they are. Prices must be positive and not below the product's
        floor; breaks increase. `copy_items` starts from the items of the version this one
        follows. A version that would hide one planned for the future (starting after
        today) on any day is refused with 409 `hides_planned_version` naming it, unless it
        ends before the planned one starts or `supersede` ends the planned one (audited)."""
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

    @get(
        "/{price_list_id:str}/items.csv",
        guards=[requires_role("admin")],
        media_type="text/csv",
        responses=problems(403, 404),
    )
    async def export_items(
        self, request: Request[CurrentUser, Any, Any], db: Database, price_list_id: str
    ) -> Response[str]:
        """The version's items as CSV: `sku,unit_price,breaks`, one row per product sorted by
        SKU, amounts like 12.50, breaks as space-separated `min_qty:price` pairs."""
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            detail = await price_lists.price_list_detail(unit.session, scope, price_list_id)
        name = f"{detail.price_list.code}-v{detail.price_list.version}.csv"
        return Response(
            price_list_csv.to_csv(detail),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @put(
        "/{price_list_id:str}/items.csv",
        guards=[requires_role("admin")],
        request_max_body_size=MAX_FILE_BYTES,
        responses=problems(400, 403, 404, 413, 415, 422),
    )
    async def import_items(
        self, request: Request[CurrentUser, Any, Any], db: Database, price_list_id: str
    ) -> PriceListDetail:
        """Replace the version's items with a CSV file in the export's format (as text/csv
        or the form field `file`). The whole file is checked first: any bad row answers 422
        `import_rejected` listing every bad line (`details.errors[].line`, header = line 1)
        and imports nothing."""
        raw = await _csv_bytes(request)
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            await price_lists.price_list_detail(unit.session, scope, price_list_id)
            items = await price_list_csv.parse_items(unit.session, raw)
        async with db.write() as uow:
            await price_lists.replace_items(uow, request.user.id, price_list_id, items)
        async with db.read() as unit:
            return await price_lists.price_list_detail(unit.session, scope, price_list_id)

    @put(
        "/{price_list_id:str}/items/{product_id:str}",
        guards=[requires_role("admin")],
        responses=problems(400, 403, 404, 422),
    )
    async def set_item(
        self,
        request: Request[CurrentUser, Any, Any],
        db: Database,
        price_list_id: str,
        product_id: str,
        data: PriceItemBody,
    ) -> PriceListDetail:
        """Set one product's price and volume breaks in a version (added or replaced)."""
        item = PriceItemIn(product_id, data.unit_price_cents, data.breaks)
        async with db.write() as uow:
            await price_lists.set_item(uow, request.user.id, price_list_id, item)
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            return await price_lists.price_list_detail(unit.session, scope, price_list_id)

    @delete(
        "/{price_list_id:str}/items/{product_id:str}",
        guards=[requires_role("admin")],
        status_code=200,
        responses=problems(403, 404),
    )
    async def remove_item(
        self,
        request: Request[CurrentUser, Any, Any],
        db: Database,
        price_list_id: str,
        product_id: str,
    ) -> PriceListDetail:
        """Take one product out of a version: its price falls through to the next list."""
        async with db.write() as uow:
            await price_lists.remove_item(uow, request.user.id, price_list_id, product_id)
        async with db.read() as unit:
            scope = await load_scope(unit.session, request.user)
            return await price_lists.price_list_detail(unit.session, scope, price_list_id)
