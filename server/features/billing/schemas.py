"""Messages of the billing API: invoices, payments, credit notes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

__all__ = [
    "AllocationIn",
    "AllocationOut",
    "AppliedCreditOut",
    "CreditLineIn",
    "CreditNoteIn",
    "CreditNoteLineOut",
    "CreditNoteOut",
    "InvoiceDetail",
    "InvoiceLineOut",
    "InvoicePage",
    "InvoiceSummary",
    "InvoicingRunOut",
    "PaymentIn",
    "PaymentOut",
    "ReceivedPaymentOut",
]

Uuid = Annotated[str, Meta(pattern=r"^[0-9a-fA-F-]{36}$")]
PositiveCents = Annotated[int, Meta(gt=0, le=10**13)]
Method = Literal["bank_transfer", "card", "cheque", "cash", "other"]


class AllocationIn(msgspec.Struct, forbid_unknown_fields=True):
    invoice_id: Uuid
    amount_cents: PositiveCents


class PaymentIn(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: Uuid
    amount_cents: PositiveCents
    method: Method
    received_on: date
    reference: Annotated[str, Meta(max_length=100)] = ""
    # Not sent: the oldest due invoices first. Sent: exactly these; the rest is credit.
    allocations: Annotated[list[AllocationIn], Meta(max_length=200)] | None = None


class CreditLineIn(msgspec.Struct, forbid_unknown_fields=True):
    order_line_id: Uuid
    quantity: Annotated[int, Meta(gt=0, le=1_000_000)] | None = None
    amount_cents: PositiveCents | None = None


class CreditNoteIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]
    lines: Annotated[list[CreditLineIn], Meta(min_length=1, max_length=200)]


class AllocationOut(msgspec.Struct):
    invoice_id: str
    amount_cents: int


class PaymentOut(msgspec.Struct):
    id: str
    number: str
    customer_id: str
    amount_cents: int
    unallocated_cents: int
    method: str
    reference: str
    received_on: date
    allocations: list[AllocationOut]


class AppliedCreditOut(msgspec.Struct):
    applied_cents: int
    credit_left_cents: int
    allocations: list[AllocationOut]


class InvoiceLineOut(msgspec.Struct):
    line_no: int
    order_line_id: str | None
    sku: str
    description: str
    quantity: int
    unit_price_cents: int
    net_cents: int
    tax_cents: int
    total_cents: int


class CreditNoteLineOut(msgspec.Struct):
    order_line_id: str | None
    description: str
    quantity: int
    net_cents: int
    tax_cents: int
    total_cents: int


class CreditNoteOut(msgspec.Struct):
    id: str
    number: str
    invoice_id: str
    order_id: str
    customer_id: str
    kind: str
    reason: str
    issued_on: date
    net_cents: int
    tax_cents: int
    total_cents: int
    unapplied_cents: int
    lines: list[CreditNoteLineOut]


class ReceivedPaymentOut(msgspec.Struct):
    """A payment as one invoice sees it: how much of it went to this invoice."""

    payment_id: str
    number: str
    method: str
    reference: str
    received_on: date
    amount_cents: int


class InvoiceSummary(msgspec.Struct):
    id: str
    number: str
    order_id: str
    order_number: str
    customer_id: str
    status: str  # open | paid
    issued_on: date
    due_on: date
    currency: str
    total_cents: int
    paid_cents: int
    credited_cents: int
    balance_cents: int
    overdue: bool


class InvoiceDetail(msgspec.Struct):
    invoice: InvoiceSummary
    net_cents: int
    shipping_cents: int
    tax_cents: int
    lines: list[InvoiceLineOut]
    shipments: list[str]
    payments: list[ReceivedPaymentOut]
    credit_notes: list[CreditNoteOut]


class InvoicePage(msgspec.Struct):
    items: list[InvoiceSummary]
    total: int
    limit: int
    offset: int


class InvoicingRunOut(msgspec.Struct):
    orders: int
    invoices: int
    total_cents: int
    first_number: str | None
    last_number: str | None
