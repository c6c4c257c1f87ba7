"""Audit events of user administration: one factory per event type, keyword-only."""

from __future__ import annotations

from typing import Any

from server.db.unit_of_work import AuditRecord
from server.features.shared.audit import event

__all__ = ["password_reset", "user_activation_changed", "user_created", "user_updated"]


def user_created(
    *, user_id: str, actor_id: str | None, email: str, role: str, discount_limit: str
) -> AuditRecord:
    return event(
        entity_type="user",
        entity_id=user_id,
        action="user_created",
        actor_id=actor_id,
        to_state="active",
        data={"email": email, "role": role, "discount_limit_percent": discount_limit},
    )


def user_updated(*, user_id: str, actor_id: str, changes: dict[str, Any]) -> AuditRecord:
    return event(
        entity_type="user",
        entity_id=user_id,
        action="user_updated",
        actor_id=actor_id,
        data=changes,
    )


def user_activation_changed(*, user_id: str, actor_id: str, active: bool) -> AuditRecord:
    return event(
        entity_type="user",
        entity_id=user_id,
        action="user_reactivated" if active else "user_deactivated",
        actor_id=actor_id,
        from_state="inactive" if active else "active",
        to_state="active" if active else "inactive",
    )


def password_reset(*, user_id: str, actor_id: str, generated: bool) -> AuditRecord:
    # Never the password or its hash: the audit log is read by people.
    return event(
        entity_type="user",
        entity_id=user_id,
        action="password_reset",
        actor_id=actor_id,
        data={"generated": generated, "sessions_ended": True},
    )
