"""Mutation handlers of quotes and orders: the services of the online API, answered with
what the phone needs to reconcile its local copy (server numbers, server totals beside its
own, allocation per line, approval state).

Outcome results (``outcome.result``; a rejection carries ``code``, ``message`` and the
service's details instead, e.g. ``{"reasons": [{"code", "message", "subject"}]}``):

- ``order.place@1`` (entity_id: the order id; args: the online API's order fields plus
  ``client_total_cents``): ``{"number": "SO-...", "order_id", "status",
  "fulfilment_status", "total_cents", "client_total_cents", "totals_match", "repriced",
  "totals": {"subtotal_cents", "discount_cents", "net_cents", "tax_cents",
  "shipping_cents", "shipping_tax_cents", "total_cents"}, "lines": [{"product_id",
  "quantity", "unit_price_cents", "allocated", "backordered"}], "approval_reasons":
  [{"code", "message", "subject"}], "commission": {"basis", "credited_cents"} | null}``;
  the outcome status is ``needs_approval`` while the order waits on pending_approval or
  credit_hold. ``commission`` is what the placement credited the pushing rep (their own
  entries on the order; 0 where the plan pays when invoiced or paid), null without a plan
  or before the order is confirmed.
- ``order.cancel@1`` (args ``{"reason"}``): ``{"number", "status", "fulfilment_status"}``.
- ``order.amend@1`` (entity_id: the order id; args: the online amendment's fields,
  ``expected_revision`` first): ``{"number", "order_id", "revision", "status",
  "fulfilment_status", "total_cents", "client_total_cents", "totals_match", "repriced",
  "totals", "lines": [{"line_id", "product_id", "quantity", "unit_price_cents",
  "allocated", "backordered"}], "approval_reasons"}``; ``needs_approval`` while the
  amended order waits on pending_approval or credit_hold. A stale ``expected_revision``
  is rejected ``revision_conflict`` with ``details.revision``, the order's current one.
- ``quote.save@1`` (entity_id: the quote id; the first save creates the draft with the
  online API's quote fields, later ones patch it; ``client_total_cents`` optional):
  ``{"number": "Q-...", "quote_id", "status", "revision", "total_cents",
  "client_total_cents", "totals_match", "repriced", "totals", "valid_until"}``.
- ``quote.send@1``: ``{"number", "status", "revision"}``.

``totals_match`` is true when the phone sent no total or the same total as the server's;
``repriced`` is its opposite: the phone's total differs and the server's one stands.
"""

from __future__ import annotations

from typing import Any

import msgspec

from server.db.models import Quote
from server.db.unit_of_work import WriteUnit
from server.domain.actor import CurrentUser
from server.domain.channels import channel_for
from server.domain.errors import ValidationFailed
from server.domain.orders import OrderStatus
from server.features.commission.crediting import credited_at_placement
from server.features.sales import approvals, quote_service
from server.features.sales.amend_service import amend_order
from server.features.sales.order_queries import totals_of
from server.features.sales.order_service import place_order
from server.features.sales.order_store import OrderLineRow, OrderRow
from server.features.sales.quote_queries import get_visible_quote
from server.features.sales.schemas import (
    CancelIn,
    OrderAmendIn,
    OrderCreateIn,
    QuoteCreateIn,
    QuoteUpdateIn,
)
from server.features.shared.scope import load_scope
from sync.engine import HandlerResult
from sync.protocol import Mutation

__all__ = ["order_amend", "order_cancel", "order_place", "quote_save", "quote_send"]

_WAITING_FOR_A_DECISION = (OrderStatus.PENDING_APPROVAL.value, OrderStatus.CREDIT_HOLD.value)
_TOTALS = (
    "subtotal_cents",
    "discount_cents",
    "net_cents",
    "tax_cents",
    "shipping_cents",
    "shipping_tax_cents",
    "total_cents",
)


def _convert(args: dict[str, Any], shape: type[msgspec.Struct]) -> Any:
    try:
        return msgspec.convert(args, shape)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(f"The change is not valid: {exc}", code="invalid_mutation") from None


def _comparison(server_total: int, client_total: int | None) -> dict[str, Any]:
    # The server always re-prices; the phone's own total is only compared. Without one
    # there is nothing to disagree with.
    differs = client_total is not None and client_total != server_total
    return {
        "total_cents": server_total,
        "client_total_cents": client_total,
        "totals_match": not differs,
        "repriced": differs,
    }


def _totals(doc: Quote | OrderRow) -> dict[str, int]:
    totals = msgspec.to_builtins(totals_of(doc))
    return {key: totals[key] for key in _TOTALS}


