"""Catalog rules: which price applies, which quantities may be ordered, tax rate, stock level."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import msgspec

from server.domain.errors import ValidationFailed
from server.domain.territories import Address, normalize_country, normalize_state

__all__ = [
    "PRICE_LIST_KINDS",
    "PriceBreak",
    "PriceList",
    "PriceListItem",
    "PriceQuote",
    "StockLevel",
    "TaxRate",
    "check_quantity",
    "is_low",
    "is_low_stock",
    "lookup_price",
    "price_from_levels",
    "price_levels",
    "price_list_valid_on",
    "round_to_pack",
    "tax_rate_for",
]

PRICE_LIST_KINDS = ("base", "tier", "customer")


class PriceBreak(msgspec.Struct, frozen=True):
    min_qty: int
    unit_price_cents: int


class PriceListItem(msgspec.Struct, frozen=True):
    product_id: str
    unit_price_cents: int
    breaks: tuple[PriceBreak, ...] = ()


class PriceList(msgspec.Struct, frozen=True):
    id: str
    code: str  # stable name shared by every version of the same list
    kind: str  # "base" | "tier" | "customer"
    version: int
    valid_from: date | None  # inclusive; None = since always
    valid_to: date | None  # inclusive; None = until further notice
    customer_id: str | None = None  # set only on kind "customer"
    items: dict[str, PriceListItem] = {}  # keyed by product_id


class PriceQuote(msgspec.Struct, frozen=True):
    product_id: str
    unit_price_cents: int
    price_list_id: str
    price_list_code: str
    price_list_version: int
    break_min_qty: int | None  # None when the item's plain unit price applied


class TaxRate(msgspec.Struct, frozen=True):
    tax_category: str
    country: str
    state: str | None
    rate: Decimal  # a fraction: Decimal('0.0825') = 8.25 %, as stored in tax_rates.rate


class StockLevel(msgspec.Struct, frozen=True):
    warehouse_id: str
    product_id: str
    on_hand: int
    allocated: int

    @property
    def available(self) -> int:
        # Over-allocation (a count correction after allocating) must not show negative stock.
        return max(0, self.on_hand - self.allocated)


# --- prices -------------------------------------------------------------------------------


def price_list_valid_on(price_list: PriceList, on: date) -> bool:
    return (price_list.valid_from is None or price_list.valid_from <= on) and (
        price_list.valid_to is None or on <= price_list.valid_to
    )


def _newest(candidates: Iterable[PriceList]) -> PriceList | None:
    # Highest version wins; the id only settles a (misconfigured) tie deterministically.
    return max(candidates, key=lambda pl: (pl.version, pl.id), default=None)


def _quote(price_list: PriceList, item: PriceListItem, quantity: int) -> PriceQuote:
    applicable = [b for b in item.breaks if b.min_qty <= quantity]
    best = max(applicable, key=lambda b: b.min_qty, default=None)
    return PriceQuote(
        product_id=item.product_id,
        unit_price_cents=best.unit_price_cents if best else item.unit_price_cents,
        price_list_id=price_list.id,
        price_list_code=price_list.code,
        price_list_version=price_list.version,
        break_min_qty=best.min_qty if best else None,
    )


def lookup_price(
    *,
    product_id: str,
    quantity: int,
    on: date,
    customer_id: str | None,
    customer_price_list_id: str | None,
    price_lists: Iterable[PriceList],
) -> PriceQuote:
    """The unit price for a product, quantity and date.

    Precedence: the customer's own list, then the customer's assigned (tier) list, then the
    base list; only lists valid on `on` count. At each level the newest valid version is the
    one that speaks: a product it leaves out falls through to the next level, never back to
    an older version, because dropping a product from a new version is deliberate.
    The assigned list is followed by code, so a newer version of it replaces the assigned one.
    """
    levels = price_levels(
        on=on,
        customer_id=customer_id,
        customer_price_list_id=customer_price_list_id,
        price_lists=price_lists,
    )
    return price_from_levels(levels, product_id=product_id, quantity=quantity, on=on)


def price_levels(
    *,
    on: date,
    customer_id: str | None,
    customer_price_list_id: str | None,
    price_lists: Iterable[PriceList],
) -> tuple[PriceList, ...]:
    """The lists that speak for a customer on a day, in `lookup_price`'s precedence: the
    same for every product, so a page of products works them out once."""
    price_lists = list(price_lists)
    valid = [pl for pl in price_lists if price_list_valid_on(pl, on)]
    levels: list[PriceList | None] = []
    if customer_id is not None:
        levels.append(
            _newest(pl for pl in valid if pl.kind == "customer" and pl.customer_id == customer_id)
        )
    if customer_price_list_id is not None:
        assigned = next((pl for pl in price_lists if pl.id == customer_price_list_id), None)
        if assigned is not None:
            levels.append(
                _newest(pl for pl in valid if pl.kind == assigned.kind and pl.code == assigned.code)
            )
    levels.append(_newest(pl for pl in valid if pl.kind == "base"))
    return tuple(level for level in levels if level is not None)


def price_from_levels(
    levels: Iterable[PriceList], *, product_id: str, quantity: int, on: date
) -> PriceQuote:
    """`lookup_price` with its levels already worked out (`price_levels`)."""
    if quantity < 1:
        raise ValidationFailed(
            f"quantity must be at least 1, got {quantity}", code="quantity_not_positive"
        )
    for price_list in levels:
        if product_id in price_list.items:
            return _quote(price_list, price_list.items[product_id], quantity)
    raise ValidationFailed(
        f"product {product_id} has no price valid on {on.isoformat()}",
        code="no_price",
        details={"product_id": product_id, "on": on.isoformat()},
    )


# --- ordered quantities -------------------------------------------------------------------


def _check_product_setup(pack_size: int, min_order_qty: int) -> None:
    if pack_size < 1 or min_order_qty < 0:
        raise ValidationFailed(
            f"pack size must be at least 1 and minimum order quantity at least 0, got "
            f"{pack_size} and {min_order_qty}",
            code="invalid_quantity_rules",
        )


def check_quantity(quantity: int, *, pack_size: int, min_order_qty: int) -> None:
    """Refuse a quantity that is not positive, below the minimum, or not whole packs."""
    _check_product_setup(pack_size, min_order_qty)
    if quantity < 1:
        raise ValidationFailed(
            f"quantity must be at least 1, got {quantity}", code="quantity_not_positive"
        )
    if quantity < min_order_qty:
        raise ValidationFailed(
            f"the minimum order quantity is {min_order_qty}, got {quantity}",
            code="below_minimum_quantity",
            details={"quantity": quantity, "min_order_qty": min_order_qty},
        )
    if quantity % pack_size:
        raise ValidationFailed(
            f"this product is sold in packs of {pack_size}; {quantity} is not a multiple of "
            f"{pack_size}",
            code="not_pack_multiple",
            details={"quantity": quantity, "pack_size": pack_size},
        )


def round_to_pack(quantity: int, pack_size: int, min_order_qty: int) -> int:
    """The smallest quantity >= `quantity` that check_quantity accepts (for the UI stepper)."""
    _check_product_setup(pack_size, min_order_qty)
    wanted = max(quantity, min_order_qty, 1)
    return -(-wanted // pack_size) * pack_size  # ceiling division, exact in integers


# --- tax and stock ------------------------------------------------------------------------


def tax_rate_for(
    *, tax_category: str, address: Address, rates: Iterable[TaxRate], exempt: bool
) -> Decimal:
    """The rate for a category at an address: a state rate beats the country rate.

    No configured rate means no tax (Decimal 0); the first of duplicate rows wins.
    """
    if exempt:
        return Decimal(0)
    country, state = normalize_country(address.country), normalize_state(address.state)
    country_rate: Decimal | None = None
    for rate in rates:
        if rate.tax_category != tax_category or normalize_country(rate.country) != country:
            continue
        rate_state = normalize_state(rate.state)
        if rate_state and rate_state == state:
            return rate.rate
        if not rate_state and country_rate is None:
            country_rate = rate.rate
    return country_rate if country_rate is not None else Decimal(0)


def is_low_stock(levels: Iterable[StockLevel], threshold: int) -> bool:
    """True when one product's available stock, over all given warehouses, is <= threshold."""
    return is_low(sum(level.available for level in levels), threshold)


def is_low(available: int, threshold: int) -> bool:
    """`is_low_stock` of a product's available stock already summed."""
    return available <= threshold
