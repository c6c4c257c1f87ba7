"""Mass assignment: fields a client may not set are refused, and nothing changes.

Every create and update body of customers, quotes, orders, products and users is sent
with one field the server owns (territory, owner, prices, totals, status, numbers, who
created it, commission...). Each is refused with 400 before anything is written. The
request shapes that make this so are checked too: every msgspec Struct a route takes as
its body, and every Struct nested in one, refuses unknown fields.
"""

from __future__ import annotations

import typing
from typing import Any

import msgspec
from litestar import Litestar
from litestar.routes import HTTPRoute

from tests.factories import bearer, customer_body, login, seed_world
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock

# Fields the server owns, with values an attacker would like to set.
OWNED_FIELDS: dict[str, Any] = {
    "territory_id": "01900000-0000-7000-8000-000000000001",
    "owner_id": "01900000-0000-7000-8000-000000000002",
    "rep_id": "01900000-0000-7000-8000-000000000003",
    "created_by": "01900000-0000-7000-8000-000000000004",
    "approved_by": "01900000-0000-7000-8000-000000000005",
    "number": "SO-999999",
    "status": "confirmed",
    "version": 99,
    "unit_price_cents": 1,
    "prices": [{"price_list_id": "01900000-0000-7000-8000-000000000006", "unit_price_cents": 1}],
    "total_cents": 1,
    "subtotal_cents": 1,
    "tax_cents": 0,
    "commission": "50",
    "commission_cents": 100000,
    "discount_limit_percent": "100",
    "is_admin": True,
    "password_hash": "x",
    "created_at": "2000-01-01T00:00:00Z",
}


def _request_structs(app: Litestar) -> dict[str, set[type[msgspec.Struct]]]:
    """Every Struct a route decodes its body into, nested ones included, by route."""
    found: dict[str, set[type[msgspec.Struct]]] = {}

    def walk(annotation: Any, into: set[type[msgspec.Struct]]) -> None:
        if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
            if annotation not in into:
                into.add(annotation)
                for field in msgspec.structs.fields(annotation):
                    walk(field.type, into)
            return
        for argument in typing.get_args(annotation):
            walk(argument, into)

    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is not None:
                structs: set[type[msgspec.Struct]] = set()
                walk(data.annotation, structs)
                found[f"{sorted(handler.http_methods)} {route.path}"] = structs
    return found


def test_every_request_struct_refuses_unknown_fields(routes_app: Litestar) -> None:
    app = routes_app
    structs = _request_structs(app)
    # Form posts of pages carry their CSRF token beside the fields: not Structs of the API.
    open_shapes = sorted(
        f"{route}: {struct.__module__}.{struct.__name__}"
        for route, found in structs.items()
        for struct in found
        if not struct.__struct_config__.forbid_unknown_fields and not route.endswith("/login")
    )
    assert len(structs) > 30
    assert open_shapes == [], "\n".join(open_shapes)


async def _count(client, headers: dict[str, str], path: str) -> int:  # type: ignore[no-untyped-def]
    answer = (await client.get(path, headers=headers)).json()
    return int(answer["total"]) if isinstance(answer, dict) else len(answer)


