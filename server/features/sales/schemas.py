"""Request and response shapes of the quotes and orders API.

Inputs refuse unknown fields. Money is integer cents; percentages arrive as JSON strings or
numbers and are decoded straight to Decimal (msgspec never routes them through a float).
New fields always get a default: phones that were offline for a week send the old shape.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

__all__ = [
    "AmendLineIn",
    "ApprovalItem",
    "BlanketLineOut",
    "BlanketOut",
    "CallOffIn",
    "CallOffLineIn",
    "CallOffSummary",
    "CancelIn",
    "ConvertIn",
    "DiffLine",
    "LineIn",
    "LineOut",
    "OrderAmendIn",
    "OrderCreateIn",
    "OrderDetail",
    "OrderPage",
    "OrderRevisionOut",
    "OrderSummary",
    "QuoteCreateIn",
    "QuoteDetail",
    "QuoteDiff",
    "QuoteUpdateIn",
    "ReasonOut",
    "RejectIn",
    "RevisionHeaderOut",
    "RevisionLineOut",
    "StockReceiptIn",
    "TimelineEntry",
    "Totals",
    "TotalsMismatchOut",
]

Uuid = Annotated[str, Meta(pattern=r"^[0-9a-fA-F-]{36}$")]
Cents = Annotated[int, Meta(ge=0, le=10**13)]
Quantity = Annotated[int, Meta(ge=1, le=10**7)]
Text = Annotated[str, Meta(max_length=4000)]
# What a client may declare; the server decides the channel (server/domain/channels.py).
ChannelName = Literal["field", "phone", "web", "api", "edi"]
OrderTypeName = Literal["standard", "rush", "service", "drop_ship", "blanket"]


def _check_percent(name: str, value: Decimal) -> None:
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise ValueError(f"{name} must be between 0 and 100")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{name} has at most two decimal places")


class LineIn(msgspec.Struct, forbid_unknown_fields=True):
    product_id: Uuid
    quantity: Quantity
    discount_percent: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        _check_percent("discount_percent", self.discount_percent)


Lines = Annotated[list[LineIn], Meta(min_length=1, max_length=200)]


class OrderCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: Uuid
    lines: Lines
    id: Uuid | None = None  # phones create ids offline
    quote_id: Uuid | None = None
    order_discount_percent: Decimal = Decimal(0)
    shipping_cents: Cents = 0
    ship_to_address_id: Uuid | None = None
    po_number: Annotated[str, Meta(max_length=60)] = ""
    requested_delivery_date: date | None = None
    shipping_method: Annotated[str, Meta(min_length=1, max_length=40)] = "standard"
    notes: Text = ""
    channel: ChannelName = "field"
    order_type: OrderTypeName = "standard"
    priority: Annotated[int, Meta(ge=0, le=9)] = 0
    ship_complete: bool = False
    # What the phone showed; compared with the server's total, never trusted.
    client_total_cents: Annotated[int, Meta(ge=0, le=10**13)] | None = None
    # A blanket order's agreed period (inclusive), required for order_type "blanket" only.
    valid_from: date | None = None
    valid_to: date | None = None
    # A service order's agreed date (required for one, never in the past).
    scheduled_date: date | None = None
    # A drop-ship order's reference at the supplier who ships it.
    supplier_reference: Annotated[str, Meta(max_length=80)] = ""

    def __post_init__(self) -> None:
        _check_percent("order_discount_percent", self.order_discount_percent)


class AmendLineIn(msgspec.Struct, forbid_unknown_fields=True):
    """A line of the amended order: an existing one by `line_id`, a new one by `product_id`."""

    quantity: Quantity
    line_id: Uuid | None = None
    product_id: Uuid | None = None
    discount_percent: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        _check_percent("discount_percent", self.discount_percent)


class OrderAmendIn(msgspec.Struct, forbid_unknown_fields=True):
    """An amendment of a placed order. Fields left out stay as they are; `lines`, when
    given, are all the lines the order keeps (a line not named is removed)."""

    expected_revision: Annotated[int, Meta(ge=1, le=2**31 - 1)]
    lines: Annotated[list[AmendLineIn], Meta(min_length=1, max_length=200)] | UnsetType = UNSET
    order_discount_percent: Decimal | UnsetType = UNSET
    ship_to_address_id: Uuid | UnsetType = UNSET
    requested_delivery_date: date | UnsetType | None = UNSET
    notes: Text | UnsetType = UNSET
    po_number: Annotated[str, Meta(max_length=60)] | UnsetType = UNSET
    reason: Annotated[str, Meta(max_length=2000)] = ""
    # What the phone showed for the amended order; compared, never trusted.
    client_total_cents: Annotated[int, Meta(ge=0, le=10**13)] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.order_discount_percent, UnsetType):
            _check_percent("order_discount_percent", self.order_discount_percent)


class CallOffLineIn(msgspec.Struct, forbid_unknown_fields=True):
    blanket_line_id: Uuid
    quantity: Quantity


class CallOffIn(msgspec.Struct, forbid_unknown_fields=True):
    """A call-off against a blanket order: which blanket lines, how many of each."""

    lines: Annotated[list[CallOffLineIn], Meta(min_length=1, max_length=200)]
    id: Uuid | None = None  # phones create ids offline
    ship_to_address_id: Uuid | None = None
    requested_delivery_date: date | None = None
    po_number: Annotated[str, Meta(max_length=60)] = ""
    notes: Text = ""
    channel: ChannelName = "field"


class ConvertIn(msgspec.Struct, forbid_unknown_fields=True):
    """Order header fields for converting an accepted quote; lines and prices come from it."""

    id: Uuid | None = None
    ship_to_address_id: Uuid | None = None
    po_number: Annotated[str, Meta(max_length=60)] = ""
    requested_delivery_date: date | None = None
    shipping_method: Annotated[str, Meta(min_length=1, max_length=40)] = "standard"
    notes: Text = ""
    channel: ChannelName = "field"
    order_type: OrderTypeName = "standard"
    priority: Annotated[int, Meta(ge=0, le=9)] = 0
    ship_complete: bool = False
    scheduled_date: date | None = None
    supplier_reference: Annotated[str, Meta(max_length=80)] = ""


class RejectIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class StockReceiptIn(msgspec.Struct, forbid_unknown_fields=True):
    warehouse_id: Uuid
    product_id: Uuid
    quantity: Quantity


class QuoteCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: Uuid
    lines: Lines
    id: Uuid | None = None
    valid_until: date | None = None  # default: today + 30 days
    notes: Text = ""
    order_discount_percent: Decimal = Decimal(0)
    shipping_cents: Cents = 0

    def __post_init__(self) -> None:
        _check_percent("order_discount_percent", self.order_discount_percent)


class QuoteUpdateIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    lines: Lines | UnsetType = UNSET
    valid_until: date | UnsetType = UNSET
    notes: Text | UnsetType = UNSET
    order_discount_percent: Decimal | UnsetType = UNSET
    shipping_cents: Cents | UnsetType = UNSET

    def __post_init__(self) -> None:
        if not isinstance(self.order_discount_percent, UnsetType):
            _check_percent("order_discount_percent", self.order_discount_percent)


# --- responses ----------------------------------------------------------------------------


class ReasonOut(msgspec.Struct):
    code: str
    message: str
    subject: str | None = None


class Totals(msgspec.Struct):
    subtotal_cents: int
    discount_cents: int
    net_cents: int
    tax_cents: int
    shipping_cents: int
    shipping_tax_cents: int
    total_cents: int
    order_discount_percent: str
    currency: str


class TotalsMismatchOut(msgspec.Struct):
    client_total_cents: int
    server_total_cents: int
    difference_cents: int  # server minus client


class LineOut(msgspec.Struct):
    id: str
    line_no: int
    product_id: str
    sku: str
    name: str
    quantity: int
    unit_price_cents: int
    discount_percent: str
    gross_cents: int
    discount_cents: int
    net_cents: int
    tax_rate: str
    tax_cents: int
    total_cents: int
    price_list_id: str | None
    price_list_version: int | None
    quantity_allocated: int = 0
    quantity_backordered: int = 0
    quantity_released: int = 0  # a blanket order line: taken by call-offs
    blanket_line_id: str | None = None  # a call-off line: the blanket line it draws on
    # When the backordered quantity is expected (ISO date), from the expected receipts;
    # None when nothing expected covers it yet.
    expected_on: str | None = None
    quantity_shipped: int = 0  # left the warehouse (delivered included)
    quantity_delivered: int = 0


class BlanketLineOut(msgspec.Struct):
    """A blanket order line's agreement: agreed, released by call-offs, remaining."""

    id: str
    line_no: int
    sku: str
    name: str
    unit_price_cents: int
    discount_percent: str
    agreed: int
    released: int
    remaining: int


