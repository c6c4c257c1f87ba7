"""The authorization matrix for integrations' API tokens.

TOKEN_ROUTES is every route a token may call and the scope it asks for; the app's routes
must name exactly these. Then, on the matrix's organisation (tests/security/org.py):

- a token holding every scope but a route's gets 403 `token_scope_missing` naming it, and
  the record is unchanged;
- a token holding that scope alone gets through (a read answers 200, a change or an
  action is past the access checks), on a record of either territory: an integration
  sees the whole organisation;
- a token holding every scope gets 403 `token_route_closed` from every other API route
  that needs a login.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from litestar import Litestar

from server.domain.api_tokens import SCOPES
from server.security.api_tokens import TOKEN_SCOPE
from tests.factories import customer_body
from tests.security.org import Org, Side, build_org
from tests.security.test_authorization_matrix import ROUTES, Route, _app_routes, _snapshot


def _today() -> str:
    # Asked when the test runs, not at import: a run may cross midnight UTC.
    return date.today().isoformat()


# Every route open to tokens, with the scope it asks for (docs/integrations.md).
TOKEN_ROUTES = {
    ("GET", "/api/products"): "catalog:read",
    ("GET", "/api/products/{product_id}"): "catalog:read",
    ("GET", "/api/categories"): "catalog:read",
    ("GET", "/api/prices/lookup"): "catalog:read",
    ("GET", "/api/stock"): "stock:read",
    ("GET", "/api/warehouses"): "stock:read",
    ("GET", "/api/customers"): "customers:read",
    ("GET", "/api/customers/{customer_id}"): "customers:read",
    ("GET", "/api/customers/{customer_id}/history"): "customers:read",
    ("POST", "/api/customers"): "customers:write",
    ("PATCH", "/api/customers/{customer_id}"): "customers:write",
    ("GET", "/api/quotes"): "quotes:read",
    ("GET", "/api/quotes/{quote_id}"): "quotes:read",
    ("GET", "/api/quotes/{quote_id}/revisions"): "quotes:read",
    ("GET", "/api/quotes/{quote_id}/diff"): "quotes:read",
    ("POST", "/api/quotes"): "quotes:write",
    ("PATCH", "/api/quotes/{quote_id}"): "quotes:write",
    ("POST", "/api/quotes/{quote_id}/send"): "quotes:write",
    ("POST", "/api/quotes/{quote_id}/revise"): "quotes:write",
    ("POST", "/api/quotes/{quote_id}/accept"): "quotes:write",
    ("POST", "/api/quotes/{quote_id}/decline"): "quotes:write",
    ("POST", "/api/quotes/{quote_id}/convert"): "orders:write",
    ("GET", "/api/orders"): "orders:read",
    ("GET", "/api/orders/{order_id}"): "orders:read",
    ("GET", "/api/orders/{order_id}/shipments"): "orders:read",
    ("GET", "/api/orders/{order_id}/returns"): "orders:read",
    ("GET", "/api/orders/export"): "orders:read",
    ("GET", "/api/orders/export.json"): "orders:read",
    ("POST", "/api/orders"): "orders:write",
    ("POST", "/api/orders/{order_id}/amend"): "orders:write",
    ("POST", "/api/orders/{order_id}/cancel"): "orders:write",
    ("POST", "/api/orders/{blanket_id}/call-offs"): "orders:write",
    ("POST", "/api/orders/{order_id}/returns"): "returns:write",
    ("POST", "/api/returns/{return_id}/receive"): "returns:write",
    ("GET", "/api/invoices"): "invoices:read",
    ("GET", "/api/invoices/{invoice_id}"): "invoices:read",
}


def _queries(org: Org, side: Side) -> dict[str, dict[str, str]]:
    """Routes without a record in their path: the query a call that should succeed sends
    (a record it names is the side's)."""
    export_range = {"from": _today(), "to": _today()}
    return {
        "/api/orders/export": export_range,
        "/api/orders/export.json": export_range,
        "/api/prices/lookup": {
            "customer_id": side.ids["customer"],
            "product_id": org.shared["product"],
            "quantity": "3",
        },
    }


def _creates(org: Org) -> dict[str, dict[str, Any]]:
    line = {"product_id": org.shared["product"], "quantity": 1}
    document = {"customer_id": org.a.ids["customer"], "lines": [line]}
    return {
        "/api/customers": customer_body("Tokenfield Supply", postal="98102"),
        "/api/quotes": document,
        "/api/orders": document,
    }


# Routes a token reaches only when the record is in the request's path are exercised
# through the matrix's rows (their bodies and queries).
_MATRIX = {(r.method, r.path): r for r in ROUTES}


def _url(route: Route, org: Org, side: Side) -> str:
    url = route.path
    while "{" in url:
        start, end = url.index("{"), url.index("}")
        param = url[start + 1 : end]
        kind = route.uses.get(param, param.removesuffix("_id"))
        value = kind[1:] if kind.startswith("=") else (side.ids.get(kind) or org.shared[kind])
        url = url[:start] + value + url[end + 1 :]
    return url


async def _token(client: httpx.AsyncClient, org: Org, scopes: list[str]) -> dict[str, str]:
    answer = await client.post(
        "/api/integrations",
        json={"name": "Matrix " + " ".join(scopes), "scopes": scopes},
        headers=org.headers["admin"],
    )
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


async def _request(
    client: httpx.AsyncClient,
    org: Org,
    method: str,
    path: str,
    headers: dict[str, str],
    side: Side,
) -> httpx.Response:
    row = _MATRIX.get((method, path))
    if row is None:
        body: Any = _creates(org).get(path) if method != "GET" else None
        return await client.request(
            method, path, json=body, params=_queries(org, side).get(path, {}), headers=headers
        )
    body = row.body(org, client) if callable(row.body) else row.body
    if hasattr(body, "__await__"):
        body = await body
    return await client.request(
        method, _url(row, org, side), json=body, params=row.query, headers=headers
    )


def test_the_routes_open_to_tokens_are_exactly_the_listed_ones(routes_app: Litestar) -> None:
    opened = {
        (method, path): handler.opt[TOKEN_SCOPE]
        for method, path, handler in _app_routes(routes_app)
        if TOKEN_SCOPE in handler.opt
    }
    assert opened == TOKEN_ROUTES
    assert set(TOKEN_ROUTES.values()) == set(SCOPES), "a scope that opens no route"
    for (method, path), _ in TOKEN_ROUTES.items():
        assert "{" not in path or (method, path) in _MATRIX, f"{method} {path}: not in ROUTES"


async def test_a_token_reaches_each_route_with_its_scope_alone(client, db):
    org = await build_org(client, db)
    without = {s: await _token(client, org, [x for x in SCOPES if x != s]) for s in SCOPES}
    only = {s: await _token(client, org, [s]) for s in SCOPES}
    wrong: list[str] = []
    for (method, path), scope in TOKEN_ROUTES.items():
        row = _MATRIX.get((method, path))
        before = await _snapshot(client, org, row) if row else None
        refused = await _request(client, org, method, path, without[scope], org.a)
        problem = refused.json() if refused.status_code == 403 else {}
        if problem.get("code") != "token_scope_missing" or problem["details"]["scope"] != scope:
            wrong.append(f"{method} {path} without {scope}: {refused.status_code} {refused.text}")
        if row and await _snapshot(client, org, row) != before:
            wrong.append(f"{method} {path}: a refused token changed the record")
        # A read goes to both sides: one of the other territory answers as well. A create
        # without a record in its path is sent once.
        sides = (org.a, org.b) if row or method == "GET" else (org.a,)
        for side in sides:
            answer = await _request(client, org, method, path, only[scope], side)
            status = answer.status_code
            through = status == 200 if method == "GET" else status < 400 or status in (409, 422)
            if not through:
                wrong.append(
                    f"{method} {path} with {scope} ({side.territory}): {status} {answer.text[:200]}"
                )
    assert wrong == [], "\n".join(wrong)


async def test_every_other_api_route_is_closed_to_tokens(app, client, db):
    org = await build_org(client, db)
    everything = await _token(client, org, list(SCOPES))
    wrong: list[str] = []
    for method, path, handler in _app_routes(app):
        # Public routes (signing in) know no caller, so no token either.
        public = handler.opt.get("exclude_from_auth", False)
        if public or not path.startswith("/api/") or (method, path) in TOKEN_ROUTES:
            continue
        row = _MATRIX.get((method, path))
        url = _url(row, org, org.a) if row else path
        answer = await client.request(method, url, headers=everything)
        code = answer.json().get("code") if answer.status_code == 403 else None
        if code != "token_route_closed":
            wrong.append(f"{method} {path}: {answer.status_code} {answer.text[:150]}")
    assert wrong == [], "\n".join(wrong)