async def test_owned_fields_on_creates_and_updates_are_refused_and_change_nothing(client, db):
    world = await seed_world(db)
    catalog = await seed_catalog(db)
    product = await add_product(db, catalog, "HAM-1", price_cents=1000)
    await set_stock(db, catalog.warehouse_ids[0], product, 100)
    admin = bearer(await login(client, "admin@corp.test"))
    rep = bearer(await login(client, "rep1@corp.test"))
    customer = await create_customer(client, rep, "Harbor Supplies")
    line = {"product_id": product, "quantity": 2}
    quote = await client.post(
        "/api/quotes", json={"customer_id": customer["id"], "lines": [line]}, headers=rep
    )
    assert quote.status_code == 201, quote.text

    # (who, method, path, a valid body, the record or list that must stay as it was)
    attempts = [
        (
            rep,
            "POST",
            "/api/customers",
            customer_body("Sneaky Co", confirm_new=True),
            "/api/customers",
        ),
        (
            rep,
            "PATCH",
            f"/api/customers/{customer['id']}",
            {"base_version": customer["version"], "notes": "hello"},
            f"/api/customers/{customer['id']}",
        ),
        (
            rep,
            "POST",
            "/api/quotes",
            {"customer_id": customer["id"], "lines": [line]},
            "/api/quotes",
        ),
        (
            rep,
            "PATCH",
            f"/api/quotes/{quote.json()['id']}",
            {"notes": "hello"},
            f"/api/quotes/{quote.json()['id']}",
        ),
        (
            rep,
            "POST",
            "/api/orders",
            {"customer_id": customer["id"], "lines": [line]},
            "/api/orders",
        ),
        (
            admin,
            "POST",
            "/api/products",
            {"sku": "NEW-1", "name": "New", "category_code": "TOOLS"},
            "/api/products",
        ),
        (
            admin,
            "PATCH",
            f"/api/products/{product}",
            {"name": "Renamed"},
            f"/api/products/{product}",
        ),
        (
            admin,
            "POST",
            "/api/users",
            # An admin sets a user's discount limit: it is theirs to send here.
            {
                "email": "x@corp.test",
                "full_name": "X",
                "role": "rep",
                "password": "long enough",
                "discount_limit_percent": "10",
            },
            "/api/users",
        ),
        (
            admin,
            "PATCH",
            f"/api/users/{world.rep2.id}",
            {"full_name": "Rob R", "discount_limit_percent": "10"},
            "/api/users",
        ),
    ]
    accepted: list[str] = []
    changed: list[str] = []
    for headers, method, path, body, watched in attempts:
        before = (await client.get(watched, headers=admin)).json()
        for field, value in OWNED_FIELDS.items():
            if field in body:
                continue
            answer = await client.request(
                method, path, json={**body, field: value}, headers=headers
            )
            if answer.status_code != 400 or answer.json()["code"] != "invalid_request":
                accepted.append(f"{method} {path} with {field}: {answer.status_code}")
        # Nested shapes too: a line with its own price, an address with a territory.
        if "lines" in body:
            priced = [{**line, "unit_price_cents": 1}]
            answer = await client.request(
                method, path, json={**body, "lines": priced}, headers=headers
            )
            if answer.status_code != 400:
                accepted.append(f"{method} {path} with a priced line: {answer.status_code}")
        if "billing_address" in body:
            address = {**body["billing_address"], "territory_id": world.south}
            answer = await client.request(
                method, path, json={**body, "billing_address": address}, headers=headers
            )
            if answer.status_code != 400:
                accepted.append(f"{method} {path} with an address territory: {answer.status_code}")
        if (await client.get(watched, headers=admin)).json() != before:
            changed.append(f"{method} {path} changed {watched}")
        # The control: the same body without the extra field is accepted.
        control = await client.request(method, path, json=body, headers=headers)
        assert control.status_code in (200, 201), (path, control.text)
    assert accepted == [], "\n".join(accepted)
    assert changed == [], "\n".join(changed)


async def test_a_phone_cannot_smuggle_owned_fields_through_the_sync_push(client, db):
    await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    device = (await client.post("/api/sync/v1/devices", json={}, headers=rep)).json()
    body = customer_body("Pushed Co")
    body["territory_id"] = "01900000-0000-7000-8000-000000000001"
    push = await client.post(
        "/api/sync/v1/push",
        json={
            "protocol": 1,
            "schema_version": 1,
            "device_id": device["device_id"],
            "mutations": [
                {
                    "seq": 1,
                    "type": "customer.create",
                    "entity_id": "01900000-0000-7000-8000-0000000000aa",
                    "args": body,
                }
            ],
        },
        headers=rep,
    )
    assert push.status_code == 200, push.text
    outcome = push.json()["outcomes"][0]
    assert outcome["status"] == "rejected", outcome
    listed = (await client.get("/api/customers", params={"q": "Pushed"}, headers=rep)).json()
    assert listed["total"] == 0


async def test_privileged_fields_a_rep_may_send_only_within_their_reach(client, db):
    world = await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    elsewhere = await client.post(
        "/api/customers",
        json=customer_body("Far Away Co", confirm_new=True, explicit_territory_id=world.south),
        headers=rep,
    )
    unlimited = await client.post(
        "/api/customers",
        json=customer_body("Open Tab Co", confirm_new=True, credit_limit_cents=None),
        headers=rep,
    )
    assert elsewhere.status_code in (403, 404, 422), elsewhere.text
    assert unlimited.status_code in (403, 422), unlimited.text
    listed = (await client.get("/api/customers", headers=rep)).json()
    assert listed["total"] == 0
