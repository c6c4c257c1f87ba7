"""Loads what the pricing and tax rules need, as the domain's plain structs, and asks them.

Only the price lists that could apply to a customer are used: base lists, every version
of the customer's assigned list (the rule follows the assigned list by code to its newest
valid version) and the customer's own lists. Items are read only for the products asked,
once per reference token: the reference data keeps them (`ReferenceData.keep_items`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, CustomerAddress, Product
from server.db.models import PriceBreak as PriceBreakRow
from server.db.models import PriceList as PriceListRow
from server.db.models import PriceListItem as PriceListItemRow
from server.db.models import TaxRate as TaxRateRow
from server.db.statements import by_arity
from server.db.unit_of_work import unit_of
from server.domain.actor import CurrentUser
from server.domain.catalog import (
    PriceBreak,
    PriceList,
    PriceListItem,
    PriceQuote,
    TaxRate,
    check_quantity,
    price_from_levels,
    price_levels,
    round_to_pack,
    tax_rate_for,
)
from server.domain.errors import NotFound, ValidationFailed
from server.domain.territories import Address
from server.features.catalog.schemas import BreakOut, PriceLookupOut, PriceOut
from server.features.shared.reference_data import ReferenceData, is_current, reference_data
from server.features.shared.scope import customer_filter, load_scope

__all__ = [
    "PriceContext",
    "format_rate",
    "load_price_context",
    "price_lookup",
    "quote_or_none",
    "tax_rate_for_customer",
    "visible_customer",
]


class PriceContext:
    """The price lists that may apply to one customer (or to nobody: base lists only),
    for the products asked (`load_price_context`)."""

    def __init__(
        self,
        customer: Any | None,
        headers: list[Any],
        product_ids: list[str],
        reference: ReferenceData,
        *,
        read: dict[str, dict[str, PriceListItem]],
        remember: bool,
    ) -> None:
        self.customer = customer
        self._headers = headers
        self._product_ids = product_ids
        self._reference = reference
        # Items read for this context that the reference data could not keep, and
        # whether prices worked out here may be remembered by it.
        self._read = read
        self._remember = remember
        self._price_lists: list[PriceList] | None = None
        # The lists that speak on each day asked about: the same for every product.
        self._level_ids: dict[date, tuple[str, ...]] = {}
        self._levels: dict[date, tuple[PriceList, ...]] = {}

    @property
    def price_lists(self) -> list[PriceList]:
        """The lists with the asked products' items: built when a price is worked out,
        not when every price asked for is remembered (`listed_price`)."""
        if self._price_lists is None:
            chosen: dict[str, dict[str, PriceListItem]] = {h.id: {} for h in self._headers}
            for pid in self._product_ids:
                items = self._read.get(pid)
                if items is None:
                    items = self._reference.items_of(pid)
                for list_id, item in items.items():
                    if list_id in chosen:
                        chosen[list_id][pid] = item
            self._price_lists = [
                PriceList(
                    id=h.id,
                    code=h.code,
                    kind=h.kind,
                    version=h.version,
                    valid_from=h.valid_from,
                    valid_to=h.valid_to,
                    customer_id=h.customer_id,
                    items=chosen[h.id],
                )
                for h in self._headers
            ]
        return self._price_lists

    def _level_ids_on(self, on: date) -> tuple[str, ...]:
        ids = self._level_ids.get(on)
        if ids is None:
            # The headers carry all the precedence rule reads; items are not needed.
            levels = price_levels(
                on=on,
                customer_id=self.customer.id if self.customer else None,
                customer_price_list_id=self.customer.price_list_id if self.customer else None,
                price_lists=self._headers,
            )
            ids = self._level_ids[on] = tuple(pl.id for pl in levels)
        return ids

    def _levels_on(self, on: date) -> tuple[PriceList, ...]:
        levels = self._levels.get(on)
        if levels is None:
            by_id = {pl.id: pl for pl in self.price_lists}
            levels = self._levels[on] = tuple(by_id[i] for i in self._level_ids_on(on))
        return levels

    def quote(self, product_id: str, quantity: int, on: date) -> PriceQuote:
        levels = self._levels_on(on)
        return price_from_levels(levels, product_id=product_id, quantity=quantity, on=on)

    def listed_price(self, product_id: str, quantity: int, on: date) -> PriceOut | None:
        """What a listing shows as the price of `quantity` (None: not priced on the day).

        The same for every customer whose lists speak alike, so the reference data
        remembers it by those lists until a price changes."""
        if not self._remember:
            return self._listed_price(product_id, quantity, on)
        key = ("listed_price", self._level_ids_on(on), product_id, quantity)
        price: PriceOut | None = self._reference.remembered(
            key, lambda: self._listed_price(product_id, quantity, on)
        )
        return price

    def _listed_price(self, product_id: str, quantity: int, on: date) -> PriceOut | None:
        quote = quote_or_none(self, product_id, quantity, on)
        if quote is None:
            return None
        return PriceOut(
            unit_price_cents=quote.unit_price_cents,
            price_list_id=quote.price_list_id,
            price_list_code=quote.price_list_code,
            price_list_version=quote.price_list_version,
            break_min_qty=quote.break_min_qty,
            for_quantity=quantity,
            breaks=[BreakOut(b.min_qty, b.unit_price_cents) for b in self.breaks_of(quote)],
        )

    def breaks_of(self, quote: PriceQuote) -> tuple[PriceBreak, ...]:
        for price_list in self.price_lists:
            if price_list.id == quote.price_list_id:
                item = price_list.items.get(quote.product_id)
                return tuple(sorted(item.breaks, key=lambda b: b.min_qty)) if item else ()
        return ()


async def visible_customer(session: AsyncSession, user: CurrentUser, customer_id: str) -> Customer:
    """The customer, or NotFound: also when it exists outside the caller's scope, so a rep
    cannot learn another territory's prices or even that the customer exists."""
    scope = await load_scope(session, user)
    customer = (
        await session.execute(
            select(Customer).where(Customer.id == customer_id, customer_filter(scope))
        )
    ).scalar_one_or_none()
    if customer is None:
        raise NotFound("No such customer.", code="customer_not_found")
    return customer


