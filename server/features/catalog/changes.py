"""What a catalog change touches in the phones' change feed: pure functions."""

from __future__ import annotations

from collections.abc import Iterable

from server.db.unit_of_work import Change

__all__ = ["price_list_change", "product_changes"]


def product_changes(product_ids: Iterable[str]) -> list[Change]:
    """These products (their data or their availability) changed; the catalog is everyone's."""
    return [Change("product", product_id) for product_id in sorted(set(product_ids))]


def price_list_change(price_list_id: str, customer_territory_id: str | None) -> Change:
    """Base and tier lists are everyone's; a customer's list goes where the customer is seen."""
    return Change("price_list", price_list_id, territory_id=customer_territory_id)
