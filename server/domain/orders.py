"""The sales document vocabulary and its state machines.

One canonical status per document plus separate fulfilment and billing sub-states, so no
label has to mean two things. Every change of status is a named action looked up in an
explicit table; anything the table does not allow is refused with InvalidTransition.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

import msgspec

from server.domain.errors import InvalidTransition, ValidationFailed

__all__ = [
    "CLIENT_ORDER_ACTIONS",
    "CLIENT_QUOTE_ACTIONS",
    "CUSTOMER_ON_HOLD",
    "OPEN_FOR_CREDIT_STATUSES",
    "ORDERABLE_CUSTOMER_STATUSES",
    "ORDER_TRANSITIONS",
    "QUOTE_TRANSITIONS",
    "SHIPPED_FULFILMENT",
    "BillingStatus",
    "Channel",
    "FulfilmentStatus",
    "OrderCheckInput",
    "OrderStatus",
    "OrderType",
    "QuoteStatus",
    "Reason",
    "SubmissionVerdict",
    "allowed_actions",
    "allowed_quote_actions",
    "can",
    "can_cancel",
    "can_edit_quote",
    "can_quote",
    "credit_reasons",
    "decide_submission",
    "next_order_status",
    "next_quote_status",
]


class OrderStatus(StrEnum):
    DRAFT = "draft"  # being built by the rep; free to edit, not yet promised to anyone
    SUBMITTED = "submitted"  # handed in; prices frozen, waiting for the server's checks
    PENDING_APPROVAL = "pending_approval"  # a manager must approve an exception (discount)
    CREDIT_HOLD = "credit_hold"  # the customer's credit must be released before fulfilment
    CONFIRMED = "confirmed"  # accepted: stock may be reserved and the customer told
    IN_FULFILMENT = "in_fulfilment"  # picking/shipping has started; no longer cancellable
    COMPLETED = "completed"  # everything delivered; billing may still be open
    CLOSED = "closed"  # completed and paid; nothing further will happen
    CANCELLED = "cancelled"  # withdrawn or rejected before anything shipped; terminal


class FulfilmentStatus(StrEnum):
    UNALLOCATED = "unallocated"  # no stock reserved yet
    ALLOCATED = "allocated"  # every line fully reserved (or needs no own stock)
    PARTIALLY_ALLOCATED = "partially_allocated"  # some reserved, the rest backordered
    BACKORDERED = "backordered"  # nothing could be reserved
    PARTIALLY_SHIPPED = "partially_shipped"  # at least one shipment has left
    SHIPPED = "shipped"  # everything has left the warehouse
    DELIVERED = "delivered"  # the carrier confirmed delivery of everything


class BillingStatus(StrEnum):
    NOT_INVOICED = "not_invoiced"  # no invoice issued yet
    PARTIALLY_INVOICED = "partially_invoiced"  # some lines or shipments invoiced
    INVOICED = "invoiced"  # fully invoiced, nothing paid
    PARTIALLY_PAID = "partially_paid"  # payments received, balance still open
    PAID = "paid"  # the balance is zero


class QuoteStatus(StrEnum):
    DRAFT = "draft"  # being built; the only status in which a quote is edited
    SENT = "sent"  # shown to the customer; frozen until accepted, declined or revised
    ACCEPTED = "accepted"  # the customer agreed; may convert to an order while valid
    DECLINED = "declined"  # the customer said no; may be revised into a new version
    EXPIRED = "expired"  # past its validity; may be revised into a new version


class OrderType(StrEnum):
    STANDARD = "standard"  # ships from own stock in the normal queue
    RUSH = "rush"  # ships from own stock, served first from backorders
    SERVICE = "service"  # work performed, nothing shipped from stock
    DROP_SHIP = "drop_ship"  # the supplier ships directly to the customer
    BLANKET = "blanket"  # a framework agreement released in call-offs


class Channel(StrEnum):
    FIELD = "field"  # a rep on the PWA, possibly offline
    PHONE = "phone"  # the phone desk
    WEB = "web"  # the customer's web shop
    API = "api"  # another system (EDI, integrations)


_O = OrderStatus
# action -> (statuses it may start from, status it leads to)
ORDER_TRANSITIONS: dict[str, tuple[frozenset[OrderStatus], OrderStatus]] = {
    "submit": (frozenset({_O.DRAFT}), _O.SUBMITTED),
    "require_approval": (frozenset({_O.SUBMITTED}), _O.PENDING_APPROVAL),
    "hold_for_credit": (frozenset({_O.SUBMITTED, _O.PENDING_APPROVAL}), _O.CREDIT_HOLD),
    "approve": (frozenset({_O.PENDING_APPROVAL}), _O.CONFIRMED),
    "reject": (frozenset({_O.PENDING_APPROVAL, _O.CREDIT_HOLD}), _O.CANCELLED),
    # A credit hold that also carried a discount exception shows both reasons to the
    # manager, so releasing it approves both.
    "release_credit": (frozenset({_O.CREDIT_HOLD}), _O.CONFIRMED),
    "confirm": (frozenset({_O.SUBMITTED}), _O.CONFIRMED),
    "start_fulfilment": (frozenset({_O.CONFIRMED}), _O.IN_FULFILMENT),
    "complete": (frozenset({_O.IN_FULFILMENT}), _O.COMPLETED),
    "close": (frozenset({_O.COMPLETED}), _O.CLOSED),
    "cancel": (
        frozenset({_O.DRAFT, _O.SUBMITTED, _O.PENDING_APPROVAL, _O.CREDIT_HOLD, _O.CONFIRMED}),
        _O.CANCELLED,
    ),
}

# Goods that have left cannot be un-sent by cancelling; that is a return, not a cancel.
SHIPPED_FULFILMENT: frozenset[FulfilmentStatus] = frozenset(
    {FulfilmentStatus.PARTIALLY_SHIPPED, FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED}
)

_Q = QuoteStatus
QUOTE_TRANSITIONS: dict[str, tuple[frozenset[QuoteStatus], QuoteStatus]] = {
    "save": (frozenset({_Q.DRAFT}), _Q.DRAFT),
    "send": (frozenset({_Q.DRAFT}), _Q.SENT),
    # Revising starts a new version in draft; the caller keeps the earlier version as is.
    "revise": (frozenset({_Q.SENT, _Q.DECLINED, _Q.EXPIRED}), _Q.DRAFT),
    "accept": (frozenset({_Q.SENT}), _Q.ACCEPTED),
    "decline": (frozenset({_Q.SENT}), _Q.DECLINED),
    "expire": (frozenset({_Q.DRAFT, _Q.SENT}), _Q.EXPIRED),
    # Converting does not change the quote's status; the order remembers its quote and the
    # quote a `converted` flag, which is what stops a second conversion.
    "convert": (frozenset({_Q.ACCEPTED}), _Q.ACCEPTED),
}


def next_order_status(
    current: OrderStatus, action: str, *, fulfilment: FulfilmentStatus | None = None
) -> OrderStatus:
    """The status `action` leads to from `current`, or InvalidTransition."""
    target = _lookup(ORDER_TRANSITIONS, "order", current, action)
    if action == "cancel" and fulfilment in SHIPPED_FULFILMENT:
        raise InvalidTransition(
            "cannot cancel an order that has already shipped",
            code="already_shipped",
            details={"action": action, "status": str(current), "fulfilment": str(fulfilment)},
        )
    return target


def can(current: OrderStatus, action: str) -> bool:
    """Whether the order table allows `action` from `current` (sub-states not considered)."""
    entry = ORDER_TRANSITIONS.get(action)
    return entry is not None and current in entry[0]


def can_cancel(current: OrderStatus, *, fulfilment: FulfilmentStatus | None = None) -> bool:
    return can(current, "cancel") and fulfilment not in SHIPPED_FULFILMENT


# The actions a person or client calls by name (an endpoint each). The others happen to
# the order: placement decides submit/confirm/require_approval/hold_for_credit, and
# shipping, delivery and payment move it through start_fulfilment, complete and close.
CLIENT_ORDER_ACTIONS: frozenset[str] = frozenset({"approve", "reject", "release_credit", "cancel"})


def allowed_actions(
    current: OrderStatus, *, fulfilment: FulfilmentStatus | None = None
) -> list[str]:
    """The actions a client may call on an order in `current`, sorted by name (buttons)."""
    return sorted(
        action
        for action in CLIENT_ORDER_ACTIONS
        if can(current, action)
        and (action != "cancel" or can_cancel(current, fulfilment=fulfilment))
    )


def next_quote_status(
    current: QuoteStatus,
    action: str,
    *,
    today: date | None = None,
    valid_until: date | None = None,
    converted: bool = False,
) -> QuoteStatus:
    """The status `action` leads to from `current`, or InvalidTransition.

    A quote is valid through `valid_until` inclusive; after it, accepting or converting is
    refused with code "quote_expired" even if nobody has run `expire` yet.
    """
    target = _lookup(QUOTE_TRANSITIONS, "quote", current, action)
    details = {"action": action, "status": str(current)}
    if action in {"accept", "convert"} and _past(today, valid_until):
        raise InvalidTransition(
            f"cannot {action} a quote that expired on {valid_until}",
            code="quote_expired",
            details=details,
        )
    if action == "convert" and converted:
        raise InvalidTransition(
            "the quote has already been converted to an order",
            code="already_converted",
            details=details,
        )
    return target


def can_quote(current: QuoteStatus, action: str) -> bool:
    entry = QUOTE_TRANSITIONS.get(action)
    return entry is not None and current in entry[0]


def can_edit_quote(current: QuoteStatus) -> bool:
    return can_quote(current, "save")


# Expiry happens to a quote (a daily job); every other quote action has an endpoint.
CLIENT_QUOTE_ACTIONS: frozenset[str] = frozenset(QUOTE_TRANSITIONS) - {"expire"}


def allowed_quote_actions(current: QuoteStatus) -> list[str]:
    """The actions a client may call on a quote in `current`, sorted by name."""
    return sorted(action for action in CLIENT_QUOTE_ACTIONS if can_quote(current, action))


_S = TypeVar("_S", OrderStatus, QuoteStatus)


def _lookup(table: dict[str, tuple[frozenset[_S], _S]], noun: str, current: _S, action: str) -> _S:
    entry = table.get(action)
    if entry is None:
        raise InvalidTransition(
            f"unknown {noun} action {action!r}",
            code="unknown_action",
            details={"action": action, "status": str(current)},
        )
    sources, target = entry
    if current not in sources:
        raise InvalidTransition(
            f"cannot {_words(action)} {_article(noun)} {noun} that is {_words(current)}",
            details={"action": action, "status": str(current)},
        )
    return target


def _words(value: str) -> str:
    return value.replace("_", " ")


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"


def _past(today: date | None, valid_until: date | None) -> bool:
    return today is not None and valid_until is not None and today > valid_until


# --- submission checks -----------------------------------------------------------------

# Prospects and blocked or inactive accounts cannot order. An account on hold may still
# order: the order waits on credit_hold for a manager (see `credit_reasons`).
ORDERABLE_CUSTOMER_STATUSES: frozenset[str] = frozenset({"active", "on_hold"})
CUSTOMER_ON_HOLD = "on_hold"
# Orders the customer owes for once shipped: confirmed and later, until invoiced. They
# count against the credit limit beside the open receivables.
OPEN_FOR_CREDIT_STATUSES: tuple[str, ...] = ("confirmed", "in_fulfilment", "completed")


class Reason(msgspec.Struct, frozen=True):
    code: str
    message: str
    # The line or product the reason is about, when it is about one.
    subject: str | None = None


class OrderCheckInput(msgspec.Struct, frozen=True, kw_only=True):
    customer_status: str
    customer_on_hold: bool
    credit_limit_cents: int | None  # None: no limit (chosen explicitly), credit is never checked
    open_receivables_cents: int
    open_orders_cents: int  # confirmed but not yet invoiced, excluding this order
    order_total_cents: int
    discount_percent: Decimal
    discount_limit_percent: Decimal  # what the submitting user may grant without approval
    inactive_product_ids: tuple[str, ...] = ()
    below_floor_line_ids: tuple[str, ...] = ()
    # (line_id, code, message), e.g. ("l1", "quantity_below_minimum", "order at least 6")
    quantity_errors: tuple[tuple[str, str, str], ...] = ()


class SubmissionVerdict(msgspec.Struct, frozen=True):
    status: OrderStatus
    reasons: tuple[Reason, ...] = ()


def decide_submission(inp: OrderCheckInput) -> SubmissionVerdict:
    """Where a submitted order goes: confirmed, pending_approval or credit_hold.

    Hard errors are refused with ValidationFailed listing every one of them, because the
    rep must fix them all before the order can be placed. Credit outranks discount: an
    order on credit hold cannot ship whatever the discount, so credit_hold wins and both
    reasons are returned for the manager to see at once.
    """
    errors = _hard_errors(inp)
    if errors:
        raise ValidationFailed(
            "; ".join(reason.message for reason in errors),
            details={"reasons": [msgspec.structs.asdict(reason) for reason in errors]},
        )

    credit = _credit_reasons(inp)
    discount: list[Reason] = []
    if inp.discount_percent > inp.discount_limit_percent:
        discount.append(
            Reason(
                "discount_above_limit",
                f"discount {inp.discount_percent}% is above the limit of "
                f"{inp.discount_limit_percent}%",
            )
        )
    if credit:
        return SubmissionVerdict(OrderStatus.CREDIT_HOLD, tuple(credit + discount))
    if discount:
        return SubmissionVerdict(OrderStatus.PENDING_APPROVAL, tuple(discount))
    return SubmissionVerdict(OrderStatus.CONFIRMED)


def _hard_errors(inp: OrderCheckInput) -> list[Reason]:
    errors: list[Reason] = []
    if inp.customer_status not in ORDERABLE_CUSTOMER_STATUSES:
        errors.append(
            Reason("customer_inactive", f"the customer is {inp.customer_status}, not active")
        )
    errors.extend(
        Reason("product_inactive", f"product {product_id} is no longer sold", product_id)
        for product_id in inp.inactive_product_ids
    )
    errors.extend(Reason(code, message, line_id) for line_id, code, message in inp.quantity_errors)
    errors.extend(
        Reason("price_below_floor", f"line {line_id} is priced below the floor price", line_id)
        for line_id in inp.below_floor_line_ids
    )
    return errors


def _credit_reasons(inp: OrderCheckInput) -> list[Reason]:
    return credit_reasons(
        customer_on_hold=inp.customer_on_hold,
        credit_limit_cents=inp.credit_limit_cents,
        open_receivables_cents=inp.open_receivables_cents,
        open_orders_cents=inp.open_orders_cents,
        order_total_cents=inp.order_total_cents,
    )


def credit_reasons(
    *,
    customer_on_hold: bool,
    credit_limit_cents: int | None,
    open_receivables_cents: int,
    open_orders_cents: int,
    order_total_cents: int,
) -> list[Reason]:
    """Why this order may not go ahead on the customer's credit, if it may not: at
    submission, and again when a manager approves an order that waited (the orders
    confirmed meanwhile count against the same limit)."""
    reasons: list[Reason] = []
    if customer_on_hold:
        reasons.append(Reason("customer_on_hold", "the customer's account is on hold"))
    if credit_limit_cents is not None:
        exposure = open_receivables_cents + open_orders_cents + order_total_cents
        if exposure > credit_limit_cents:
            reasons.append(
                Reason(
                    "credit_limit_exceeded",
                    f"open receivables, open orders and this order ({exposure} cents) "
                    f"exceed the credit limit of {credit_limit_cents} cents",
                )
            )
    return reasons
