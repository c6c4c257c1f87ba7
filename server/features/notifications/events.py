"""The outbox's event types and one factory per kind of document they tell about.

Event types are `<document>.<what happened>`; webhook endpoints subscribe to them by name.
"""

from __future__ import annotations

from typing import Any

from server.db.unit_of_work import Event

__all__ = [
    "EVENT_TYPES",
    "credit_note_event",
    "invoice_event",
    "order_message",
    "payment_event",
    "quote_sent",
    "return_received",
]

EVENT_TYPES = (
    "quote.sent",
    "order.confirmed",
    "order.needs_approval",
    "order.approved",
    "order.rejected",
    "order.backordered",
    "order.shipped",
    "order.delivered",
    "invoice.issued",
    "payment.received",
    "credit_note.issued",
    "return.received",
)


def quote_sent(*, quote: Any) -> Event:
    return Event(
        "quote.sent",
        {
            "quote_id": quote.id,
            "number": quote.number,
            "revision": quote.revision,
            "customer_id": quote.customer_id,
            "total_cents": quote.total_cents,
            "currency": quote.currency,
            "valid_until": quote.valid_until.isoformat(),
        },
    )


def order_message(event_type: str, *, order: Any, **extra: Any) -> Event:
    """An event about an order (`order.*`), with the order's state after the change."""
    assert event_type in EVENT_TYPES and event_type.startswith("order."), event_type
    return Event(
        event_type,
        {
            "order_id": order.id,
            "number": order.number,
            "customer_id": order.customer_id,
            "status": order.status,
            "fulfilment_status": order.fulfilment_status,
            "total_cents": order.total_cents,
            "currency": order.currency,
            **extra,
        },
    )


def invoice_event(*, invoice: Any) -> Event:
    return Event("invoice.issued", _document(invoice))


def credit_note_event(*, credit_note: Any) -> Event:
    return Event("credit_note.issued", _document(credit_note))


def payment_event(*, payment: Any) -> Event:
    return Event("payment.received", _document(payment))


def return_received(*, order: Any, return_id: str, number: str) -> Event:
    return Event(
        "return.received",
        {
            "return_id": return_id,
            "number": number,
            "order_id": order.id,
            "order_number": order.number,
            "customer_id": order.customer_id,
        },
    )


def _document(row: Any) -> dict[str, Any]:
    """The columns every billing document has that a receiver needs to find it."""
    payload: dict[str, Any] = {"id": row.id}
    for name in ("number", "customer_id", "order_id", "total_cents", "amount_cents", "currency"):
        value = getattr(row, name, None)
        if value is not None:
            payload[name] = value
    return payload
