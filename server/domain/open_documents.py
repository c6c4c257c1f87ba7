"""What a realignment does to the quotes and orders of the customers it moves.

An open quote is still being sold: it goes with its customer to the new territory and the
new owner, who can see the customer and follow the quote up. A placed order that is not
finished keeps the territory and rep it was placed with (commission and history follow
the sale as it was made). Both are listed before the realignment is applied.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from server.domain.orders import OrderStatus, QuoteStatus
from server.domain.territories import CustomerMove

__all__ = [
    "OPEN_ORDER_STATUSES",
    "OPEN_QUOTE_STATUSES",
    "DocumentChange",
    "OpenDocument",
    "realigned_documents",
]

# An accepted quote stays open until it is converted into an order.
OPEN_QUOTE_STATUSES = frozenset({QuoteStatus.DRAFT, QuoteStatus.SENT, QuoteStatus.ACCEPTED})
OPEN_ORDER_STATUSES = frozenset(
    {
        OrderStatus.DRAFT,
        OrderStatus.SUBMITTED,
        OrderStatus.PENDING_APPROVAL,
        OrderStatus.CREDIT_HOLD,
        OrderStatus.CONFIRMED,
        OrderStatus.IN_FULFILMENT,
    }
)


class OpenDocument(msgspec.Struct, frozen=True):
    kind: str  # quote | order
    id: str
    customer_id: str
    territory_id: str
    rep_id: str | None


class DocumentChange(msgspec.Struct, frozen=True):
    document: OpenDocument
    new_territory_id: str
    new_rep_id: str | None

    @property
    def hands_over(self) -> bool:
        return (self.new_territory_id, self.new_rep_id) != (
            self.document.territory_id,
            self.document.rep_id,
        )


def realigned_documents(
    moves: Iterable[CustomerMove], documents: Iterable[OpenDocument]
) -> list[DocumentChange]:
    """Every open document of a moving customer, with where it stands after the move,
    quotes first, then by id."""
    by_customer = {m.customer_id: m for m in moves}
    changes: list[DocumentChange] = []
    for document in documents:
        move = by_customer.get(document.customer_id)
        if move is None:
            continue
        if document.kind == "quote":
            changes.append(DocumentChange(document, move.to_territory_id, move.to_owner_id))
        else:
            changes.append(DocumentChange(document, document.territory_id, document.rep_id))
    return sorted(changes, key=lambda c: (c.document.kind != "quote", c.document.id))
