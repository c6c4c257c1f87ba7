"""Request and response shapes of the catalog API: products, prices, price lists, stock.

Inputs refuse unknown fields. Money is integer cents; a tax rate is a fraction as a string
("0.0725" = 7.25 %), so no client ever parses it as a float.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from server.domain.text import ONE_LINE_PATTERN

__all__ = [
    "BreakIn",
    "BreakOut",
    "CategoryOut",
    "PriceItemBody",
    "PriceItemIn",
    "PriceItemOut",
    "PriceItemsIn",
    "PriceListDetail",
    "PriceListIn",
    "PriceListOut",
    "PriceLookupOut",
    "PriceOut",
    "ProductDetail",
    "ProductIn",
    "ProductPage",
    "ProductSummary",
    "ProductUpdateIn",
    "StockAdjustIn",
    "StockAlertOut",
    "StockRowOut",
    "StockStatus",
    "WarehouseIn",
    "WarehouseOut",
    "WarehouseStockOut",
]

Sku = Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
Code = Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=ONE_LINE_PATTERN)]
Description = Annotated[str, Meta(max_length=4000)]
Unit = Annotated[str, Meta(min_length=1, max_length=20)]
TaxCategory = Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
ImageUrl = Annotated[str, Meta(max_length=500, pattern=r"^https?://\S+$")]
Cents = Annotated[int, Meta(ge=0, le=10**12)]
Quantity = Annotated[int, Meta(ge=0, le=10**9)]
PackSize = Annotated[int, Meta(ge=1, le=10**6)]
Uuid = Annotated[str, Meta(pattern=r"^[0-9a-fA-F-]{36}$")]
Kind = Literal["base", "tier", "customer"]
StockStatus = Literal["in_stock", "low", "out"]


# --- products -----------------------------------------------------------------------------


class ProductIn(msgspec.Struct, forbid_unknown_fields=True):
    sku: Sku
    name: Name
    category_code: Code  # an unknown code creates the category
    category_name: Name | None = None  # the new category's name; the code when left out
    description: Description = ""
    unit_of_measure: Unit = "each"
    pack_size: PackSize = 1
    min_order_qty: Quantity = 1
    floor_price_cents: Cents = 0
    # What a unit costs the business, for commission paid on margin; None: not known.
    cost_cents: Cents | None = None
    active: bool = True
    tax_category: TaxCategory = "standard"
    image_url: ImageUrl | None = None
    low_stock_threshold: Quantity = 0


class ProductUpdateIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    sku: Sku | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    category_code: Code | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    unit_of_measure: Unit | UnsetType = UNSET
    pack_size: PackSize | UnsetType = UNSET
    min_order_qty: Quantity | UnsetType = UNSET
    floor_price_cents: Cents | UnsetType = UNSET
    cost_cents: Cents | UnsetType | None = UNSET  # null: the cost is no longer known
    active: bool | UnsetType = UNSET
    tax_category: TaxCategory | UnsetType = UNSET
    image_url: ImageUrl | UnsetType | None = UNSET
    low_stock_threshold: Quantity | UnsetType = UNSET


class BreakOut(msgspec.Struct, frozen=True):
    min_qty: int
    unit_price_cents: int


class PriceOut(msgspec.Struct, frozen=True):
    """The caller's price for the smallest orderable quantity (`for_quantity`).

    Frozen: one is shared by every listing that shows the same price."""

    unit_price_cents: int
    price_list_id: str
    price_list_code: str
    price_list_version: int
    break_min_qty: int | None
    for_quantity: int
    breaks: list[BreakOut]


class ProductSummary(msgspec.Struct):
    id: str
    sku: str
    name: str
    description: str
    category_code: str
    category_name: str
    unit_of_measure: str
    pack_size: int
    min_order_qty: int
    active: bool
    tax_category: str
    image_url: str | None
    available: int  # summed over all warehouses
    stock_status: StockStatus
    price: PriceOut | None  # None when no price list prices it today


class ProductPage(msgspec.Struct):
    items: list[ProductSummary]
    total: int
    limit: int
    offset: int
    customer_id: str | None


class WarehouseStockOut(msgspec.Struct):
    warehouse_id: str
    warehouse_code: str
    warehouse_name: str
    on_hand: int
    allocated: int
    available: int


class ProductDetail(msgspec.Struct):
    product: ProductSummary
    floor_price_cents: int
    low_stock_threshold: int
    created_at: str
    updated_at: str
    stock: list[WarehouseStockOut]
    cost_cents: int | None = None  # shown to admins only: None for everyone else


class CategoryOut(msgspec.Struct):
    id: str
    code: str
    name: str
    product_count: int


# --- prices -------------------------------------------------------------------------------


class PriceLookupOut(msgspec.Struct):
    customer_id: str
    product_id: str
    quantity: int
    on: date
    currency: str
    unit_price_cents: int
    net_cents: int  # quantity x unit price, before discounts and tax
    price_list_id: str
    price_list_code: str
    price_list_version: int
    break_min_qty: int | None
    tax_rate: str  # a fraction: "0.0725" = 7.25 %; "0" when exempt or no rate is set
    tax_exempt: bool
    quantity_ok: bool
    quantity_code: str | None  # why not ok: below_minimum_quantity, not_pack_multiple, ...
    quantity_message: str | None
    suggested_quantity: int  # the nearest orderable quantity at or above the one asked


class BreakIn(msgspec.Struct, forbid_unknown_fields=True):
    min_qty: Annotated[int, Meta(ge=2, le=10**9)]  # a break at 1 would just be the unit price
    unit_price_cents: Cents


class PriceItemIn(msgspec.Struct, forbid_unknown_fields=True):
    product_id: Uuid
    unit_price_cents: Cents
    breaks: Annotated[list[BreakIn], Meta(max_length=20)] = []


class PriceItemBody(msgspec.Struct, forbid_unknown_fields=True):
    """One product's price in a version (the product is named by the URL)."""

    unit_price_cents: Cents
    breaks: Annotated[list[BreakIn], Meta(max_length=20)] = []


