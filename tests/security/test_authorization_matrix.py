"""The authorization matrix: every route about one record, called by everyone.

Each route that names a record in its path is one row of ROUTES: which record of territory
A it is called on, whether it reads, updates, deletes or acts, and who may reach it. Then
each of {rep of A, rep of B, manager of A, manager of B, admin, anonymous} calls it:

- anonymous gets 401 (a page sends them to the login page instead);
- a role the route does not allow gets 403;
- a record outside the caller's scope answers 404, exactly like one that does not exist;
- and none of these refusals changes the record;
- whoever may reach the record gets through: a read answers 200, a change or an action is
  past the access checks (2xx, or 409/422 when an earlier caller already changed its state).

Lists, the sync pull and the exports (LISTS) never carry a row of the other territory.
The routes are read from the app itself: a route the tables do not classify fails the test
with the line to add.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from litestar import Litestar
from litestar.routes import HTTPRoute

from server.features.shared.table_export import XLSX_MEDIA_TYPE as XLSX_TYPE
from tests.conftest import browser_client
from tests.security.org import ACTORS, EMAILS, Org, browser_login, build_org, csrf_form
from tests.xlsx_reading import read_sheet

AUTHENTICATED = frozenset(ACTORS) - {"anonymous"}
REPS = frozenset({"rep_a", "rep_b"})
NOT_ADMINS = AUTHENTICATED - {"admin"}


@dataclass(frozen=True)
class Reach:
    """Who reaches a record of territory A; the other authenticated callers get 404."""

    inside: frozenset[str]
    role_refused: frozenset[str] = frozenset()


SCOPED = Reach(frozenset({"rep_a", "manager_a", "admin"}))  # the territory's people
MANAGED = Reach(frozenset({"manager_a", "admin"}), role_refused=REPS)  # its managers
OWN = Reach(frozenset({"rep_a", "admin"}))  # the rep's own (device), and admins
MANAGERS = Reach(frozenset({"manager_a", "manager_b", "admin"}), role_refused=REPS)
ADMINS = Reach(frozenset({"admin"}), role_refused=NOT_ADMINS)
ANYONE = Reach(AUTHENTICATED)

Body = dict[str, Any] | Callable[[Org, httpx.AsyncClient], Any] | None


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    op: str  # read | update | delete | action
    reach: Reach
    body: Body = None
    # Which record fills each path parameter (default: the parameter's name less `_id`).
    uses: dict[str, str] = field(default_factory=dict)
    page: bool = False
    query: dict[str, str] = field(default_factory=dict)


async def _customer_change(org: Org, client: httpx.AsyncClient) -> dict[str, Any]:
    current = await client.get(
        f"/api/customers/{org.a.ids['customer']}", headers=org.headers["admin"]
    )
    return {"base_version": current.json()["version"], "notes": "changed"}


def _page_amendment(org: Org, _: httpx.AsyncClient) -> dict[str, Any]:
    line = org.a.ids["waiting_line"]
    return {
        "expected_revision": "2",
        "line_id": line,
        f"quantity_{line}": "2",
        f"discount_{line}": "60",
        "amend_reason": "Customer called",
    }


def _today() -> date:
    # Asked when the test runs, not at import: a run may cross midnight UTC.
    return date.today()


PRICES_CSV = b"sku,unit_price,breaks\nHAM-1,10.00,\n"
PRICE_CODE = {"code": "price_list_code"}
REASON = {"reason": "Checked with the customer"}

# One line per route that names a record. `uses` maps a path parameter to the record kind.
ROUTES = [
    # accounts
    Route("GET", "/api/users/{user_id}", "read", ADMINS),
    Route("PATCH", "/api/users/{user_id}", "update", ADMINS, {"full_name": "Sam Renamed"}),
    Route("POST", "/api/users/{user_id}/password", "action", ADMINS, {}),
    # commission statements: the rep's own, their managers', admins'
    Route(
        "GET",
        "/api/commission/statements/{rep_id}/{period}/entries.csv",
        "read",
        SCOPED,
        uses={"period": "=" + _today().isoformat()[:7]},
    ),
    Route(
        "POST",
        "/api/commission/statements/{rep_id}/{period}/approve",
        "action",
        MANAGED,
        uses={"period": "=" + _today().isoformat()[:7]},
    ),
    Route(
        "POST",
        "/api/commission/statements/{rep_id}/{period}/pay",
        "action",
        ADMINS,
        uses={"period": "=" + _today().isoformat()[:7]},
    ),
    # commission credit splits: the order's managers and admins
    Route("PUT", "/api/commission/orders/{order_id}/splits", "update", MANAGED, {"splits": []}),
    Route("GET", "/api/commission/orders/{order_id}/splits", "read", MANAGED),
    # commission disputes: a rep questions only their own lines (an admin is not the rep);
    # the rep's managers and admins answer (the line is already disputed: 409 for the rep)
    Route(
        "POST",
        "/api/commission/entries/{entry_id}/disputes",
        "action",
        Reach(frozenset({"rep_a"})),
        {"comment": "Is this right?"},
    ),
    Route(
        "POST", "/api/commission/disputes/{dispute_id}/answer", "action", MANAGED, {"answer": "Yes"}
    ),
    Route(
        "GET",
        "/api/commission/periods/{period}/payroll.csv",
        "read",
        ADMINS,
        uses={"period": "=" + _today().isoformat()[:7]},
    ),
    # the managers' commission pages: a rep of their teams (admins: anyone)
    Route(
        "GET",
        "/manager/commission/{rep_id}/{period}",
        "read",
        MANAGED,
        uses={"period": "=" + _today().isoformat()[:7]},
        page=True,
    ),
    Route(
        "POST",
        "/manager/commission/{rep_id}/{period}/quota",
        "action",
        MANAGED,
        {"quota": "1000.00"},
        uses={"period": "=" + _today().isoformat()[:7]},
        page=True,
    ),
    Route(
        "POST",
        "/manager/commission/{rep_id}/{period}/approve",
        "action",
        MANAGED,
        uses={"period": "=" + _today().isoformat()[:7]},
        page=True,
    ),
    Route(
        "POST",
        "/manager/commission/{rep_id}/{period}/pay",
        "action",
        ADMINS,
        uses={"period": "=" + _today().isoformat()[:7]},
        page=True,
    ),
    Route(
        "POST",
        "/manager/commission/disputes/{dispute_id}/answer",
        "action",
        MANAGED,
        {"answer": "Checked"},
        page=True,
    ),
    # webhooks and e-mails (back office)
    Route("GET", "/api/webhooks/{endpoint_id}", "read", ADMINS, uses={"endpoint_id": "webhook"}),
    Route(
        "PATCH",
        "/api/webhooks/{endpoint_id}",
        "update",
        ADMINS,
        {"description": "renamed"},
        uses={"endpoint_id": "webhook"},
    ),
    Route(
        "POST",
        "/api/webhooks/{endpoint_id}/deliveries/{message_id}/replay",
        "action",
        ADMINS,
        uses={"endpoint_id": "webhook", "message_id": "delivery"},
    ),
    Route(
        "GET",
        "/admin/webhooks/{endpoint_id}",
        "read",
        ADMINS,
        uses={"endpoint_id": "webhook"},
        page=True,
    ),
    Route(
        "POST",
        "/admin/webhooks/{endpoint_id}/pause",
        "action",
        ADMINS,
        uses={"endpoint_id": "webhook"},
        page=True,
    ),
    Route(
        "POST",
        "/admin/webhooks/{endpoint_id}/enable",
        "action",
        ADMINS,
        uses={"endpoint_id": "webhook"},
        page=True,
    ),
    Route(
        "POST",
        "/admin/webhooks/{endpoint_id}/deliveries/{message_id}/replay",
        "action",
        ADMINS,
        uses={"endpoint_id": "webhook", "message_id": "delivery"},
        page=True,
    ),
    # integrations: their API tokens (back office)
    Route(
        "POST",
        "/api/integrations/{token_id}/revoke",
        "action",
        ADMINS,
        uses={"token_id": "api_token"},
    ),
    Route(
        "POST",
        "/admin/integrations/{token_id}/revoke",
        "action",
        ADMINS,
        uses={"token_id": "api_token"},
        page=True,
    ),
    Route("POST", "/api/users/{user_id}/deactivate", "action", ADMINS),
    Route("POST", "/api/users/{user_id}/reactivate", "action", ADMINS),
    Route("GET", "/admin/users/{user_id}", "read", ADMINS, page=True),
    Route("POST", "/admin/users/{user_id}/access", "action", ADMINS, {"role": "rep"}, page=True),
    Route("POST", "/admin/users/{user_id}/password", "action", ADMINS, page=True),
    Route("POST", "/admin/users/{user_id}/deactivate", "action", ADMINS, page=True),
    Route("POST", "/admin/users/{user_id}/reactivate", "action", ADMINS, page=True),
    # customers
    Route("GET", "/api/customers/{customer_id}", "read", SCOPED),
    Route("GET", "/api/customers/{customer_id}/history", "read", SCOPED),
    Route("PATCH", "/api/customers/{customer_id}", "update", SCOPED, _customer_change),
    Route("GET", "/customers/{customer_id}", "read", SCOPED, page=True),
    # territories
    Route("GET", "/api/territories/{territory_id}", "read", SCOPED),
    Route("GET", "/api/territories/{territory_id}/owner", "read", SCOPED),
    Route("PATCH", "/api/territories/{territory_id}", "update", MANAGED, {"name": "North"}),
    Route("POST", "/api/territories/{territory_id}/default", "action", ADMINS),
    Route("DELETE", "/api/territory-rules/{rule_id}", "delete", MANAGED),
    Route(
        "POST",
        "/api/territory-assignments/{assignment_id}/end",
        "action",
        MANAGED,
        {"on": (_today() + timedelta(days=400)).isoformat()},
    ),
    Route("GET", "/api/realignments/{realignment_id}", "read", MANAGED),
    Route("GET", "/api/realignments/{realignment_id}/preview", "read", MANAGED),
    Route("POST", "/api/realignments/{realignment_id}/apply", "action", MANAGED),
    Route("GET", "/territories/{territory_id}", "read", MANAGED, page=True),
    Route("GET", "/territories/realignments/{realignment_id}", "read", MANAGED, page=True),
    Route("POST", "/territories/realignments/{realignment_id}/apply", "action", MANAGED, page=True),
    Route(
        "POST",
        "/territories/{territory_id}/rules",
        "action",
        MANAGED,
        {"country": "US", "postal_exact": "00777"},
        page=True,
    ),
    Route(
        "POST",
        "/territories/{territory_id}/rules/{rule_id}/deactivate",
        "delete",
        MANAGED,
        page=True,
    ),
    Route(
        "POST",
        "/territories/{territory_id}/assignments",
        "action",
        MANAGED,
        lambda org, _: {"user_id": org.world.rep1.id, "role": "member"},
        page=True,
    ),
    Route(
        "POST",
        "/territories/{territory_id}/assignments/{assignment_id}/end",
        "action",
        MANAGED,
        {"on": (_today() + timedelta(days=400)).isoformat()},
        page=True,
    ),
    Route(
        "POST",
        "/territories/{territory_id}/handover",
        "action",
        MANAGED,
        lambda org, _: {"to_user_id": org.world.rep1.id, "on": _today().isoformat()},
        page=True,
    ),
    # catalog
    Route("GET", "/api/products/{product_id}", "read", ANYONE),
    Route("PATCH", "/api/products/{product_id}", "update", ADMINS, {"name": "Claw hammer"}),
    Route("GET", "/catalog/{product_id}", "read", ANYONE, page=True),
    Route("GET", "/api/price-lists/{price_list_id}", "read", MANAGERS),
    Route("GET", "/api/price-lists/{price_list_id}/items.csv", "read", ADMINS),
    # Each removal is followed by a change that puts the product's price back.
    Route("DELETE", "/api/price-lists/{price_list_id}/items/{product_id}", "delete", ADMINS),
    Route("PUT", "/api/price-lists/{price_list_id}/items", "update", ADMINS, {"items": []}),
    Route("PUT", "/api/price-lists/{price_list_id}/items.csv", "update", ADMINS, PRICES_CSV),
    Route(
        "POST",
        "/admin/price-lists/versions/{price_list_id}/items/{product_id}/remove",
        "delete",
        ADMINS,
        page=True,
    ),
    Route(
        "PUT",
        "/api/price-lists/{price_list_id}/items/{product_id}",
        "update",
        ADMINS,
        {"unit_price_cents": 1000},
    ),
    Route("GET", "/admin/price-lists/codes/{code}", "read", ADMINS, page=True, uses=PRICE_CODE),
    Route(
        "POST",
        "/admin/price-lists/codes/{code}/versions",
        "action",
        ADMINS,
        {"valid_from": (_today() + timedelta(days=30)).isoformat()},
        uses=PRICE_CODE,
        page=True,
    ),
    Route("GET", "/admin/price-lists/versions/{price_list_id}", "read", ADMINS, page=True),
    Route(
        "POST",
        "/admin/price-lists/versions/{price_list_id}/items",
        "update",
        ADMINS,
        {"sku": "HAM-1", "unit_price": "10.00"},
        page=True,
    ),
    Route(
        "POST",
        "/admin/price-lists/versions/{price_list_id}/import",
        "update",
        ADMINS,
        {"file": ("prices.csv", PRICES_CSV, "text/csv")},
        page=True,
    ),
    # stock
    Route("GET", "/api/products/{product_id}/stock-history", "read", ADMINS),
    Route("GET", "/admin/stock/products/{product_id}/history", "read", ADMINS, page=True),
    # imports
    Route("GET", "/api/imports/jobs/{job_id}", "read", ADMINS, uses={"job_id": "import_job"}),
    Route(
        "POST",
        "/api/imports/jobs/{job_id}/resume",
        "action",
        ADMINS,
        uses={"job_id": "import_job"},
    ),
    Route(
        "GET", "/imports/jobs/{job_id}", "read", ADMINS, uses={"job_id": "import_job"}, page=True
    ),
    Route(
        "POST",
        "/imports/jobs/{job_id}/resume",
        "action",
        ADMINS,
        uses={"job_id": "import_job"},
        page=True,
    ),
    Route(
        "POST",
        "/imports/{kind}",
        "action",
        ADMINS,
        {"file": ("customers.csv", b"legal_name,country\nAcme,US\n", "text/csv")},
        uses={"kind": "=customers"},
        page=True,
    ),
    # orders
    Route("GET", "/api/orders/{order_id}", "read", SCOPED),
    Route("POST", "/api/orders/{order_id}/cancel", "action", SCOPED, REASON),
    Route(
        "POST",
        "/api/orders/{order_id}/approve",
        "action",
        MANAGED,
        uses={"order_id": "waiting_order"},
    ),
    Route(
        "POST",
        "/api/orders/{order_id}/reject",
        "action",
        MANAGED,
        REASON,
        uses={"order_id": "waiting_order"},
    ),
    Route(
        "POST",
        "/api/orders/{order_id}/release-credit",
        "action",
        MANAGED,
        uses={"order_id": "waiting_order"},
    ),
    Route("GET", "/api/orders/{order_id}/shipments", "read", SCOPED),
    Route(
        "POST",
        "/api/orders/{order_id}/shipments",
        "action",
        ADMINS,
        lambda org, _: {"warehouse_id": org.shared["warehouse"]},
    ),
    Route("POST", "/api/shipments/{shipment_id}/dispatch", "action", ADMINS, {"carrier": "ups"}),
    Route("POST", "/api/shipments/{shipment_id}/deliver", "action", ADMINS, {}),
    Route("POST", "/api/orders/{order_id}/complete-service", "action", ADMINS, {}),
    Route("GET", "/admin/fulfilment/orders/{order_id}", "read", ADMINS, page=True),
    Route(
        "POST",
        "/admin/fulfilment/orders/{order_id}/ship",
        "action",
        ADMINS,
        lambda org, _: {"warehouse_id": org.shared["warehouse"]},
        page=True,
    ),
    Route(
        "POST",
        "/admin/fulfilment/shipments/{shipment_id}/dispatch",
        "action",
        ADMINS,
        {"carrier": "ups"},
        page=True,
    ),
    Route("POST", "/admin/fulfilment/shipments/{shipment_id}/deliver", "action", ADMINS, page=True),
    Route("GET", "/admin/fulfilment/pick-lists/{warehouse_id}", "read", ADMINS, page=True),
    # amendments and blanket orders: anyone who can see the order
    # The approved order has not shipped: the first caller through amends it (revision 2),
    # the later ones are past the access checks and meet the revision conflict.
    Route(
        "POST",
        "/api/orders/{order_id}/amend",
        "action",
        SCOPED,
        {"expected_revision": 1, "notes": "Leave at the back"},
        uses={"order_id": "waiting_order"},
    ),
    Route(
        "POST",
        "/orders/{order_id}/amend",
        "action",
        SCOPED,
        _page_amendment,
        uses={"order_id": "waiting_order"},
        page=True,
    ),
    Route(
        "POST",
        "/api/orders/{blanket_id}/call-offs",
        "action",
        SCOPED,
        lambda org, _: {"lines": [{"blanket_line_id": org.a.ids["blanket_line"], "quantity": 1}]},
    ),
    # returns: anyone who can see the order authorises or cancels; the back office receives
    Route("GET", "/api/orders/{order_id}/returns", "read", SCOPED),
    Route(
        "POST",
        "/api/orders/{order_id}/returns",
        "action",
        SCOPED,
        lambda org, _: {
            "reason": "Wrong size",
            "lines": [{"line_id": org.a.ids["order_line"], "quantity": 1}],
        },
    ),
    Route("POST", "/api/returns/{return_id}/receive", "action", ADMINS, {}),
    Route("POST", "/api/returns/{return_id}/cancel", "action", SCOPED),
    # billing: invoices are read where the order is; the rest is the back office's
    Route("GET", "/api/invoices/{invoice_id}", "read", SCOPED),
    Route("GET", "/invoices/{invoice_id}/print", "read", SCOPED, page=True),
    Route("POST", "/api/shipments/{shipment_id}/invoice", "action", ADMINS),
    Route("POST", "/api/orders/{order_id}/invoice", "action", ADMINS),
    Route(
        "POST",
        "/api/invoices/{invoice_id}/credit-notes",
        "action",
        ADMINS,
        lambda org, _: {
            "reason": "Price agreed on the phone",
            "lines": [{"order_line_id": org.a.ids["order_line"], "amount_cents": 100}],
        },
    ),
    Route("POST", "/api/customers/{customer_id}/apply-credit", "action", ADMINS),
    Route("POST", "/billing/orders/{order_id}/invoice", "action", ADMINS, page=True),
    Route("GET", "/billing/invoices/{invoice_id}", "read", ADMINS, page=True),
    Route(
        "POST",
        "/billing/invoices/{invoice_id}/payment",
        "action",
        ADMINS,
        lambda org, _: {"invoice_id": org.a.ids["invoice"], "amount": "1.00"},
        page=True,
    ),
    Route("POST", "/billing/invoices/{invoice_id}/apply-credit", "action", ADMINS, page=True),
    Route("GET", "/orders/{order_id}", "read", SCOPED, page=True),
    Route(
        "POST",
        "/orders/{order_id}/{action}",
        "action",
        SCOPED,
        REASON,
        uses={"action": "=cancel"},
        page=True,
    ),
    Route(
        "POST",
        "/approvals/{order_id}/approve",
        "action",
        MANAGED,
        uses={"order_id": "waiting_order"},
        page=True,
    ),
    Route(
        "POST",
        "/approvals/{order_id}/reject",
        "action",
        MANAGED,
        REASON,
        uses={"order_id": "waiting_order"},
        page=True,
    ),
    Route(
        "POST",
        "/approvals/{order_id}/release-credit",
        "action",
        MANAGED,
        uses={"order_id": "waiting_order"},
        page=True,
    ),
    # quotes
    Route("GET", "/api/quotes/{quote_id}", "read", SCOPED),
    Route("PATCH", "/api/quotes/{quote_id}", "update", SCOPED, {"notes": "Call before delivery"}),
    Route("POST", "/api/quotes/{quote_id}/send", "action", SCOPED),
    Route("POST", "/api/quotes/{quote_id}/revise", "action", SCOPED),
    # After send: a sent quote has a frozen first revision to list and compare.
    Route("GET", "/api/quotes/{quote_id}/revisions", "read", SCOPED),
    Route("GET", "/api/quotes/{quote_id}/diff", "read", SCOPED, query={"from": "1", "to": "1"}),
    Route("POST", "/api/quotes/{quote_id}/accept", "action", SCOPED),
    Route("POST", "/api/quotes/{quote_id}/decline", "action", SCOPED),
    Route("POST", "/api/quotes/{quote_id}/convert", "action", SCOPED, {}),
    Route("GET", "/quotes/{quote_id}", "read", SCOPED, page=True),
    Route(
        "POST", "/quotes/{quote_id}/{action}", "action", SCOPED, uses={"action": "=send"}, page=True
    ),
    Route("POST", "/quotes/{quote_id}/convert", "action", SCOPED, page=True),
    # sync
    Route("POST", "/api/sync/v1/devices/{device_id}/revoke", "action", OWN),
    # portal links (staff side; the portal itself is under NOT_RECORDS)
    Route(
        "POST",
        "/api/portal-links/{link_id}/revoke",
        "action",
        SCOPED,
        uses={"link_id": "portal_link"},
    ),
    Route("POST", "/orders/{order_id}/portal-links", "action", SCOPED, page=True),
    Route(
        "POST",
        "/orders/{order_id}/portal-links/{link_id}/revoke",
        "action",
        SCOPED,
        uses={"link_id": "portal_link"},
        page=True,
    ),
]

# Routes with a path parameter that names no record of the matrix, and why.
NOT_RECORDS = {
    ("GET", "/static/{file_path}"): "public files of the app",
    ("GET", "/schema/{path}"): "the API description",
    # The customer portal: no staff login reaches it; a portal link's session opens only
    # its customer's or document's pages (tests/integration/test_portal.py).
    ("GET", "/p/{token}"): "customer portal: a link's token, rate limited",
    ("GET", "/p/orders/{order_id}"): "customer portal: the link's orders only",
    ("GET", "/p/quotes/{quote_id}"): "customer portal: the link's quotes only",
    ("POST", "/p/quotes/{quote_id}/accept"): "customer portal: the link's quotes only",
    ("POST", "/p/quotes/{quote_id}/decline"): "customer portal: the link's quotes only",
    ("GET", "/p/invoices/{invoice_id}/print"): "customer portal: the link's invoices only",
}

# GET routes without a record in their path: either lists whose rows follow the caller's
# scope (checked for the other territory's rows below), or answers that are the same for
# everyone who may call them, with the reason.
SCOPED_LISTS = {
    # The accounting export (CSV): admins and orders:read tokens, 403 for the others.
    "/api/orders/export": "api",
    "/api/customers": "api",
    "/api/orders": "api",
    "/api/quotes": "api",
    "/api/approvals": "api",
    "/api/invoices": "api",
    "/api/sync/v1/pull": "pull",
    "/customers": "page",
    "/orders": "page",
    "/quotes": "page",
    "/approvals": "page",
    "/": "page",
    # The desktop tables' CSV and XLSX exports: the filtered table, in the caller's scope.
    "/orders/export.csv": "page",
    "/quotes/export.csv": "page",
    "/customers/export.csv": "page",
    "/orders/export.xlsx": "page",
    "/quotes/export.xlsx": "page",
    "/customers/export.xlsx": "page",
    # Desktop order entry's customer picker (managers and admins): search in scope.
    "/entry/customers": "page",
    # The managers' dashboard: a manager's subtree only (403 for reps); the exports'
    # default table lists customers, the drill-down's most detailed rows.
    "/api/dashboard": "api",
    "/manager/dashboard": "page",
    # Commission: the team statements page and the disputes list, the caller's teams only.
    "/manager/commission": "page",
    "/api/commission/disputes": "api",
    "/manager/dashboard/export.csv": "page",
    "/manager/dashboard/export.xlsx": "page",
}
UNSCOPED_READS = {
    "/api/auth/me": "the caller's own account",
    "/api/portal-links": "the links of the customer, order or quote named in the query, "
    "which must be in the caller's scope (404 otherwise)",
    "/p": "customer portal: a portal link's session, no staff login",
    "/api/users": "admins only (403 for the others)",
    "/api/webhooks": "admins only (403 for the others)",
    "/api/commission/plans": "admins only (403 for the others)",
    "/api/commission/me": "the caller's own commission",
    "/api/commission/statements": "one rep's statement, refused (404) outside the caller's teams",
    "/api/webhooks/event-types": "admins only: the names of the events",
    "/api/emails": "admins only (403 for the others)",
    "/admin/webhooks": "admins only (403 for the others)",
    "/admin/emails": "admins only (403 for the others)",
    "/api/integrations": "admins only (403 for the others)",
    "/admin/integrations": "admins only (403 for the others)",
    "/api/orders/export.json": "admins, and API tokens with orders:read, only (403 for the "
    "others): the same export as JSON",
    "/healthz": "public health check",
    "/readyz": "public readiness check",
    "/api/territories": "the territory tree: names and codes, no customers",
    "/api/territories/unassigned": "managers' and admins' work queue of unmatched addresses",
    "/api/territory-rules": "managers and admins: address rules, no customers",
    "/api/territory-assignments": "managers and admins: who covers what",
    "/api/realignments": "each manager's own drafts",
    "/api/products": "the catalog is the same for everyone",
    "/api/categories": "the catalog is the same for everyone",
    "/api/prices/lookup": "prices by customer go through customer scope",
    "/api/price-lists": "managers and admins",
    "/api/stock": "stock levels are the same for everyone",
    "/api/stock/alerts": "managers and admins",
    "/api/warehouses": "the same for everyone",
    "/api/imports/jobs": "admins only",
    "/api/sync/v1/devices": "the caller's own devices",
    "/territories": "managers and admins: the tree page",
    "/territories/unassigned": "managers and admins",
    "/catalog": "the catalog page",
    "/imports": "admins only",
    "/login": "public",
    "/app": "the offline app's shell: data comes from the sync pull",
    "/app/customers": "app shell",
    "/app/customers/view": "app shell",
    "/app/customers/new": "app shell",
    "/app/catalog": "app shell",
    "/app/outbox": "app shell",
    "/app/orders": "app shell",
    "/app/commission": "app shell",
    "/app/orders/new": "app shell",
    "/app/quotes/new": "app shell",
    "/customers/new": "the onboarding form",
    "/orders/new": "managers and admins: an empty order form (customers are picked in scope)",
    "/quotes/new": "managers and admins: an empty quote form (customers are picked in scope)",
    "/sw.js": "service worker",
    "/manifest.webmanifest": "app manifest",
    "/schema": "API description",
    "/schema/swagger": "API description",
    "/schema/openapi.json": "API description",
    # The back office (admins only, 403 for everyone else): every territory's rows.
    "/api/stock/levels": "admins only",
    "/api/stock/expected-receipts": "admins only",
    "/api/fulfilment/pick-lists": "admins only",
    "/api/fulfilment/queue": "admins only",
    "/admin": "admins only",
    "/admin/users": "admins only",
    "/admin/price-lists": "admins only",
    "/admin/price-lists/new": "admins only",
    "/admin/stock": "admins only",
    "/admin/stock/expected": "admins only",
    "/admin/fulfilment": "admins only",
    "/billing/queue": "admins only",
    "/billing/invoices": "admins only",
    "/billing/receivables": "admins only",
}
EXPORT_TYPES = ("text/csv", "application/vnd.openxmlformats")


def _app_routes(app: Litestar) -> list[tuple[str, str, Any]]:
    routes = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                routes.append((method, route.path_format, handler))
    return routes


def test_every_route_is_classified(routes_app: Litestar) -> None:
    app = routes_app
    known = {(r.method, r.path) for r in ROUTES} | set(NOT_RECORDS)
    unclassified: list[str] = []
    for method, path, handler in _app_routes(app):
        if "{" in path and (method, path) not in known:
            unclassified.append(
                f"{method} {path}: add a Route(...) line to ROUTES in {__name__} "
                "(which record, read/update/delete/action, and who may reach it)"
            )
        elif "{" not in path and method == "GET" and path not in SCOPED_LISTS:
            media = str(getattr(handler, "media_type", "") or "")
            if media.startswith(EXPORT_TYPES) or path not in UNSCOPED_READS:
                unclassified.append(
                    f"GET {path}: add it to SCOPED_LISTS (rows follow the caller's scope; "
                    "exports always do) or to UNSCOPED_READS with the reason"
                )
    stale = sorted(known - {(m, p) for m, p, _ in _app_routes(app)})
    assert unclassified == [], "\n".join(unclassified)
    assert stale == [], f"rows for routes the app no longer has: {stale}"


def _expected(route: Route, actor: str) -> set[int] | None:
    """The refusal the actor must get, or None when the actor must get through."""
    if actor == "anonymous":
        return {302, 303} if route.page and route.method == "GET" else {401, 403, 302, 303}
    if actor in route.reach.inside:
        return None
    if actor in route.reach.role_refused:
        # Refused for the role; one who is also outside the territory may learn nothing
        # either way, so a 404 is as good as the 403.
        outside = actor.endswith("_b")
        return {403, 404} if outside else {403}
    return {404}


def _url(route: Route, org: Org) -> str:
    url = route.path
    while "{" in url:
        start, end = url.index("{"), url.index("}")
        param = url[start + 1 : end]
        kind = route.uses.get(param, param.removesuffix("_id"))
        # "=value" is the value itself (a path word such as an action's name).
        value = kind[1:] if kind.startswith("=") else (org.a.ids.get(kind) or org.shared[kind])
        url = url[:start] + value + url[end + 1 :]
    return url


# The record each kind is fingerprinted by, to show that refusals change nothing.
SNAPSHOTS = {
    "customer": "/api/customers/{}",
    "quote": "/api/quotes/{}",
    "order": "/api/orders/{}",
    "waiting_order": "/api/orders/{}",
    "territory": "/api/territories/{}",
    "realignment": "/api/realignments/{}",
    "product": "/api/products/{}",
    "price_list": "/api/price-lists/{}",
    "import_job": "/api/imports/jobs/{}",
    "blanket": "/api/orders/{}",
    "invoice": "/api/invoices/{}",
    "user": "/api/users/{}",
}
# Returns have no read of their own: the returns of the order they are on fingerprint them,
# and an order's returns are part of its fingerprint.
RETURNS_OF_ORDER = "/api/orders/{}/returns"


async def _snapshot(client: httpx.AsyncClient, org: Org, route: Route) -> list[Any]:
    shots = []
    for param in [p.split("}")[0] for p in route.path.split("{")[1:]]:
        kind = route.uses.get(param, param.removesuffix("_id"))
        if kind in SNAPSHOTS:
            record = org.a.ids.get(kind) or org.shared[kind]
            answer = await client.get(SNAPSHOTS[kind].format(record), headers=org.headers["admin"])
            shots.append(answer.json())
        if kind in ("order", "return"):
            returns = RETURNS_OF_ORDER.format(org.a.ids["order"])
            shots.append((await client.get(returns, headers=org.headers["admin"])).json())
    shots.append((await client.get("/api/sync/v1/devices", headers=org.headers["rep_a"])).json())
    return shots


async def _call(
    route: Route,
    actor: str,
    org: Org,
    client: httpx.AsyncClient,
    browsers: dict[str, httpx.AsyncClient],
) -> httpx.Response:
    body = route.body(org, client) if callable(route.body) else route.body
    if hasattr(body, "__await__"):
        body = await body
    url = _url(route, org)
    if route.page:
        browser = browsers[actor]
        if route.method == "GET":
            return await browser.get(url, params=route.query)
        fields = body or {}
        files = {k: v for k, v in fields.items() if isinstance(v, tuple)}
        form = {k: v for k, v in fields.items() if k not in files}
        return await browser.post(url, data=csrf_form(browser, **form), files=files or None)
    if isinstance(body, bytes):
        headers = {**org.headers[actor], "content-type": "text/csv"}
        return await client.request(route.method, url, content=body, headers=headers)
    return await client.request(
        route.method, url, json=body, params=route.query, headers=org.headers[actor]
    )


async def test_every_record_answers_only_to_those_who_may_reach_it(app, client, db):
    org = await build_org(client, db)
    browsers = {actor: browser_client(app) for actor in ACTORS}
    try:
        for actor, email in EMAILS.items():
            await browser_login(browsers[actor], email)
        await browsers["anonymous"].get("/login")  # a CSRF cookie, like any visitor has
        wrong: list[str] = []
        for route in ROUTES:
            refused = [a for a in ACTORS if _expected(route, a) is not None]
            allowed = [a for a in ACTORS if _expected(route, a) is None]
            before = await _snapshot(client, org, route)
            for actor in refused:
                answer = await _call(route, actor, org, client, browsers)
                expected = _expected(route, actor)
                assert expected is not None
                if answer.status_code not in expected:
                    wrong.append(
                        f"{route.method} {route.path} as {actor}: {answer.status_code}, "
                        f"expected {sorted(expected)}: {answer.text[:150]}"
                    )
                if actor == "anonymous" and answer.status_code in (302, 303):
                    location = answer.headers.get("location", "")
                    if not location.startswith("/login"):
                        wrong.append(f"{route.path} as anonymous: redirected to {location}")
            if await _snapshot(client, org, route) != before:
                wrong.append(f"{route.method} {route.path}: a refused caller changed the record")
            for actor in allowed:
                answer = await _call(route, actor, org, client, browsers)
                status = answer.status_code
                through = (
                    status == 200 if route.op == "read" else (status < 400 or status in (409, 422))
                )
                if not through:
                    wrong.append(
                        f"{route.method} {route.path} as {actor} (may reach it): {status} "
                        f"{answer.text[:150]}"
                    )
        assert wrong == [], "\n".join(wrong)
    finally:
        for browser in browsers.values():
            await browser.aclose()


async def _pull_everything(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    pages, cursor = [], ""
    for _ in range(50):
        answer = await client.get(
            "/api/sync/v1/pull", params={"cursor": cursor, "limit": 2000}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        pages.append(answer.text)
        page = answer.json()
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    return "\n".join(pages)


def _readable(answer: httpx.Response) -> str:
    """The answer's text; a spreadsheet's cells (a zip of XML would hide every marker)."""
    if answer.headers.get("content-type", "").startswith(XLSX_TYPE):
        return "\n".join(str(cell) for row in read_sheet(answer.content).rows for cell in row)
    return answer.text


async def test_lists_pages_and_the_sync_pull_carry_no_row_of_another_territory(app, client, db):
    org = await build_org(client, db)
    browsers = {actor: browser_client(app) for actor in EMAILS}
    try:
        for actor, email in EMAILS.items():
            await browser_login(browsers[actor], email)
        leaks: list[str] = []
        for actor in ("rep_a", "rep_b", "manager_a", "manager_b", "admin"):
            own, other = (org.a, org.b) if actor.endswith("_a") else (org.b, org.a)
            for path, kind in SCOPED_LISTS.items():
                if kind == "pull":
                    text = await _pull_everything(client, org.headers[actor])
                elif kind == "page":
                    text = _readable(await browsers[actor].get(path))
                else:
                    answer = await client.get(path, headers=org.headers[actor])
                    text = answer.text if answer.status_code == 200 else ""
                if actor == "admin":
                    continue
                shown = sorted(m for m in other.markers if m in text)
                if shown:
                    leaks.append(f"{path} as {actor} shows the other territory's {shown}")
            # The markers are real: the caller's own side is in their pull, and admins see both.
            pulled = await _pull_everything(client, org.headers[actor])
            assert own.ids["customer"] in pulled, actor
        everything = await _pull_everything(client, org.headers["admin"])
        assert org.a.ids["order"] in everything and org.b.ids["order"] in everything
        assert leaks == [], "\n".join(leaks)
    finally:
        for browser in browsers.values():
            await browser.aclose()
