"""Audit event factories of the catalog, one per event type, keyword-only."""

from __future__ import annotations

from datetime import date
from typing import Any

from server.db.unit_of_work import AuditRecord
from server.features.shared.audit import event

__all__ = [
    "price_list_created",
    "price_list_item_removed",
    "price_list_item_set",
    "price_list_items_replaced",
    "price_list_superseded",
    "product_created",
    "product_updated",
    "stock_set",
    "warehouse_created",
]


def product_created(
    *, product_id: str, actor_id: str | None, channel: str, data: dict[str, Any]
) -> AuditRecord:
    return event(
        entity_type="product",
        entity_id=product_id,
        action="product_created",
        actor_id=actor_id,
        to_state="created",
        data={"channel": channel, **data},
    )


def product_updated(
    *, product_id: str, actor_id: str | None, channel: str, changes: dict[str, Any]
) -> AuditRecord:
    return event(
        entity_type="product",
        entity_id=product_id,
        action="product_updated",
        actor_id=actor_id,
        data={"channel": channel, "changes": changes},
    )


def price_list_created(
    *, price_list_id: str, actor_id: str | None, code: str, version: int, item_count: int
) -> AuditRecord:
    return event(
        entity_type="price_list",
        entity_id=price_list_id,
        action="price_list_created",
        actor_id=actor_id,
        to_state="created",
        data={"code": code, "version": version, "item_count": item_count},
    )


def price_list_items_replaced(
    *, price_list_id: str, actor_id: str | None, before_count: int, item_count: int
) -> AuditRecord:
    return event(
        entity_type="price_list",
        entity_id=price_list_id,
        action="price_list_items_replaced",
        actor_id=actor_id,
        data={"before_count": before_count, "item_count": item_count},
    )


def price_list_superseded(
    *,
    price_list_id: str,
    actor_id: str | None,
    code: str,
    version: int,
    by_version: int,
    old_valid_to: date | None,
    new_valid_to: date,
) -> AuditRecord:
    """A planned version ended by a newer one the admin chose to let take over."""
    return event(
        entity_type="price_list",
        entity_id=price_list_id,
        action="price_list_superseded",
        actor_id=actor_id,
        to_state="superseded",
        reason=f"superseded by version {by_version}",
        data={
            "code": code,
            "version": version,
            "by_version": by_version,
            "old_valid_to": old_valid_to.isoformat() if old_valid_to else None,
            "new_valid_to": new_valid_to.isoformat(),
        },
    )


def price_list_item_set(
    *,
    price_list_id: str,
    actor_id: str | None,
    product_id: str,
    unit_price_cents: int,
    breaks: list[tuple[int, int]],
) -> AuditRecord:
    return event(
        entity_type="price_list",
        entity_id=price_list_id,
        action="price_list_item_set",
        actor_id=actor_id,
        data={
            "product_id": product_id,
            "unit_price_cents": unit_price_cents,
            "breaks": [list(b) for b in breaks],
        },
    )


def price_list_item_removed(
    *, price_list_id: str, actor_id: str | None, product_id: str
) -> AuditRecord:
    return event(
        entity_type="price_list",
        entity_id=price_list_id,
        action="price_list_item_removed",
        actor_id=actor_id,
        data={"product_id": product_id},
    )


def stock_set(
    *,
    product_id: str,
    warehouse_id: str,
    actor_id: str | None,
    from_on_hand: int,
    to_on_hand: int,
    reason: str,
    channel: str,
) -> AuditRecord:
    # Filed under the product: its history is where someone looks for "why did stock move".
    return event(
        entity_type="product",
        entity_id=product_id,
        action="stock_adjusted",
        actor_id=actor_id,
        reason=reason or None,
        data={
            "warehouse_id": warehouse_id,
            "from_on_hand": from_on_hand,
            "to_on_hand": to_on_hand,
            "channel": channel,
        },
    )


def warehouse_created(*, warehouse_id: str, actor_id: str | None, code: str) -> AuditRecord:
    return event(
        entity_type="warehouse",
        entity_id=warehouse_id,
        action="warehouse_created",
        actor_id=actor_id,
        to_state="created",
        data={"code": code},
    )
