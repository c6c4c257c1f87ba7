"""HTTP API of products and categories: /api/products, /api/categories."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import Customer
from server.domain.search import SEARCH_TEXT_MAX_LENGTH
from server.features.catalog import queries, services
from server.features.catalog.openapi import problems
from server.features.catalog.prices import load_price_context, visible_customer
from server.features.catalog.schemas import (
    CategoryOut,
    ProductDetail,
    ProductIn,
    ProductPage,
    ProductUpdateIn,
)
from server.features.shared.paging import Offset
from server.security.api_tokens import TOKEN_SCOPE
from server.security.auth import CurrentUser, requires_role

__all__ = ["ProductController", "list_categories"]


class ProductController(Controller):
    path = "/api/products"
    tags = ["catalog"]

    @get("/", responses=problems(400, 404, 422), opt={TOKEN_SCOPE: "catalog:read"})
    async def list_products(
        self,
        request: Request[CurrentUser, Any, Any],
        db: Database,
        q: Annotated[
            str,
            Parameter(
                description=(
                    f"Text in name, SKU or description (at most {SEARCH_TEXT_MAX_LENGTH} characters, "
                    "else 422 search_too_long)"
                )
            ),
        ] = "",
        category: Annotated[str | None, Parameter(description="A category code")] = None,
        active: bool | None = None,
        customer_id: Annotated[
            str | None, Parameter(description="Price for this customer (must be in scope)")
        ] = None,
        sort: Annotated[str, Parameter(pattern=r"^-?(name|sku)$")] = "name",
        limit: Annotated[int, Parameter(ge=1, le=200)] = 25,
        offset: Offset = 0,
    ) -> ProductPage:
        """Search products. Each carries its availability summed over all warehouses and,
        for the smallest orderable quantity, the customer's unit price and the price list it
        comes from (the base price when no customer is given; null when nothing prices it)."""
        async with db.read() as unit:
            customer = await _customer(unit.session, request.user, customer_id)
            return await queries.search_products(
                unit.session,
                customer=customer,
                on=date.today(),
                q=q,
                category=category,
                active=active,
                sort=sort,
                limit=limit,
                offset=offset,
            )

    @get("/{product_id:str}", responses=problems(404), opt={TOKEN_SCOPE: "catalog:read"})
    async def get_product(
        self,
        request: Request[CurrentUser, Any, Any],
        db: Database,
        product_id: str,
        customer_id: str | None = None,
    ) -> ProductDetail:
        """One product with its stock per warehouse and its price with volume breaks."""
        async with db.read() as unit:
            customer = await _customer(unit.session, request.user, customer_id)
            product, category = await queries.get_product(unit.session, product_id)
            prices = await load_price_context(unit.session, customer, [product.id])
            return await queries.product_detail(
                unit.session,
                product,
                category,
                prices,
                date.today(),
                show_cost=request.user.is_admin,
            )

    @post("/", guards=[requires_role("admin")], responses=problems(400, 403, 409))
    async def create_product(
        self, request: Request[CurrentUser, Any, Any], db: Database, data: ProductIn
    ) -> ProductDetail:
        """Add a product (admin). An unknown `category_code` creates that category."""
        async with db.write() as uow:
            product = await services.create_product(uow, request.user.id, data)
        return await _detail(db, product.id)

    @patch(
        "/{product_id:str}", guards=[requires_role("admin")], responses=problems(400, 403, 404, 409)
    )
    async def update_product(
        self,
        request: Request[CurrentUser, Any, Any],
        db: Database,
        product_id: str,
        data: ProductUpdateIn,
    ) -> ProductDetail:
        """Change some fields of a product (admin); fields left out keep their value."""
        async with db.write() as uow:
            await services.update_product(uow, request.user.id, product_id, data)
        return await _detail(db, product_id)


async def _customer(
    session: AsyncSession, user: CurrentUser, customer_id: str | None
) -> Customer | None:
    return await visible_customer(session, user, customer_id) if customer_id else None


async def _detail(db: Database, product_id: str) -> ProductDetail:
    async with db.read() as unit:
        product, category = await queries.get_product(unit.session, product_id)
        prices = await load_price_context(unit.session, None, [product.id])
        # Only admins write products: the answer shows them the cost they set.
        return await queries.product_detail(
            unit.session, product, category, prices, date.today(), show_cost=True
        )


@get("/api/categories", tags=["catalog"], opt={TOKEN_SCOPE: "catalog:read"})
async def list_categories(db: Database) -> list[CategoryOut]:
    """Product categories with how many products each holds."""
    async with db.read() as unit:
        return await queries.list_categories(unit.session)