def _applicable_lists(lists: Sequence[Any], customer: Any | None) -> list[Any]:
    """Base lists, every version of the customer's assigned list (found by its code and
    kind) and the customer's own lists: the only ones that may price for this customer."""
    assigned = None
    if customer is not None and customer.price_list_id:
        assigned = next((pl for pl in lists if pl.id == customer.price_list_id), None)
    chosen = []
    for pl in lists:
        if (
            pl.kind == "base"
            or (customer is not None and pl.kind == "customer" and pl.customer_id == customer.id)
            or (assigned is not None and pl.code == assigned.code and pl.kind == assigned.kind)
        ):
            chosen.append(pl)
    return chosen


def _items_statement(products: int) -> Any:
    # Each item of every list with its volume breaks (one row per break, or one row
    # without): the reference data keeps a product's items in all lists at once.
    return (
        select(
            PriceListItemRow.id,
            PriceListItemRow.price_list_id,
            PriceListItemRow.product_id,
            PriceListItemRow.unit_price_cents,
            PriceBreakRow.min_qty.label("break_min_qty"),
            PriceBreakRow.unit_price_cents.label("break_unit_price_cents"),
        )
        .outerjoin(PriceBreakRow, PriceBreakRow.item_id == PriceListItemRow.id)
        .where(PriceListItemRow.product_id.in_([bindparam(f"p{i}") for i in range(products)]))
        .order_by(PriceListItemRow.id, PriceBreakRow.id)
    )


_ITEMS = by_arity(_items_statement)


async def _read_items(session: AsyncSession, ids: list[str]) -> dict[str, dict[str, PriceListItem]]:
    """The price list items of these products: product id -> list id -> item (with its
    breaks); every product is there, an unpriced one with no items."""
    params = {f"p{i}": pid for i, pid in enumerate(ids)}
    items: dict[str, tuple[Any, list[PriceBreak]]] = {}
    for row in await unit_of(session).sql.rows(_ITEMS(len(ids)), params):
        item = items.get(row.id)
        if item is None:
            item = items[row.id] = (row, [])
        if row.break_min_qty is not None:
            item[1].append(PriceBreak(row.break_min_qty, row.break_unit_price_cents))
    found: dict[str, dict[str, PriceListItem]] = {pid: {} for pid in ids}
    for row, breaks in items.values():
        found[row.product_id][row.price_list_id] = PriceListItem(
            row.product_id, row.unit_price_cents, tuple(breaks)
        )
    return found


