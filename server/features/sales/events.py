"""Audit events of quotes and orders: one factory per kind, keyword-only."""

from __future__ import annotations

from typing import Any

from server.db.unit_of_work import AuditRecord

__all__ = ["order_event", "quote_event"]


def order_event(
    *,
    order: Any,
    actor_id: str | None,
    action: str,
    from_state: str | None,
    to_state: str | None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditRecord:
    """A named action on an order: who, when, from, to, why."""
    return AuditRecord(
        entity_type="sales_order",
        entity_id=order.id,
        action=action,
        actor_id=actor_id,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data={"number": order.number, **(data or {})},
    )


def quote_event(
    *,
    quote: Any,
    actor_id: str | None,
    action: str,
    from_state: str | None,
    to_state: str | None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditRecord:
    return AuditRecord(
        entity_type="quote",
        entity_id=quote.id,
        action=action,
        actor_id=actor_id,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data={"number": quote.number, "revision": quote.revision, **(data or {})},
    )
