"""Audit events of integration users and their tokens (never the token itself)."""

from __future__ import annotations

from server.db.unit_of_work import AuditRecord
from server.features.shared.audit import event

__all__ = ["token_created", "token_revoked"]


def token_created(
    *, token_id: str, actor_id: str, user_id: str, name: str, scopes: list[str], channel: str
) -> AuditRecord:
    return event(
        entity_type="api_token",
        entity_id=token_id,
        action="api_token_created",
        actor_id=actor_id,
        to_state="active",
        data={"user_id": user_id, "name": name, "scopes": scopes, "channel": channel},
    )


def token_revoked(*, token_id: str, actor_id: str) -> AuditRecord:
    return event(
        entity_type="api_token",
        entity_id=token_id,
        action="api_token_revoked",
        actor_id=actor_id,
        from_state="active",
        to_state="revoked",
    )
