"""Products, price lists, tax rates, warehouses and stock."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base
from server.db.types import UTCDateTime, UUIDString, new_id, utcnow
from server.domain.search import product_search_document

__all__ = [
    "PriceBreak",
    "PriceList",
    "PriceListItem",
    "Product",
    "ProductCategory",
    "StockLevel",
    "TaxRate",
    "Warehouse",
]


class ProductCategory(Base):
    __tablename__ = "product_categories"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Name, SKU and description folded (server/domain/search.py), indexed by trigrams: made
    # by every insert (Core ones too) and by every update through the ORM.
    search_document: Mapped[str] = mapped_column(
        Text, default=lambda context: _inserted_document(context), server_default=""
    )
    category_id: Mapped[str] = mapped_column(ForeignKey("product_categories.id"), index=True)
    unit_of_measure: Mapped[str] = mapped_column(String(20), default="each")
    pack_size: Mapped[int] = mapped_column(Integer, default=1)
    min_order_qty: Mapped[int] = mapped_column(Integer, default=1)
    floor_price_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # What a unit costs the business (margin commission reads it); None: not known.
    cost_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    tax_category: Mapped[str] = mapped_column(String(40), default="standard")
    image_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PriceList(Base):
    __tablename__ = "price_lists"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # base | tier | customer
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # Set for kind == "customer" only; no FK to keep price lists importable first.
    customer_id: Mapped[str | None] = mapped_column(UUIDString, nullable=True, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)  # inclusive

    __table_args__ = (UniqueConstraint("code", "version", name="code_version"),)


class PriceListItem(Base):
    __tablename__ = "price_list_items"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    price_list_id: Mapped[str] = mapped_column(
        ForeignKey("price_lists.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("price_list_id", "product_id", name="list_product"),)


class PriceBreak(Base):
    """Volume break: from `min_qty` units on, the item's unit price is `unit_price_cents`."""

    __tablename__ = "price_breaks"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    item_id: Mapped[str] = mapped_column(
        ForeignKey("price_list_items.id", ondelete="CASCADE"), index=True
    )
    min_qty: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)


class TaxRate(Base):
    __tablename__ = "tax_rates"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    tax_category: Mapped[str] = mapped_column(String(40))
    country: Mapped[str] = mapped_column(String(2))
    state: Mapped[str | None] = mapped_column(String(40), nullable=True)
    rate: Mapped[object] = mapped_column(Numeric(7, 5))  # a fraction: 0.0825 = 8.25 %


class Warehouse(Base):
    __tablename__ = "warehouses"

    id: Mapped[str] = mapped_column(UUIDString, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(40), default="")


class StockLevel(Base):
    __tablename__ = "stock_levels"

    warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    # Indexed on its own too: orders look stock up by product across warehouses.
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), primary_key=True, index=True)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    allocated: Mapped[int] = mapped_column(Integer, default=0)


def _inserted_document(context: Any) -> str:
    row = context.get_current_parameters()
    return product_search_document(row["name"], row["sku"], row.get("description") or "")


@event.listens_for(Product, "before_update")
def _search_document(_mapper: object, _connection: object, product: Product) -> None:
    product.search_document = product_search_document(
        product.name, product.sku, product.description or ""
    )
