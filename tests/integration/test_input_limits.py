"""Input at the edges of what the databases can hold: refused with a reason, nothing written.

Every case here once reached the database and failed there (a 500, on one database or on
both): numbers beyond 64 bits, text PostgreSQL cannot store, names that grow when they are
normalised, bodies nested too deeply.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from server.db.models import Customer, Quote, SalesOrder, TerritoryAssignment, TerritoryRule, User
from server.domain.pricing import MAX_DOCUMENT_CENTS
from tests.factories import bearer, customer_body, login, seed_world
from tests.sales_factories import add_product, create_customer, seed_catalog, set_stock

WA = {
    "country": "US",
    "state": "WA",
    "city": "Seattle",
    "postal_code": "98101",
    "street": "1 Main St",
}


async def _count(db, model) -> int:
    async with db.read() as unit:
        return int(await unit.session.scalar(select(func.count()).select_from(model)))


def _refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text[:300]
    body = response.json()
    assert body["code"] == code and body["detail"], body


async def _sales(client, db) -> dict[str, Any]:
    world = await seed_world(db)
    catalog = await seed_catalog(db)
    headers = {
        w: bearer(await login(client, f"{w}@corp.test")) for w in ("admin", "manager", "rep1")
    }
    # The catalog allows a price of 10**12 cents and an order a quantity of 10**7.
    big = await add_product(db, catalog, "BIG-1", price_cents=10**12)
    await set_stock(db, catalog.warehouse_ids[0], big, 10)
    customer = await create_customer(client, headers["manager"], "Harbor View Bistro")
    return {"world": world, "h": headers, "big": big, "customer": customer}


@pytest.mark.parametrize("path", ["/api/orders", "/api/quotes"])
async def test_a_document_too_large_to_store_is_refused_before_anything_is_written(
    client, db, path
):
    s = await _sales(client, db)
    one_line = [{"product_id": s["big"], "quantity": 10**7}]  # 10**19 cents: beyond 64 bits
    two_lines = [{"product_id": s["big"], "quantity": 9 * 10**6}] * 2  # each fits, the sum not
    for lines in (one_line, two_lines):
        response = await client.post(
            path, json={"customer_id": s["customer"]["id"], "lines": lines}, headers=s["h"]["admin"]
        )
        _refused(response, 422, "amount_too_large")
        assert response.json()["details"]["max_cents"] == MAX_DOCUMENT_CENTS
    assert await _count(db, SalesOrder) == 0 and await _count(db, Quote) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/customers",
        "/api/orders",
        "/api/quotes",
        "/api/products",
        "/api/stock",
        "/api/territories/unassigned",
    ],
)
async def test_an_offset_beyond_any_list_is_refused(client, db, path):
    await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    response = await client.get(path, params={"offset": 10**19}, headers=admin)
    assert response.status_code == 400, response.text[:300]
    assert response.json()["code"] == "invalid_request"
    assert (await client.get(path, params={"offset": 1_000_000}, headers=admin)).status_code == 200


async def test_a_body_nested_too_deeply_is_refused(client, db):
    await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    nested = "1"
    for _ in range(1500):
        nested = f"[{nested}]"
    response = await client.post(
        "/api/customers",
        content='{"legal_name":' + nested + "}",
        headers={**rep, "content-type": "application/json"},
    )
    _refused(response, 400, "invalid_request")


async def test_text_with_the_nul_character_is_refused_everywhere(client, db):
    await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    body = customer_body("Nul\u0000Co", confirm_new=True)
    _refused(await client.post("/api/customers", json=body, headers=admin), 422, "invalid_text")
    _refused(
        await client.get("/api/customers", params={"q": "a\u0000b"}, headers=admin),
        422,
        "invalid_text",
    )
    _refused(
        await client.post("/api/auth/login", json={"email": "a\u0000@b.test", "password": "x"}),
        422,
        "invalid_text",
    )
    csv = b"legal_name,country\nNul\x00 Co,US\n"
    _refused(
        await client.post(
            "/api/imports/customers", content=csv, headers={**admin, "content-type": "text/csv"}
        ),
        422,
        "invalid_text",
    )
    assert await _count(db, Customer) == 0
    ok = await client.post(
        "/api/customers", json=customer_body("Plain Co", confirm_new=True), headers=admin
    )
    assert ok.status_code == 201


async def test_names_and_tax_ids_are_checked_as_they_will_be_stored(client, db):
    await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    admin = bearer(await login(client, "admin@corp.test"))
    for blank in ("   ", "\u200b", "--"):
        _refused(
            await client.post(
                "/api/customers", json=customer_body(blank, confirm_new=True), headers=rep
            ),
            422,
            "legal_name_required",
        )
    # Upper-casing lengthens: 40 characters of 'ß' become 80 of 'SS'.
    _refused(
        await client.post(
            "/api/customers",
            json=customer_body("Strasse Co", tax_id="ß" * 40, confirm_new=True),
            headers=rep,
        ),
        422,
        "tax_id_too_long",
    )
    csv = ("legal_name,country,tax_id\nK Co,US," + "ß" * 40 + "\n").encode()
    imported = await client.post(
        "/api/imports/customers", content=csv, headers={**admin, "content-type": "text/csv"}
    )
    assert (
        imported.status_code == 422
        and imported.json()["details"]["errors"][0]["column"] == "tax_id"
    ), imported.text
    assert await _count(db, Customer) == 0
    # A 200-character name in a script whose letters decompose keeps its length.
    hangul = await client.post(
        "/api/customers",
        json=customer_body("한국" * 100, contacts=[], confirm_new=True),
        headers=rep,
    )
    assert hangul.status_code == 201, hangul.text[:300]
    found = await client.get("/api/customers", params={"q": "한국한국"}, headers=rep)
    assert [c["id"] for c in found.json()["items"]] == [hangul.json()["id"]]
    created = (
        await client.post(
            "/api/customers", json=customer_body("Real Co", confirm_new=True), headers=rep
        )
    ).json()
    edit = await client.patch(
        f"/api/customers/{created['id']}", json={"base_version": 1, "legal_name": " "}, headers=rep
    )
    _refused(edit, 422, "legal_name_required")


async def test_a_user_needs_a_name(client, db):
    await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    body = {
        "email": "blank@corp.test",
        "full_name": "   ",
        "role": "rep",
        "password": "long enough",
    }
    _refused(await client.post("/api/users", json=body, headers=admin), 422, "full_name_required")


async def test_a_rule_criterion_with_nothing_to_match_is_refused_not_widened_to_the_country(
    client, db
):
    world = await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    before = await _count(db, TerritoryRule)
    for criterion in ("postal_prefix", "postal_exact", "postal_from"):
        response = await client.post(
            "/api/territory-rules",
            headers=admin,
            json={"territory_id": world.north, "country": "US", criterion: "-"},
        )
        _refused(response, 422, "invalid_rule")
    assert await _count(db, TerritoryRule) == before


async def test_a_user_who_holds_territories_keeps_a_role_that_may_hold_them(client, db):
    world = await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    for change in ({"role": "admin"}, {"active": False}):
        response = await client.patch(f"/api/users/{world.rep1.id}", json=change, headers=admin)
        _refused(response, 409, "user_has_assignments")
        assert response.json()["details"]["assignments"] == [
            {"territory": "North", "role": "owner"}
        ]
    # The manager of the region may not become a rep while managing it.
    _refused(
        await client.patch(f"/api/users/{world.manager.id}", json={"role": "rep"}, headers=admin),
        409,
        "user_has_assignments",
    )
    async with db.read() as unit:
        rep1 = await unit.session.get(User, world.rep1.id)
        assert rep1 is not None and rep1.role == "rep" and rep1.active
        held = (
            (
                await unit.session.execute(
                    select(TerritoryAssignment.role).where(
                        TerritoryAssignment.user_id == world.rep1.id
                    )
                )
            )
            .scalars()
            .all()
        )
    assert held == ["owner"]
    # Someone without assignments changes freely.
    assert (
        await client.patch(
            f"/api/users/{world.rep2.id}", json={"full_name": "Rob R."}, headers=admin
        )
    ).status_code == 200


async def test_control_characters_in_names_are_refused_everywhere(client, db):
    world = await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    red = "\x1b[31mRed Co"
    created = (
        await client.post(
            "/api/customers", json=customer_body("Plain Co", confirm_new=True), headers=admin
        )
    ).json()
    refused = [
        await client.post(
            "/api/customers", json=customer_body(red, confirm_new=True), headers=admin
        ),
        await client.post(
            "/api/customers",
            json=customer_body("Fine Co", trading_name="Line\nbreak", confirm_new=True),
            headers=admin,
        ),
        await client.patch(
            f"/api/customers/{created['id']}",
            json={"base_version": 1, "legal_name": red},
            headers=admin,
        ),
        await client.post(
            "/api/products", json={"sku": "RED-1", "name": red, "category_code": "t"}, headers=admin
        ),
        await client.post(
            "/api/territories",
            json={"code": "RED", "name": red, "kind": "territory", "parent_id": world.north},
            headers=admin,
        ),
        await client.post(
            "/api/users",
            json={
                "email": "red@corp.test",
                "full_name": red,
                "role": "rep",
                "password": "long enough",
            },
            headers=admin,
        ),
    ]
    for response in refused:
        _refused(response, 422, "invalid_text")
    csv = ("legal_name,country\n" + red + ",US\n").encode()
    imported = await client.post(
        "/api/imports/customers", content=csv, headers={**admin, "content-type": "text/csv"}
    )
    assert (
        imported.status_code == 422
        and imported.json()["details"]["errors"][0]["code"] == "invalid_text"
    )
    async with db.read() as unit:
        names = (await unit.session.execute(select(Customer.legal_name))).scalars().all()
    assert names == ["Plain Co"]
