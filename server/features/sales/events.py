"""Audit events of quotes and orders: one factory per kind, keyword-only."""

from __future__ import annotations

from typing import Any

from server.db.models import AuditEvent, Quote, SalesOrder
from server.features.shared.audit import event_row

__all__ = ["order_event", "order_event_row", "quote_event"]


def order_event(
    *, order: SalesOrder, actor_id: str | None, action: str, from_state: str | None,
    to_state: str | None, reason: str | None = None, data: dict[str, Any] | None = None,
) -> AuditEvent:
    """A named action on an order: who, when, from, to, why."""
    return AuditEvent(**order_event_row(
        order=order, actor_id=actor_id, action=action, from_state=from_state,
        to_state=to_state, reason=reason, data=data,
    ))


def order_event_row(
    *, order: Any, actor_id: str | None, action: str, from_state: str | None,
    to_state: str | None, reason: str | None = None, data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The same event as `order_event`, as the columns of its row."""
    return event_row(
        entity_type="sales_order", entity_id=order.id, action=action, actor_id=actor_id,
        from_state=from_state, to_state=to_state, reason=reason,
        data={"number": order.number, **(data or {})},
    )


def quote_event(
    *, quote: Quote, actor_id: str | None, action: str, from_state: str | None,
    to_state: str | None, reason: str | None = None, data: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent(**event_row(
        entity_type="quote", entity_id=quote.id, action=action, actor_id=actor_id,
        from_state=from_state, to_state=to_state, reason=reason,
        data={"number": quote.number, "revision": quote.revision, **(data or {})},
    ))
