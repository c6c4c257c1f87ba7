"""What a quote or order change touches in the phones' change feed: pure functions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from server.db.unit_of_work import Change

__all__ = ["document_changes", "order_changes", "quote_changes"]


def document_changes(
    entity_type: str,
    entity_id: str,
    territory_ids: Iterable[str | None],
    owner_ids: Iterable[str | None],
) -> list[Change]:
    """A quote or order changed: the territories that see it (the one it was placed in and
    its customer's current one) and the people who see it as theirs."""
    return [
        *(
            Change(entity_type, entity_id, territory_id=t)
            for t in sorted({t for t in territory_ids if t})
        ),
        *(Change(entity_type, entity_id, owner_id=o) for o in sorted({o for o in owner_ids if o})),
    ]


def order_changes(order: Any, customer: Any | None) -> list[Change]:
    """An order changed; its customer's open orders (the credit exposure it carries) did
    too. `customer`: a row with id, territory_id, status, created_by and owner_id."""
    territory_ids = [order.territory_id, customer.territory_id if customer is not None else None]
    changes = document_changes("order", order.id, territory_ids, [order.rep_id])
    if customer is not None:
        owner = customer.created_by if customer.status == "prospect" else customer.owner_id
        changes.append(Change("customer", customer.id, customer.territory_id, owner))
    return changes


def quote_changes(quote: Any, customer_territory_id: str | None) -> list[Change]:
    return document_changes(
        "quote",
        quote.id,
        [quote.territory_id, customer_territory_id],
        [quote.rep_id, quote.created_by],
    )
