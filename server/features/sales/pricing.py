"""Re-pricing a quote or order for a customer: the one path both documents take.

Loads the products, the price lists that may apply and the tax rates, asks the pure rules
(lookup_price, check_quantity, tax_rate_for, price_document, check_floor_prices) and
returns every problem at once instead of stopping at the first, so a rep fixes them all in
one go. Line ids given to the rules are the 1-based line numbers as strings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import CustomerAddress, Product
from server.db.statements import by_arity
from server.db.unit_of_work import unit_of
from server.domain.catalog import check_quantity, tax_rate_for
from server.domain.errors import ValidationFailed
from server.domain.orders import Reason
from server.domain.pricing import (
    DocumentInput,
    LineInput,
    PricedDocument,
    check_floor_prices,
    price_document,
)
from server.domain.territories import Address
from server.features.catalog.prices import load_price_context
from server.features.shared.reference_data import ReferenceData, reference_data

__all__ = ["PricingOutcome", "QuotedPrice", "RequestedLine", "address_dict", "price_for_customer"]

SHIPPING_TAX_CATEGORY = "shipping"


class QuotedPrice(msgspec.Struct, frozen=True):
    """A price promised on a quote; it holds while the quote is valid."""

    unit_price_cents: int
    price_list_id: str | None
    price_list_version: int | None


class RequestedLine(msgspec.Struct, frozen=True):
    product_id: str
    quantity: int
    discount_percent: Decimal = Decimal(0)
    # A price agreed for this line (a blanket order's, for its call-off): wins over all.
    agreed: QuotedPrice | None = None


@dataclass
class PricingOutcome:
    priced: PricedDocument
    products: dict[str, Any]  # rows: id, sku, name, active, pack_size, min_order_qty, ...
    tax_rates: dict[str, Decimal]  # by line id
    bill_to: dict[str, object]
    ship_to: dict[str, object]
    inactive_product_ids: list[str] = field(default_factory=list)
    # (line_id, code, message): unknown product, no price, quantity rules
    line_errors: list[tuple[str, str, str]] = field(default_factory=list)
    below_floor_line_ids: list[str] = field(default_factory=list)

    def line_columns(self) -> list[dict[str, Any]]:
        """The priced lines as the columns a quote line and an order line share."""
        return [
            {
                "line_no": int(p.line_id),
                "product_id": p.product_id,
                "sku": self.products[p.product_id].sku,
                "name": self.products[p.product_id].name,
                "quantity": p.quantity,
                "unit_price_cents": p.unit_price_cents,
                "discount_percent": p.discount_percent,
                "gross_cents": p.gross_cents,
                "discount_cents": p.line_discount_cents + p.order_discount_cents,
                "net_cents": p.net_cents,
                "tax_rate": self.tax_rates[p.line_id],
                "tax_cents": p.tax_cents,
                "total_cents": p.total_cents,
                "price_list_id": p.price_list_id,
                "price_list_version": p.price_list_version,
            }
            for p in self.priced.lines
        ]

    def hard_errors(self) -> list[Reason]:
        reasons = [
            Reason("product_inactive", f"product {pid} is no longer sold", pid)
            for pid in self.inactive_product_ids
        ]
        reasons += [Reason(code, message, line_id) for line_id, code, message in self.line_errors]
        reasons += [
            Reason("price_below_floor", f"line {line_id} is priced below the floor price", line_id)
            for line_id in self.below_floor_line_ids
        ]
        return reasons

    def raise_for_errors(self) -> None:
        errors = self.hard_errors()
        if errors:
            raise ValidationFailed(
                "; ".join(r.message for r in errors),
                details={"reasons": [msgspec.structs.asdict(r) for r in errors]},
            )


def address_dict(address: Any) -> dict[str, object]:
    """The document's copy of an address (a CustomerAddress or a row with its columns)."""
    if address is None:
        return {}
    return {
        "id": address.id,
        "kind": address.kind,
        "country": address.country,
        "state": address.state,
        "city": address.city,
        "postal_code": address.postal_code,
        "street": address.street,
    }


_ADDRESSES = (
    select(
        CustomerAddress.id,
        CustomerAddress.kind,
        CustomerAddress.country,
        CustomerAddress.state,
        CustomerAddress.city,
        CustomerAddress.postal_code,
        CustomerAddress.street,
    )
    .where(CustomerAddress.customer_id == bindparam("customer_id"))
    .order_by(CustomerAddress.is_default.desc(), CustomerAddress.id)
)

# What the rules and the document lines read of a product.
_PRODUCTS = by_arity(
    lambda n: select(
        Product.id,
        Product.sku,
        Product.name,
        Product.active,
        Product.pack_size,
        Product.min_order_qty,
        Product.floor_price_cents,
        Product.tax_category,
        Product.category_id,
    ).where(Product.id.in_([bindparam(f"p{i}") for i in range(n)]))
)


