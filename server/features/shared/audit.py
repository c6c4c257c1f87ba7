"""One event factory per event type, keyword-only, so every event has the same shape."""

from __future__ import annotations

from typing import Any

from server.db.unit_of_work import AuditRecord

__all__ = ["customer_created", "customer_updated", "event"]


def event(
    *,
    entity_type: str,
    entity_id: str,
    action: str,
    actor_id: str | None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditRecord:
    return AuditRecord(
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        actor_id=actor_id,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data,
    )


def customer_created(
    *, customer_id: str, actor_id: str | None, channel: str, territory_id: str, reason: str
) -> AuditRecord:
    return event(
        entity_type="customer",
        entity_id=customer_id,
        action="customer_created",
        actor_id=actor_id,
        to_state="created",
        data={"channel": channel, "territory_id": territory_id, "territory_reason": reason},
    )


def customer_updated(
    *,
    customer_id: str,
    actor_id: str | None,
    version: int,
    changes: dict[str, Any],
    overwritten_by_server: list[str] | None = None,
) -> AuditRecord:
    return event(
        entity_type="customer",
        entity_id=customer_id,
        action="customer_updated",
        actor_id=actor_id,
        data={
            "version": version,
            "changes": changes,
            "overwritten_by_server": overwritten_by_server or [],
        },
    )
