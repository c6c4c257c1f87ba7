"""The desktop order and quote entry form: what was typed, and its totals as the server
prices them.

The form is plain HTML: repeated `product_id` / `quantity` / `discount_percent` fields per
line and a picked `customer_id`. Totals are priced by the same `price_for_customer` that
placing the order runs (in a read unit, nothing written), so what the manager sees is what
the order will cost; placing still goes through `place_order` / `create_quote`, which
check everything again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, Product
from server.domain.actor import CurrentUser
from server.features.sales.pricing import PricingOutcome, RequestedLine, price_for_customer
from server.features.shared.scope import customer_filter, load_scope

__all__ = [
    "BLANK_LINES",
    "EntryDraft",
    "entry_products",
    "parse_entry",
    "picked_customer",
    "preview",
]

# Empty line rows a new form offers; "Add line" adds one more.
BLANK_LINES = 3
MAX_LINES = 200


@dataclass
class DraftLine:
    product_id: str = ""
    quantity: str = ""
    discount_percent: str = ""


@dataclass
class EntryDraft:
    """The form as typed: strings, exactly as the page shows them back."""

    customer_id: str = ""
    po_number: str = ""
    notes: str = ""
    order_discount_percent: str = ""
    lines: list[DraftLine] = field(default_factory=list)

    def requested(self) -> list[RequestedLine]:
        """The lines that name a product and a whole positive quantity."""
        wanted = []
        for line in self.lines:
            if line.product_id and line.quantity.isdigit() and int(line.quantity) > 0:
                wanted.append(
                    RequestedLine(
                        product_id=line.product_id,
                        quantity=int(line.quantity),
                        discount_percent=_percent(line.discount_percent),
                    )
                )
        return wanted

    def filled_rows(self) -> list[int]:
        """Indexes of the rows sent as lines: line number n is row filled_rows()[n - 1]."""
        return [i for i, x in enumerate(self.lines) if x.product_id or x.quantity.strip()]

    def errors_by_row(self, reasons: list[dict[str, Any]]) -> dict[int, list[str]]:
        """The refusal's reasons about one line, by the row that line came from."""
        rows = self.filled_rows()
        found: dict[int, list[str]] = {}
        for reason in reasons:
            subject = str(reason.get("subject") or "")
            if subject.isdigit() and 0 < int(subject) <= len(rows):
                found.setdefault(rows[int(subject) - 1], []).append(str(reason.get("message")))
        return found

    def payload_lines(self) -> list[dict[str, Any]]:
        """The filled lines as the API's LineIn shape (bad values are left for msgspec)."""
        return [
            {
                "product_id": x.product_id,
                "quantity": int(x.quantity) if x.quantity.isdigit() else x.quantity,
                "discount_percent": x.discount_percent or "0",
            }
            for x in (self.lines[i] for i in self.filled_rows())
        ]


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text.strip() or "0")
    except InvalidOperation:
        return Decimal(0)
    return value if Decimal(0) <= value <= Decimal(100) else Decimal(0)


def parse_entry(form: Any, *, extra_line: bool = False) -> EntryDraft:
    """The draft from a submitted form (a multi-dict), with blank rows to type into."""

    def values(name: str) -> list[str]:
        return [str(v).strip() for v in form.getall(name, [])]

    products, quantities, discounts = (
        values("product_id"),
        values("quantity"),
        values("discount_percent"),
    )
    count = min(max(len(products), len(quantities)), MAX_LINES)
    lines = [
        DraftLine(
            product_id=products[i] if i < len(products) else "",
            quantity=quantities[i] if i < len(quantities) else "",
            discount_percent=discounts[i] if i < len(discounts) else "",
        )
        for i in range(count)
    ]
    if extra_line or not lines:
        lines.append(DraftLine())
    return EntryDraft(
        customer_id=str(form.get("customer_id") or "").strip(),
        po_number=str(form.get("po_number") or "").strip(),
        notes=str(form.get("notes") or "").strip(),
        order_discount_percent=str(form.get("order_discount_percent") or "").strip(),
        lines=lines,
    )


async def picked_customer(session: AsyncSession, user: CurrentUser, customer_id: str) -> Any:
    """The picked customer if the user may see it, else None (the form asks again)."""
    if not customer_id:
        return None
    scope = await load_scope(session, user)
    found = await session.execute(
        select(Customer).where(Customer.id == customer_id, customer_filter(scope))
    )
    return found.scalar_one_or_none()


async def entry_products(session: AsyncSession) -> list[Any]:
    """The products on sale, by SKU, for the line pickers."""
    rows = await session.execute(
        select(Product.id, Product.sku, Product.name, Product.min_order_qty, Product.pack_size)
        .where(Product.active.is_(True))
        .order_by(Product.sku)
        .limit(2000)
    )
    return list(rows.all())


async def preview(session: AsyncSession, customer: Any, draft: EntryDraft) -> PricingOutcome | None:
    """The draft priced for the customer today, or None when there is nothing to price."""
    requested = draft.requested()
    if customer is None or not requested:
        return None
    return await price_for_customer(
        session,
        customer,
        requested,
        on=date.today(),
        order_discount_percent=_percent(draft.order_discount_percent),
        shipping_cents=0,
    )
