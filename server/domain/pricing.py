"""Document pricing, shared by quotes and orders.

The rounding rule, in full (every amount is rounded exactly once, half up, to a cent):

1. Per line: ``gross = quantity * unit_price``.
2. Line discount: ``round_half_up(gross * line_pct / 100)``.
3. Order discount: ``round_half_up(sum(gross - line discount) * order_pct / 100)``, computed
   once on the document and then spread over the lines pro rata to their net after the line
   discount, by the largest-remainder method, so the shares add up to the order discount
   to the cent (ties go to the earlier line).
4. ``net = gross - line discount - order discount share``.
5. Tax per line: ``round_half_up(net * tax_rate)``; the rate is a fraction
   (``Decimal("0.0825")``), an exempt customer simply has rate 0.
6. Header totals are sums of the rounded line values, so a header always equals the sum
   of its lines; shipping and its tax (``round_half_up(shipping * shipping_tax_rate)``)
   are added on top.

The server always re-prices; what a client computed is only compared, never trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, localcontext

import msgspec

from server.domain.errors import ValidationFailed
from server.domain.money import from_cents, percent_of, to_cents

__all__ = [
    "MAX_DOCUMENT_CENTS",
    "DocumentInput",
    "LineInput",
    "PricedDocument",
    "PricedLine",
    "TotalsMismatch",
    "check_floor_prices",
    "compare_client_totals",
    "effective_discount_percent",
    "price_document",
    "requested_discount_percent",
]

_HUNDRED = Decimal(100)
_PERCENT_PLACES = Decimal("0.01")
# The largest document: 100 billion in the currency's main unit. Every amount is stored as
# a 64-bit integer of cents and summed over many documents (credit exposure, statements),
# so a single document stays far below that range.
MAX_DOCUMENT_CENTS = 10**13


class LineInput(msgspec.Struct, frozen=True):
    line_id: str
    product_id: str
    quantity: int
    unit_price_cents: int
    discount_percent: Decimal = Decimal(0)
    tax_rate: Decimal = Decimal(0)
    # Carried through untouched so the priced line records which price it was sold at.
    price_list_id: str | None = None
    price_list_version: int | None = None


class DocumentInput(msgspec.Struct, frozen=True):
    lines: tuple[LineInput, ...]
    order_discount_percent: Decimal = Decimal(0)
    shipping_cents: int = 0
    shipping_tax_rate: Decimal = Decimal(0)


class PricedLine(msgspec.Struct, frozen=True):
    line_id: str
    product_id: str
    quantity: int
    unit_price_cents: int
    discount_percent: Decimal
    gross_cents: int
    line_discount_cents: int
    order_discount_cents: int
    net_cents: int
    tax_cents: int
    total_cents: int
    price_list_id: str | None
    price_list_version: int | None


class PricedDocument(msgspec.Struct, frozen=True):
    lines: tuple[PricedLine, ...]
    subtotal_cents: int
    discount_cents: int
    net_cents: int
    tax_cents: int
    shipping_cents: int
    shipping_tax_cents: int
    total_cents: int


class TotalsMismatch(msgspec.Struct, frozen=True):
    client_total_cents: int
    server_total_cents: int
    # server minus client: positive means the customer pays more than the client showed.
    difference_cents: int


def price_document(doc: DocumentInput) -> PricedDocument:
    """Price every line and the header of a quote or order (see the module docstring)."""
    _validate(doc)
    grosses = [line.quantity * line.unit_price_cents for line in doc.lines]
    line_discounts = [
        _percent_cents(gross, line.discount_percent)
        for gross, line in zip(grosses, doc.lines, strict=True)
    ]
    after_line = [g - d for g, d in zip(grosses, line_discounts, strict=True)]
    order_discount = _percent_cents(sum(after_line), doc.order_discount_percent)
    shares = _spread(order_discount, after_line)

    priced: list[PricedLine] = []
    for line, gross, line_discount, base, share in zip(
        doc.lines, grosses, line_discounts, after_line, shares, strict=True
    ):
        net = base - share
        tax = _rate_cents(net, line.tax_rate)
        priced.append(
            PricedLine(
                line_id=line.line_id,
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
                discount_percent=line.discount_percent,
                gross_cents=gross,
                line_discount_cents=line_discount,
                order_discount_cents=share,
                net_cents=net,
                tax_cents=tax,
                total_cents=net + tax,
                price_list_id=line.price_list_id,
                price_list_version=line.price_list_version,
            )
        )

    net_total = sum(p.net_cents for p in priced)
    tax_total = sum(p.tax_cents for p in priced)
    shipping_tax = _rate_cents(doc.shipping_cents, doc.shipping_tax_rate)
    document = PricedDocument(
        lines=tuple(priced),
        subtotal_cents=sum(p.gross_cents for p in priced),
        discount_cents=sum(p.line_discount_cents + p.order_discount_cents for p in priced),
        net_cents=net_total,
        tax_cents=tax_total,
        shipping_cents=doc.shipping_cents,
        shipping_tax_cents=shipping_tax,
        total_cents=net_total + tax_total + doc.shipping_cents + shipping_tax,
    )
    # Every stored amount is at most the subtotal (the lines' gross) or the total.
    if max(document.subtotal_cents, document.total_cents) > MAX_DOCUMENT_CENTS:
        raise ValidationFailed(
            "The amounts are too large for one document; split it into several.",
            code="amount_too_large",
            details={"max_cents": MAX_DOCUMENT_CENTS, "total_cents": document.total_cents},
        )
    return document


def effective_discount_percent(priced: PricedDocument) -> Decimal:
    """All discounts as a percent of the subtotal, 2 dp: what approval limits compare to."""
    if priced.subtotal_cents == 0:
        return Decimal("0.00")
    ratio = Decimal(priced.discount_cents) * _HUNDRED / Decimal(priced.subtotal_cents)
    return ratio.quantize(_PERCENT_PLACES, rounding=ROUND_HALF_UP)


def requested_discount_percent(priced: PricedDocument, order_discount_percent: Decimal) -> Decimal:
    """All the discounts asked for (each line's, then the order's on what is left), as one
    percent of the subtotal: what approval limits compare to and what is reported.

    Computed from the percents, not from the rounded cents: half a cent rounded up on a
    small line must not push a discount at the limit above it, nor one rounded down let a
    discount above the limit through. Given to two places, rounded up, so that it is above
    a limit of two places exactly when the discount asked for is."""
    if priced.subtotal_cents == 0:
        return Decimal("0.00")
    # kept x 10,000, exactly: each line's gross times what its discount leaves (in
    # percent), times what the order discount leaves (in percent). Decimal arithmetic on
    # these few digits is exact; it is also many times faster than Fractions.
    with localcontext() as exact:
        exact.prec = 60
        kept = sum(
            (line.gross_cents * (100 - Decimal(line.discount_percent)) for line in priced.lines),
            Decimal(0),
        )
        kept *= 100 - Decimal(order_discount_percent)
    # asked x 100 = 10,000 - kept / subtotal, rounded up = 10,000 - floor(kept / subtotal),
    # the floor taken on integers.
    exponent = min(int(kept.as_tuple().exponent), 0)
    scaled = int(kept.scaleb(-exponent, context=exact))
    floor = scaled // (priced.subtotal_cents * 10**-exponent)
    return Decimal(10_000 - floor).scaleb(-2)


def compare_client_totals(
    priced: PricedDocument, client_total_cents: int | None
) -> TotalsMismatch | None:
    """The difference between what the client showed and what the server charges, if any.

    A client that sent no total (None) has nothing to compare.
    """
    if client_total_cents is None or client_total_cents == priced.total_cents:
        return None
    return TotalsMismatch(
        client_total_cents=client_total_cents,
        server_total_cents=priced.total_cents,
        difference_cents=priced.total_cents - client_total_cents,
    )


def check_floor_prices(priced: PricedDocument, floors: Mapping[str, int]) -> list[str]:
    """Line ids, in document order, whose net price per unit is below the product's floor.

    The net per unit keeps its fraction of a cent (Decimal), so 3 units for 299 cents is
    below a floor of 100. Products without a floor and empty lines are never flagged.
    """
    below: list[str] = []
    for line in priced.lines:
        floor = floors.get(line.product_id)
        if floor is None or line.quantity == 0:
            continue
        if Decimal(line.net_cents) / Decimal(line.quantity) < Decimal(floor):
            below.append(line.line_id)
    return below


def _percent_cents(cents: int, percent: Decimal) -> int:
    return to_cents(percent_of(from_cents(cents), percent))


def _rate_cents(cents: int, rate: Decimal) -> int:
    return to_cents(from_cents(cents) * rate)


def _spread(amount: int, weights: list[int]) -> list[int]:
    """Split `amount` pro rata to `weights` so the parts add up to exactly `amount`.

    Largest remainder: everyone gets the floor of their exact share, and the cents left
    over go one each to the largest remainders. Integer arithmetic keeps it exact.
    """
    total = sum(weights)
    if total == 0:
        return [0 for _ in weights]
    parts = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    left_over = amount - sum(parts)
    # Stable sort on the remainder alone: equal remainders favour the earlier line.
    order = sorted(range(len(weights)), key=lambda i: remainders[i], reverse=True)
    for i in order[:left_over]:
        parts[i] += 1
    return parts


class _Problems:
    """Collects every problem of a document so the caller can show them all at once."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, field: str, message: str, line_id: str | None = None) -> None:
        problem = {"field": field, "message": message}
        if line_id is not None:
            problem["line_id"] = line_id
        self.items.append(problem)

    def check_cents(self, field: str, value: object, line_id: str | None = None) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            self.add(field, "must be an integer", line_id)
        elif value < 0:
            self.add(field, "must not be negative", line_id)

    def check_share(
        self, field: str, value: object, upper: Decimal, line_id: str | None = None
    ) -> None:
        # Floats are refused, not converted: 0.1 as a float is not 0.1, and a price computed
        # from it can differ by a cent from the same price computed from the exact value.
        if not isinstance(value, Decimal | int) or isinstance(value, bool):
            self.add(field, "must be a Decimal, never a float", line_id)
        elif not Decimal(value).is_finite() or not Decimal(0) <= value <= upper:
            self.add(field, f"must be between 0 and {upper}", line_id)


def _validate(doc: DocumentInput) -> None:
    problems = _Problems()
    seen: set[str] = set()
    for line in doc.lines:
        if line.line_id in seen:
            problems.add("line_id", "line ids must be unique", line.line_id)
        seen.add(line.line_id)
        problems.check_cents("quantity", line.quantity, line.line_id)
        problems.check_cents("unit_price_cents", line.unit_price_cents, line.line_id)
        problems.check_share("discount_percent", line.discount_percent, _HUNDRED, line.line_id)
        problems.check_share("tax_rate", line.tax_rate, Decimal(1), line.line_id)
    problems.check_share("order_discount_percent", doc.order_discount_percent, _HUNDRED)
    problems.check_cents("shipping_cents", doc.shipping_cents)
    problems.check_share("shipping_tax_rate", doc.shipping_tax_rate, Decimal(1))
    if problems.items:
        raise ValidationFailed(
            "the document cannot be priced", details={"problems": problems.items}
        )
