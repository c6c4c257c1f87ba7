"""Portal links and what a customer reads on the portal, as pure rules.

A link's token is 256 random bits, kept only as its SHA-256: the hash is enough to find
the link again when the token comes back, and a copy of the table opens nothing. A link
works until it expires or is revoked, whichever comes first.

The order's timeline for customers is told in plain language from the order's facts
(its own statuses, its lines' backorders, its shipments and invoices), not from the staff
audit trail, so that nothing internal (approvals, credit holds, who did what) shows.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "DEFAULT_LINK_DAYS",
    "LinkState",
    "Shipped",
    "Step",
    "expires_at",
    "hash_token",
    "link_state",
    "new_token",
    "order_steps",
    "status_sentence",
]

DEFAULT_LINK_DAYS = 90
_TOKEN_BYTES = 32  # 256 bits; the issue asks for at least 128


def new_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def expires_at(created_at: datetime, days: int) -> datetime:
    return created_at + timedelta(days=days)


class LinkState:
    ACTIVE = "active"  # opens its pages
    EXPIRED = "expired"  # past its expiry; opens nothing
    REVOKED = "revoked"  # withdrawn by staff; opens nothing


def link_state(*, expires: datetime, revoked: datetime | None, now: datetime) -> str:
    if revoked is not None:
        return LinkState.REVOKED
    if now >= expires:
        return LinkState.EXPIRED
    return LinkState.ACTIVE


@dataclass(frozen=True)
class Shipped:
    number: str
    carrier: str
    tracking_number: str
    tracking_url: str | None
    shipped_at: str | None
    delivered_on: str | None


@dataclass(frozen=True)
class Step:
    """One line of the customer's timeline; `done` False: still to come."""

    key: str
    title: str
    done: bool
    when: str | None = None
    detail: str = ""
    link: str | None = None


# What each order status means to the customer, in one sentence.
_SENTENCES = {
    "draft": "Your order is being prepared by your sales representative.",
    "submitted": "We have received your order and are checking it.",
    "pending_approval": "We have received your order and are checking it.",
    "credit_hold": "We have received your order and are checking it.",
    "confirmed": "Your order is confirmed and being prepared for shipping.",
    "in_fulfilment": "Your order is on its way.",
    "completed": "Your order has been delivered.",
    "closed": "Your order has been delivered and paid. Thank you.",
    "cancelled": "This order was cancelled.",
}


def status_sentence(status: str, *, backordered: bool) -> str:
    sentence = _SENTENCES.get(status, "We have received your order.")
    if backordered and status in ("confirmed", "in_fulfilment"):
        sentence += " Some items are on backorder."
    return sentence


def order_steps(
    *,
    status: str,
    placed_at: str,
    confirmed_at: str | None,
    backorders: list[tuple[str, int, str | None]],
    shipments: list[Shipped],
    invoiced_on: str | None,
    billing_status: str,
    paid_on: str | None,
) -> list[Step]:
    """The timeline: placed, confirmed, backordered (per item, with its expected date),
    each shipment with its carrier and tracking link, delivered, invoiced, paid.
    `backorders`: (item name, quantity, expected ISO date or None)."""
    if status == "cancelled":
        return [
            Step("placed", "Order placed", True, placed_at),
            Step("cancelled", "Order cancelled", True),
        ]
    confirmed = status not in ("draft", "submitted", "pending_approval", "credit_hold")
    steps = [
        Step("placed", "Order placed", True, placed_at),
        Step("confirmed", "Order confirmed", confirmed, confirmed_at if confirmed else None),
    ]
    for name, quantity, expected in backorders:
        detail = f"{quantity} x {name}"
        steps.append(
            Step(
                "backordered",
                "On backorder",
                True,
                None,
                detail + (f", expected {expected}" if expected else ", date to follow"),
            )
        )
    for s in shipments:
        by = " ".join(x for x in (s.carrier, s.tracking_number) if x)
        steps.append(
            Step(
                "shipped",
                f"Shipped ({s.number})",
                s.shipped_at is not None,
                s.shipped_at,
                f"with {by}" if by else "",
                s.tracking_url,
            )
        )
    if not shipments:
        steps.append(Step("shipped", "Shipped", False))
    delivered = [s.delivered_on for s in shipments if s.delivered_on]
    all_delivered = bool(shipments) and len(delivered) == len(shipments)
    steps.append(
        Step(
            "delivered",
            "Delivered",
            all_delivered or status in ("completed", "closed"),
            max(delivered) if all_delivered else None,
        )
    )
    # The order's billing sub-state (server/domain/billing.py) says how far billing got.
    partly_invoiced = billing_status == "partially_invoiced"
    invoiced = billing_status != "not_invoiced"
    steps.append(
        Step(
            "invoiced",
            "Partly invoiced" if partly_invoiced else "Invoiced",
            invoiced,
            invoiced_on if invoiced else None,
        )
    )
    paid = billing_status == "paid"
    detail = "partly paid" if billing_status == "partially_paid" else ""
    steps.append(Step("paid", "Paid", paid, paid_on if paid else None, detail))
    return steps