async def _addresses(
    session: AsyncSession, customer_id: str, ship_to_address_id: str | None
) -> tuple[Any, Any]:
    # Plain rows with the columns address_dict reads: they are only copied into the document.
    rows = await unit_of(session).sql.rows(_ADDRESSES, {"customer_id": customer_id})
    billing = next((a for a in rows if a.kind == "billing"), None)
    if ship_to_address_id is not None:
        ship_to = next((a for a in rows if a.id == ship_to_address_id), None)
        if ship_to is None:
            raise ValidationFailed(
                "the ship-to address is not one of the customer's addresses",
                code="ship_to_not_found",
                details={"ship_to_address_id": ship_to_address_id},
            )
    else:
        ship_to = next((a for a in rows if a.kind == "shipping"), billing)
    return billing, ship_to


async def price_for_customer(
    session: AsyncSession,
    customer: Any,
    requested: Sequence[RequestedLine],
    *,
    on: date,
    order_discount_percent: Decimal,
    shipping_cents: int,
    quoted: Mapping[str, QuotedPrice] | None = None,
    ship_to_address_id: str | None = None,
    reference: ReferenceData | None = None,
) -> PricingOutcome:
    """Price `requested` for `customer` on `on`; quoted prices (by product id) win over lists.

    Tax follows the goods: the ship-to address (default shipping, else billing); a
    tax-exempt customer pays none. Never raises for line problems: they are collected in
    the outcome, whose `priced` document covers the lines that could be priced.
    """
    billing, ship_to = await _addresses(session, customer.id, ship_to_address_id)
    product_ids = sorted({line.product_id for line in requested})
    # Plain rows with what the rules and the document lines read, not tracked objects.
    products = (
        {
            p.id: p
            for p in await unit_of(session).sql.rows(
                _PRODUCTS(len(product_ids)), {f"p{i}": pid for i, pid in enumerate(product_ids)}
            )
        }
        if product_ids
        else {}
    )
    reference = reference or await reference_data(session)
    context = await load_price_context(session, customer, product_ids, reference=reference)
    rates = reference.tax_rates_for(
        {p.tax_category for p in products.values()} | {SHIPPING_TAX_CATEGORY}
    )
    where = (
        Address(country=ship_to.country, state=ship_to.state, postal_code=ship_to.postal_code)
        if ship_to is not None
        else None
    )

    def rate_for(category: str) -> Decimal:
        if where is None:
            return Decimal(0)
        return tax_rate_for(
            tax_category=category, address=where, rates=rates, exempt=customer.tax_exempt
        )

    outcome = PricingOutcome(
        priced=price_document(DocumentInput(lines=())),
        products=products,
        tax_rates={},
        bill_to=address_dict(billing),
        ship_to=address_dict(ship_to),
    )
    inputs: list[LineInput] = []
    for number, line in enumerate(requested, start=1):
        line_id = str(number)
        product = products.get(line.product_id)
        if product is None:
            outcome.line_errors.append(
                (line_id, "product_not_found", f"line {line_id}: no such product")
            )
            continue
        if not product.active and product.id not in outcome.inactive_product_ids:
            outcome.inactive_product_ids.append(product.id)
        try:
            check_quantity(
                line.quantity, pack_size=product.pack_size, min_order_qty=product.min_order_qty
            )
        except ValidationFailed as exc:
            outcome.line_errors.append((line_id, exc.code, f"line {line_id}: {exc.message}"))
        promised = line.agreed or (quoted or {}).get(product.id)
        if promised is not None:
            unit, list_id, version = (
                promised.unit_price_cents,
                promised.price_list_id,
                promised.price_list_version,
            )
        else:
            try:
                found = context.quote(product.id, line.quantity, on)
            except ValidationFailed as exc:
                outcome.line_errors.append((line_id, exc.code, f"line {line_id}: {exc.message}"))
                continue
            unit, list_id, version = (
                found.unit_price_cents,
                found.price_list_id,
                found.price_list_version,
            )
        rate = rate_for(product.tax_category)
        outcome.tax_rates[line_id] = rate
        inputs.append(
            LineInput(
                line_id=line_id,
                product_id=product.id,
                quantity=line.quantity,
                unit_price_cents=unit,
                discount_percent=line.discount_percent,
                tax_rate=rate,
                price_list_id=list_id,
                price_list_version=version,
            )
        )
    outcome.priced = price_document(
        DocumentInput(
            lines=tuple(inputs),
            order_discount_percent=order_discount_percent,
            shipping_cents=shipping_cents,
            shipping_tax_rate=rate_for(SHIPPING_TAX_CATEGORY),
        )
    )
    floors = {p.id: p.floor_price_cents for p in products.values() if p.floor_price_cents > 0}
    outcome.below_floor_line_ids = check_floor_prices(outcome.priced, floors)
    return outcome