def _line_result(line: OrderLineRow) -> dict[str, Any]:
    return {
        "product_id": line.product_id,
        "quantity": line.quantity,
        "unit_price_cents": line.unit_price_cents,
        "allocated": line.quantity_allocated,
        "backordered": line.quantity_backordered,
    }


async def order_place(uow: WriteUnit, user: CurrentUser, mutation: Mutation) -> HandlerResult:
    data: OrderCreateIn = _convert({**mutation.args, "id": mutation.entity_id}, OrderCreateIn)
    data = msgspec.structs.replace(data, channel=channel_for(user, "sync"))
    placed = await place_order(uow, user, data)
    order, lines = placed.order, placed.lines
    result = {
        "number": order.number,
        "order_id": order.id,
        "status": order.status,
        "fulfilment_status": order.fulfilment_status,
        **_comparison(order.total_cents, order.client_total_cents),
        "totals": _totals(order),
        "lines": [_line_result(x) for x in lines],
        "approval_reasons": list(order.approval_reasons or []),
        "commission": await credited_at_placement(uow, order, user.id),
    }
    status = "needs_approval" if order.status in _WAITING_FOR_A_DECISION else "accepted"
    return HandlerResult(status=status, result=result)


async def order_amend(uow: WriteUnit, user: CurrentUser, mutation: Mutation) -> HandlerResult:
    data: OrderAmendIn = _convert(mutation.args, OrderAmendIn)
    amended = await amend_order(uow, user, mutation.entity_id, data)
    order = amended.order
    result = {
        "number": order.number,
        "order_id": order.id,
        "revision": order.revision,
        "status": order.status,
        "fulfilment_status": order.fulfilment_status,
        **_comparison(order.total_cents, order.client_total_cents),
        "totals": _totals(order),
        "lines": [{"line_id": x.id, **_line_result(x)} for x in amended.lines],
        "approval_reasons": list(order.approval_reasons or []),
    }
    status = "needs_approval" if order.status in _WAITING_FOR_A_DECISION else "accepted"
    return HandlerResult(status=status, result=result)


async def order_cancel(uow: WriteUnit, user: CurrentUser, mutation: Mutation) -> HandlerResult:
    data: CancelIn = _convert(mutation.args, CancelIn)
    order = await approvals.cancel(uow, user, mutation.entity_id, data.reason)
    return HandlerResult(
        result={
            "number": order.number,
            "status": order.status,
            "fulfilment_status": order.fulfilment_status,
        }
    )


def _quote_result(quote: Quote, client_total: int | None) -> dict[str, Any]:
    return {
        "number": quote.number,
        "quote_id": quote.id,
        "status": quote.status,
        "revision": quote.revision,
        **_comparison(quote.total_cents, client_total),
        "totals": _totals(quote),
        "valid_until": quote.valid_until.isoformat(),
    }


async def quote_save(uow: WriteUnit, user: CurrentUser, mutation: Mutation) -> HandlerResult:
    """Create the draft the first time the phone saves it, save it every time after."""
    session = uow.session
    args = dict(mutation.args)
    client_total = args.pop("client_total_cents", None)
    if client_total is not None and (not isinstance(client_total, int) or client_total < 0):
        raise ValidationFailed(
            "client_total_cents must be a whole number of cents.", code="invalid_mutation"
        )
    args.pop("id", None)
    existing = await session.get(Quote, mutation.entity_id)
    if existing is None:
        created: QuoteCreateIn = _convert({**args, "id": mutation.entity_id}, QuoteCreateIn)
        quote = await quote_service.create_quote(uow, user, created)
    else:
        # Someone else's quote is answered as no quote at all, as every other lookup does.
        await get_visible_quote(session, await load_scope(session, user), existing.id)
        customer_id = args.pop("customer_id", existing.customer_id)
        if customer_id != existing.customer_id:
            raise ValidationFailed(
                "A saved quote cannot move to another customer.", code="quote_customer_mismatch"
            )
        patch: QuoteUpdateIn = _convert(args, QuoteUpdateIn)
        quote = await quote_service.update_quote(uow, user, mutation.entity_id, patch)
    return HandlerResult(result=_quote_result(quote, client_total))


async def quote_send(uow: WriteUnit, user: CurrentUser, mutation: Mutation) -> HandlerResult:
    quote = await quote_service.transition(uow, user, mutation.entity_id, "send")
    return HandlerResult(
        result={"number": quote.number, "status": quote.status, "revision": quote.revision}
    )
