"""Audit events of the territories slice: one keyword-only factory per event type."""

from __future__ import annotations

from typing import Any

from server.db.unit_of_work import AuditRecord
from server.features.shared.audit import event

__all__ = [
    "assignment_created",
    "assignment_ended",
    "customer_realigned",
    "default_territory_changed",
    "realignment_applied",
    "realignment_drafted",
    "rule_created",
    "rule_deactivated",
    "territory_created",
    "territory_updated",
]


def territory_created(*, territory_id: str, actor_id: str, fields: dict[str, Any]) -> AuditRecord:
    return event(
        entity_type="territory",
        entity_id=territory_id,
        action="territory_created",
        actor_id=actor_id,
        to_state="created",
        data=fields,
    )


def territory_updated(
    *, territory_id: str, actor_id: str, changes: dict[str, list[str | None]]
) -> AuditRecord:
    return event(
        entity_type="territory",
        entity_id=territory_id,
        action="territory_updated",
        actor_id=actor_id,
        data={"changes": changes},
    )


def default_territory_changed(
    *, territory_id: str, actor_id: str, previous_id: str | None
) -> AuditRecord:
    return event(
        entity_type="territory",
        entity_id=territory_id,
        action="default_territory_changed",
        actor_id=actor_id,
        data={"previous_default_id": previous_id},
    )


def rule_created(
    *, rule_id: str, actor_id: str, fields: dict[str, Any], realignment_id: str | None = None
) -> AuditRecord:
    return event(
        entity_type="territory_rule",
        entity_id=rule_id,
        action="territory_rule_created",
        actor_id=actor_id,
        to_state="active",
        data={**fields, "realignment_id": realignment_id},
    )


def rule_deactivated(
    *, rule_id: str, actor_id: str, realignment_id: str | None = None
) -> AuditRecord:
    return event(
        entity_type="territory_rule",
        entity_id=rule_id,
        action="territory_rule_deactivated",
        actor_id=actor_id,
        from_state="active",
        to_state="inactive",
        data={"realignment_id": realignment_id},
    )


def assignment_created(
    *, assignment_id: str, actor_id: str, fields: dict[str, Any], realignment_id: str | None = None
) -> AuditRecord:
    return event(
        entity_type="territory_assignment",
        entity_id=assignment_id,
        action="territory_assignment_created",
        actor_id=actor_id,
        data={**fields, "realignment_id": realignment_id},
    )


def assignment_ended(
    *,
    assignment_id: str,
    actor_id: str,
    previous_to: str | None,
    valid_to: str,
    realignment_id: str | None = None,
) -> AuditRecord:
    return event(
        entity_type="territory_assignment",
        entity_id=assignment_id,
        action="territory_assignment_ended",
        actor_id=actor_id,
        data={
            "previous_valid_to": previous_to,
            "valid_to": valid_to,
            "realignment_id": realignment_id,
        },
    )


def realignment_drafted(*, realignment_id: str, actor_id: str, effective_on: str) -> AuditRecord:
    return event(
        entity_type="realignment",
        entity_id=realignment_id,
        action="realignment_drafted",
        actor_id=actor_id,
        to_state="draft",
        data={"effective_on": effective_on},
    )


def realignment_applied(
    *,
    realignment_id: str,
    actor_id: str,
    moves: list[dict[str, Any]],
    open_documents: list[dict[str, Any]],
) -> AuditRecord:
    # The moves and documents are kept here because after apply they can no longer be
    # recomputed: the customers and quotes already sit where the realignment put them.
    return event(
        entity_type="realignment",
        entity_id=realignment_id,
        action="realignment_applied",
        actor_id=actor_id,
        from_state="draft",
        to_state="applied",
        data={"moves": moves, "open_documents": open_documents},
    )


def customer_realigned(
    *,
    customer_id: str,
    actor_id: str,
    version: int,
    changes: dict[str, list[str | None]],
    realignment_id: str,
) -> AuditRecord:
    # Same data shape as customer_updated ({version, changes}), so the customers slice's
    # "changed since your base version" check sees fields a realignment moved.
    return event(
        entity_type="customer",
        entity_id=customer_id,
        action="customer_realigned",
        actor_id=actor_id,
        reason=f"realignment {realignment_id}",
        data={"version": version, "changes": changes, "realignment_id": realignment_id},
    )