class CallOffSummary(msgspec.Struct):
    id: str
    number: str
    status: str
    placed_at: str
    total_cents: int


class BlanketOut(msgspec.Struct):
    """What a blanket order agreed and what its call-offs have taken."""

    valid_from: str | None
    valid_to: str | None
    lines: list[BlanketLineOut]
    call_offs: list[CallOffSummary]


class TimelineEntry(msgspec.Struct):
    action: str
    at: str
    actor_id: str | None
    from_state: str | None
    to_state: str | None
    reason: str | None


class RevisionLineOut(msgspec.Struct):
    change: str  # added | removed | changed | repriced
    line_id: str | None
    product_id: str
    sku: str
    old_quantity: int | None
    new_quantity: int | None
    old_discount_percent: str | None
    new_discount_percent: str | None
    old_unit_price_cents: int | None
    new_unit_price_cents: int | None


class RevisionHeaderOut(msgspec.Struct):
    field: str
    old: str | None
    new: str | None


class OrderRevisionOut(msgspec.Struct):
    revision: int
    at: str
    actor_id: str | None
    reason: str
    status_before: str
    status_after: str
    total_before_cents: int
    total_after_cents: int
    lines: list[RevisionLineOut]
    header: list[RevisionHeaderOut]


class OrderDetail(msgspec.Struct):
    id: str
    number: str
    status: str
    fulfilment_status: str
    billing_status: str
    customer_id: str
    quote_id: str | None
    order_type: str
    channel: str
    priority: int
    ship_complete: bool
    po_number: str
    requested_delivery_date: str | None
    shipping_method: str
    payment_terms: str
    notes: str
    bill_to: dict[str, Any]
    ship_to: dict[str, Any]
    territory_id: str
    territory_name: str
    rep_id: str | None
    manager_ids: list[str]
    discount_percent: str
    approval_reasons: list[ReasonOut]
    totals: Totals
    totals_mismatch: TotalsMismatchOut | None
    lines: list[LineOut]
    placed_at: str
    decided_by: str | None
    decided_at: str | None
    cancelled_at: str | None
    allowed_actions: list[str]
    timeline: list[TimelineEntry]
    revision: int = 1
    amendable: bool = False
    revisions: list[OrderRevisionOut] = []
    blanket: BlanketOut | None = None  # a blanket order: its period, lines and call-offs
    blanket_order_id: str | None = None  # a call-off: its blanket order
    blanket_order_number: str | None = None
    scheduled_date: str | None = None
    supplier_reference: str = ""


class OrderSummary(msgspec.Struct):
    id: str
    number: str
    status: str
    fulfilment_status: str
    customer_id: str
    territory_id: str
    rep_id: str | None
    order_type: str
    total_cents: int
    placed_at: str
    channel: str


class OrderPage(msgspec.Struct):
    items: list[OrderSummary]
    total: int
    limit: int
    offset: int


class ApprovalItem(msgspec.Struct):
    order: OrderSummary
    reasons: list[ReasonOut]


class QuoteDetail(msgspec.Struct):
    id: str
    number: str
    status: str
    revision: int
    customer_id: str
    valid_until: str
    territory_id: str
    rep_id: str | None
    notes: str
    converted_order_id: str | None
    totals: Totals
    lines: list[LineOut]
    allowed_actions: list[str]


class DiffLine(msgspec.Struct):
    change: Literal["added", "removed", "changed"]
    product_id: str
    sku: str
    old_quantity: int | None
    new_quantity: int | None
    old_unit_price_cents: int | None
    new_unit_price_cents: int | None
    old_discount_percent: str | None
    new_discount_percent: str | None


class QuoteDiff(msgspec.Struct):
    from_revision: int
    to_revision: int
    lines: list[DiffLine]
    old_total_cents: int
    new_total_cents: int