async def load_price_context(
    session: AsyncSession,
    customer: Any | None,
    product_ids: Collection[str],
    *,
    reference: ReferenceData | None = None,
) -> PriceContext:
    reference = reference or await reference_data(session)
    headers = _applicable_lists(reference.price_lists, customer)
    ids = sorted(set(product_ids)) if headers else []
    read: dict[str, dict[str, PriceListItem]] = {}
    remember = True
    missing = reference.products_without_items(ids)
    if missing:
        read = await _read_items(session, missing)
        # The token read after the items says whether they are the copy's state: not
        # when a change committed meanwhile, or when this very transaction changed
        # prices after it took the copy. Then they price this request only.
        remember = await is_current(session, reference)
        if remember:
            reference.keep_items(read)
    return PriceContext(customer, headers, ids, reference, read=read, remember=remember)


def quote_or_none(
    context: PriceContext, product_id: str, quantity: int, on: date
) -> PriceQuote | None:
    """A quote for listings, where an unpriced product shows 'no price' instead of failing."""
    try:
        return context.quote(product_id, quantity, on)
    except ValidationFailed as exc:
        if exc.code != "no_price":
            raise
        return None


# The same choice as order pricing (server/features/sales/pricing.py): any shipping address,
# the default one first, before the billing address, so a lookup shows the tax an order
# would then charge.
_ADDRESS_RANK = {
    ("shipping", True): 0,
    ("shipping", False): 1,
    ("billing", True): 2,
    ("billing", False): 3,
}


async def _tax_address(session: AsyncSession, customer_id: str) -> Address | None:
    # Tax follows the goods: a shipping address, else the billing address.
    rows = (
        (
            await session.execute(
                select(CustomerAddress).where(CustomerAddress.customer_id == customer_id)
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return None
    best = min(rows, key=lambda a: (_ADDRESS_RANK.get((a.kind, a.is_default), 4), a.id))
    return Address(
        country=best.country, state=best.state, postal_code=best.postal_code, city=best.city
    )


async def tax_rate_for_customer(
    session: AsyncSession, customer: Customer, tax_category: str
) -> Decimal:
    if customer.tax_exempt:
        return Decimal(0)
    address = await _tax_address(session, customer.id)
    if address is None:
        return Decimal(0)
    rows = (
        (
            await session.execute(
                select(TaxRateRow)
                .where(TaxRateRow.tax_category == tax_category)
                .order_by(TaxRateRow.id)
            )
        )
        .scalars()
        .all()
    )
    # Rates are stored as fractions (0.0725), as pricing.py expects them; the domain's
    # TaxRate docstring says percent, but tax_rate_for only selects a rate and returns it
    # unchanged, so the unit passes through as stored.
    rates = [
        TaxRate(
            tax_category=r.tax_category, country=r.country, state=r.state, rate=Decimal(str(r.rate))
        )
        for r in rows
    ]
    return tax_rate_for(tax_category=tax_category, address=address, rates=rates, exempt=False)


def format_rate(rate: Decimal) -> str:
    """'0.0725' rather than '0.07250' or '7.25E-2': five places as stored, zeros trimmed."""
    return f"{rate.quantize(Decimal('0.00001')):f}".rstrip("0").rstrip(".")


async def price_lookup(
    session: AsyncSession,
    user: CurrentUser,
    *,
    customer_id: str,
    product: Product,
    quantity: int,
    on: date,
) -> PriceLookupOut:
    """The answer of GET /api/prices/lookup: price, its source, tax rate, quantity check."""
    customer = await visible_customer(session, user, customer_id)
    context = await load_price_context(session, customer, [product.id])
    quote = context.quote(product.id, quantity, on)
    rate = await tax_rate_for_customer(session, customer, product.tax_category)
    problem: ValidationFailed | None = None
    try:
        check_quantity(quantity, pack_size=product.pack_size, min_order_qty=product.min_order_qty)
    except ValidationFailed as exc:
        problem = exc
    source = await session.get(PriceListRow, quote.price_list_id)
    currency = source.currency if source else "USD"
    return PriceLookupOut(
        customer_id=customer.id,
        product_id=product.id,
        quantity=quantity,
        on=on,
        currency=currency,
        unit_price_cents=quote.unit_price_cents,
        net_cents=quote.unit_price_cents * quantity,
        price_list_id=quote.price_list_id,
        price_list_code=quote.price_list_code,
        price_list_version=quote.price_list_version,
        break_min_qty=quote.break_min_qty,
        tax_rate=format_rate(rate),
        tax_exempt=customer.tax_exempt,
        quantity_ok=problem is None,
        quantity_code=problem.code if problem else None,
        quantity_message=problem.message if problem else None,
        suggested_quantity=round_to_pack(quantity, product.pack_size, product.min_order_qty),
    )