class PriceItemsIn(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[list[PriceItemIn], Meta(max_length=20_000)]


class PriceListIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Code  # an existing code gets a new version; earlier versions stay
    name: Name
    kind: Kind
    currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")] = "USD"
    customer_id: Uuid | None = None  # required for kind "customer", refused otherwise
    valid_from: date | None = None
    valid_to: date | None = None  # inclusive
    items: Annotated[list[PriceItemIn], Meta(max_length=20_000)] = []
    # Start from the items of the version this one follows (then `items` stays empty).
    copy_items: bool = False
    # End the planned versions this one would hide (each gets a valid_to, audited);
    # without it such a version is refused with 409 hides_planned_version.
    supersede: bool = False


class PriceListOut(msgspec.Struct):
    id: str
    code: str
    name: str
    kind: str
    currency: str
    customer_id: str | None
    version: int
    valid_from: date | None
    valid_to: date | None
    item_count: int


class PriceItemOut(msgspec.Struct):
    product_id: str
    sku: str
    unit_price_cents: int
    breaks: list[BreakOut]


class PriceListDetail(msgspec.Struct):
    price_list: PriceListOut
    items: list[PriceItemOut]


# --- stock --------------------------------------------------------------------------------


class StockRowOut(msgspec.Struct):
    warehouse_id: str
    warehouse_code: str
    product_id: str
    sku: str
    on_hand: int
    allocated: int
    available: int


class StockAdjustIn(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly one of `delta` (a movement) or `on_hand` (a count) must be given."""

    warehouse_id: Uuid
    product_id: Uuid
    delta: Annotated[int, Meta(ge=-(10**9), le=10**9)] | None = None
    on_hand: Quantity | None = None
    reason: Annotated[str, Meta(max_length=500)] = ""


class StockAlertOut(msgspec.Struct):
    product_id: str
    sku: str
    name: str
    available: int
    low_stock_threshold: int
    status: Literal["low", "out"]


class WarehouseIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, Meta(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    name: Annotated[str, Meta(min_length=1, max_length=120, pattern=ONE_LINE_PATTERN)]
    country: Annotated[str, Meta(pattern=r"^[A-Za-z]{2}$")]
    state: Annotated[str, Meta(max_length=40)] = ""


class WarehouseOut(msgspec.Struct):
    id: str
    code: str
    name: str
    country: str
    state: str
