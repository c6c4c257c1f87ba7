"""What a phone pulls: the data shapes of every entity type in a pull, and who sees what.

Every change of a pull is ``{"entity_type", "entity_id", "op": "upsert"|"delete", "data"}``;
``data`` is one of the shapes below (absent on a delete). A delete means "this entity is
gone or no longer visible to you": drop it from the local store. Money is integer cents,
dates ISO ``YYYY-MM-DD``, times ISO 8601 UTC, percents and rates decimal strings.

"customer" -- the customers of the user's territories (a rep: their territories and the
prospects they created; a manager: the subtrees they manage; an admin: all)::

    {"id", "number", "legal_name", "trading_name", "tax_id",
     "status": "prospect"|"active"|"on_hold"|"inactive",
     "payment_terms", "credit_limit_cents": int|null (null = no limit; 0 = no credit),
     "open_orders_cents": int (confirmed..completed, not invoiced: the credit exposure),
     "price_list_id": str|null (the assigned tier list), "tax_exempt": bool,
     "preferred_warehouse_id": str|null, "notes", "territory_id", "territory_name",
     "territory_reason", "explicit_territory_id", "owner_id", "owner_name", "created_by",
     "channel", "version": int (the base_version of a customer.update), "created_at",
     "updated_at",
     "addresses": [{"id", "kind": "billing"|"shipping", "is_default", "country" (ISO 2),
                    "state", "city", "postal_code", "street", "latitude", "longitude"}],
     "contacts": [{"id", "name", "role", "email", "phone"}]}

"product" -- the whole catalog, inactive products included (``active`` false: cannot be
ordered)::

    {"id", "sku", "name", "category_id", "unit_of_measure", "pack_size": int,
     "min_order_qty": int, "active": bool, "tax_category", "floor_price_cents": int
     (0 = no floor; a line whose net per unit, after all its discounts,
     is below it is refused),
     "available": int (on hand minus allocated over all warehouses, never negative)}

"price_list" -- every base and tier list, and the customer lists of visible customers::

    {"id", "code", "name", "kind": "base"|"tier"|"customer", "customer_id": str|null,
     "currency", "version": int, "valid_from": date|null, "valid_to": date|null
     (both inclusive; null = open),
     "items": {product_id: {"unit_price_cents": int,
                            "breaks": [[min_qty, unit_price_cents], ...]}}}

"tax_rate" -- all rates (tax categories: a product's tax_category, and "shipping")::

    {"id", "tax_category", "country", "state": str|null, "rate": "0.08250"
     (a fraction with five places: 0.0825 = 8.25 %)}

"order" -- the orders the user may see (of visible customers, placed in a visible
territory, or the rep's own)::

    {"id", "number": "SO-...", "customer_id", "customer_name", "quote_id",
     "status", "fulfilment_status", "billing_status", "order_type", "channel",
     "po_number", "notes", "ship_complete", "requested_delivery_date", "shipping_method",
     "payment_terms", "bill_to", "ship_to", "territory_id", "territory_name", "rep_id",
     "discount_percent" (the effective discount of the whole order),
     "total_cents", "client_total_cents": int|null,
     "totals": {"subtotal_cents", "discount_cents", "net_cents", "tax_cents",
                "shipping_cents", "shipping_tax_cents", "total_cents",
                "order_discount_percent", "currency"},
     "approval_reasons": [{"code", "message", "subject"}], "allowed_actions": [...],
     "placed_at", "decided_at", "cancelled_at",
     "valid_from", "valid_to": a blanket order's period (else null),
     "blanket_order_id", "blanket_order_number": a call-off's blanket order (else null),
     "call_offs": a blanket order's [{"id", "number", "status", "placed_at",
                  "total_cents"}] (else []),
     "lines": [{"id", "line_no", "product_id", "sku", "name", "quantity",
                "unit_price_cents", "discount_percent", "gross_cents", "discount_cents",
                "net_cents", "tax_rate", "tax_cents", "total_cents", "price_list_id",
                "price_list_version", "quantity_allocated", "quantity_backordered",
                "quantity_released" (a blanket line: taken by call-offs; agreed minus it
                remains), "blanket_line_id" (a call-off line: the blanket line),
                "expected_on": date|null, "quantity_shipped", "quantity_delivered"}],
     "scheduled_date": date|null (a service order's), "supplier_reference" (a drop-ship's),
     "shipments": [{"number": "SH-...", "status": "packed"|"shipped"|"delivered",
                    "carrier", "tracking_number", "tracking_url": str|null (the carrier's
                    page, when the carrier is known), "shipped_at": time|null,
                    "delivered_on": date|null, "lines": {order line id: units}}],
     "invoices": [{"number": "INV-...", "status": "open"|"paid", "issued_on", "due_on",
                   "total_cents", "balance_cents", "overdue": bool}],
     "returns": [{"number": "RMA-...", "status": "authorized"|"received"|"cancelled",
                  "reason", "received_at": time|null, "credit_note_number": str|null,
                  "lines": {order line id: units}}],
     "events": [{"action", "from_state", "to_state", "at", "reason"}]}

"commission_summary" -- the user's own commission this period: see
sources_commission.py.

"favourite_customers" -- the customers the user starred: see sources_favourites.py.

"quote" -- the quotes the user may see (of visible customers, or their own)::

    {"id", "number": "Q-...", "customer_id", "customer_name", "status", "revision",
     "valid_until", "territory_id", "rep_id", "notes", "converted_order_id",
     "total_cents", "totals": {as on an order}, "lines": [as on an order, without the
     allocation and shipping counts], "allowed_actions": [...],
     "events": [{"action", "from_state", "to_state", "at", "reason"}]}

How the server prices a line for a customer (server/domain/catalog.py lookup_price, on
today's date; the phone mirrors it from the pulled lists):

1. Only lists valid on the day count (valid_from <= day <= valid_to, nulls open).
2. Levels, first hit wins: (a) the customer's own lists (kind "customer", customer_id =
   the customer); (b) the assigned list: the list with id = customer.price_list_id gives a
   (kind, code), and every valid list with that kind and code competes; (c) kind "base".
   At each level only the NEWEST valid version (highest version, then highest id) speaks;
   a product it leaves out falls through to the next level, never to an older version.
3. In the chosen item the break with the largest min_qty <= quantity gives the unit price,
   else the item's unit_price_cents. No level has the product: the line has no price
   (``no_price``) and the order is refused.
4. A quote's accepted prices (order.place with quote_id, while the quote is valid) win over
   every list.

Quantities: at least 1, at least min_order_qty, a multiple of pack_size.

Tax (server/features/sales/pricing.py and domain tax_rate_for): a tax-exempt customer pays
none. Otherwise the address is the order's ship_to_address_id if given, else the
customer's first shipping address (default first, then by id), else the first billing
address (default first); no address at all means no tax. Among the rates of the product's
tax_category with the same country (ISO 2, case-insensitive), one whose state equals the
address's state (case-insensitive) wins, else one with no state, else 0; among duplicates
the lowest id wins.
Shipping is taxed with the "shipping" tax_category rate the same way.

Totals follow server/domain/pricing.py: per line gross = quantity * unit price; line
discount = round_half_up(gross * pct / 100); the order discount round_half_up(sum of lines
after their discount * pct / 100) is spread over the lines pro rata by largest remainder
(ties to the earlier line); net = gross - both discounts; tax = round_half_up(net * rate);
the header sums the rounded lines, then adds shipping and round_half_up(shipping * rate).
The server always re-prices: what the phone computed goes along as client_total_cents and
is only compared.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, CustomerAddress, CustomerContact, SalesOrder, Territory, User
from server.domain.orders import OPEN_FOR_CREDIT_STATUSES
from server.features.shared.scope import customer_filter
from server.features.sync_api.sources_catalog import CATALOG_SOURCES
from server.features.sync_api.sources_commission import COMMISSION_SOURCES
from server.features.sync_api.sources_documents import DOCUMENT_SOURCES, scope_of
from server.features.sync_api.sources_favourites import FAVOURITE_SOURCES
from sync.feed import FeedSource, Visibility

__all__ = ["FEED_SOURCES"]


async def _customer_ids(
    session: AsyncSession, visibility: Visibility, after: str, limit: int
) -> list[str]:
    rows = await session.execute(
        select(Customer.id)
        .where(customer_filter(scope_of(visibility)), Customer.id > after)
        .order_by(Customer.id)
        .limit(limit)
    )
    return [r[0] for r in rows]


def _address(a: CustomerAddress) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind,
        "is_default": a.is_default,
        "country": a.country,
        "state": a.state,
        "city": a.city,
        "postal_code": a.postal_code,
        "street": a.street,
        "latitude": a.latitude,
        "longitude": a.longitude,
    }


async def _customers(
    session: AsyncSession, visibility: Visibility, ids: list[str]
) -> dict[str, dict[str, Any]]:
    """The customer detail of the online API, loaded for many customers in a few queries
    (a first pull carries thousands)."""
    if not ids:
        return {}
    rows = (
        (
            await session.execute(
                select(Customer).where(Customer.id.in_(ids), customer_filter(scope_of(visibility)))
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return {}
    found = [c.id for c in rows]
    addresses: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in (
        await session.execute(
            select(CustomerAddress)
            .where(CustomerAddress.customer_id.in_(found))
            .order_by(
                CustomerAddress.customer_id,
                CustomerAddress.kind,
                CustomerAddress.is_default.desc(),
                CustomerAddress.id,
            )
        )
    ).scalars():
        addresses[a.customer_id].append(_address(a))
    contacts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for contact in (
        await session.execute(
            select(CustomerContact)
            .where(CustomerContact.customer_id.in_(found))
            .order_by(CustomerContact.customer_id, CustomerContact.name)
        )
    ).scalars():
        contacts[contact.customer_id].append(
            {
                "id": contact.id,
                "name": contact.name,
                "role": contact.role,
                "email": contact.email,
                "phone": contact.phone,
            }
        )
    territories = {
        t.id: (t.name, t.is_default)
        for t in (
            await session.execute(
                select(Territory.id, Territory.name, Territory.is_default).where(
                    Territory.id.in_({c.territory_id for c in rows})
                )
            )
        ).all()
    }
    owners = {
        u.id: u.full_name
        for u in (
            await session.execute(
                select(User.id, User.full_name).where(
                    User.id.in_({c.owner_id for c in rows if c.owner_id})
                )
            )
        ).all()
    }
    open_orders = dict(
        (
            await session.execute(
                select(SalesOrder.customer_id, func.sum(SalesOrder.total_cents))
                .where(
                    SalesOrder.customer_id.in_(found),
                    SalesOrder.status.in_(OPEN_FOR_CREDIT_STATUSES),
                    SalesOrder.billing_status == "not_invoiced",
                )
                .group_by(SalesOrder.customer_id)
            )
        ).all()
    )
    out: dict[str, dict[str, Any]] = {}
    for c in rows:
        territory_name, is_default = territories.get(c.territory_id, ("", False))
        reason = "explicit" if c.explicit_territory_id else ("default" if is_default else "rule")
        out[c.id] = {
            "id": c.id,
            "number": c.number,
            "legal_name": c.legal_name,
            "trading_name": c.trading_name,
            "tax_id": c.tax_id,
            "status": c.status,
            "payment_terms": c.payment_terms,
            "credit_limit_cents": c.credit_limit_cents,
            "open_orders_cents": int(open_orders.get(c.id) or 0),
            "price_list_id": c.price_list_id,
            "tax_exempt": c.tax_exempt,
            "preferred_warehouse_id": c.preferred_warehouse_id,
            "notes": c.notes,
            "territory_id": c.territory_id,
            "territory_name": territory_name,
            "territory_reason": reason,
            "explicit_territory_id": c.explicit_territory_id,
            "owner_id": c.owner_id,
            "owner_name": owners.get(c.owner_id) if c.owner_id else None,
            "created_by": c.created_by,
            "channel": c.channel,
            "version": c.version,
            "created_at": c.created_at.isoformat(),
            "updated_at": c.updated_at.isoformat(),
            "addresses": addresses[c.id],
            "contacts": contacts[c.id],
        }
    return out


# The order matters to a first pull: a phone can price as soon as customers, products,
# price lists and tax rates are in; documents come last.
FEED_SOURCES = [
    FeedSource("customer", _customer_ids, _customers),
    *CATALOG_SOURCES,
    *DOCUMENT_SOURCES,
    *COMMISSION_SOURCES,
    *FAVOURITE_SOURCES,
]
