"""Onboarding, duplicates, versioned edits and who sees which customer."""

from __future__ import annotations

import asyncio
import uuid

import msgspec
import pytest
from sqlalchemy import func, select, text

from server.db.models import AuditEvent, Customer, Territory
from server.features.customers.schemas import CustomerCreateIn
from server.features.customers.services import create_customer
from server.features.shared.scope import load_scope
from server.security.auth import CurrentUser
from tests.factories import bearer, customer_body, login, make_user, seed_world


async def _count(db) -> int:
    async with db.read() as unit:
        return int(await unit.session.scalar(select(func.count()).select_from(Customer)))


async def test_onboarding_assigns_territory_and_owner_automatically(client, db):
    world = await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    created = await client.post(
        "/api/customers", json=customer_body("Harbor View Bistro"), headers=rep
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["number"].startswith("C-")
    assert body["territory_id"] == world.north and body["territory_reason"] == "rule"
    assert body["owner_id"] == world.rep1.id and body["version"] == 1
    south = await client.post(
        "/api/customers",
        json=customer_body("Bay Dental", state="CA", postal="94105", city="San Francisco"),
        headers=rep,
    )
    assert south.json()["territory_id"] == world.south and south.json()["owner_id"] == world.rep2.id


async def test_unmatched_address_goes_to_the_default_territory(client, db):
    world = await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    response = await client.post(
        "/api/customers",
        json=customer_body("Lone Star Supply", state="TX", postal="73301", city="Austin"),
        headers=admin,
    )
    assert (
        response.json()["territory_id"] == world.default
        and response.json()["territory_reason"] == "default"
    )
    assert response.json()["owner_id"] is None


async def test_explicit_territory_wins_over_rules_and_reps_may_not_set_it(client, db):
    world = await seed_world(db)
    manager = bearer(await login(client, "manager@corp.test"))
    rep = bearer(await login(client, "rep1@corp.test"))
    body = customer_body("Pike Place Goods", explicit_territory_id=world.south)
    refused = await client.post("/api/customers", json=body, headers=rep)
    assert refused.status_code == 403 and refused.json()["code"] == "field_not_allowed"
    accepted = await client.post("/api/customers", json=body, headers=manager)
    assert (
        accepted.json()["territory_id"] == world.south
        and accepted.json()["territory_reason"] == "explicit"
    )


async def test_likely_duplicates_answer_409_with_candidates_until_confirmed(client, db):
    await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    first = await client.post(
        "/api/customers",
        json=customer_body(
            "Cascade Dental Group LLC",
            tax_id="12-3456789",
            contacts=[
                {"name": "Pat Buyer", "email": "pat@cascade.test", "phone": "+1 206 555 0100"}
            ],
        ),
        headers=rep,
    )
    assert first.status_code == 201
    cases = {
        "tax_id": customer_body("Totally Different Name", tax_id="12 345 6789", contacts=[]),
        "email": customer_body(
            "Another Name", contacts=[{"name": "X", "email": "PAT@cascade.test"}]
        ),
        "phone": customer_body(
            "Third Name", contacts=[{"name": "Y", "phone": "+1 (206) 555-0100"}]
        ),
        "name_and_postal_code": customer_body("Cascade Dental Group, Inc.", contacts=[]),
    }
    for reason, body in cases.items():
        response = await client.post("/api/customers", json=body, headers=rep)
        assert response.status_code == 409, reason
        problem = response.json()
        assert problem["code"] == "possible_duplicate"
        candidate = problem["details"]["candidates"][0]
        assert reason in candidate["reasons"] and candidate["id"] == first.json()["id"]
    assert await _count(db) == 1
    confirmed = await client.post(
        "/api/customers", json={**cases["tax_id"], "confirm_new": True}, headers=rep
    )
    assert confirmed.status_code == 201 and await _count(db) == 2


async def test_duplicate_outside_scope_is_reported_without_details(client, db):
    await seed_world(db)
    rep1 = bearer(await login(client, "rep1@corp.test"))
    rep2 = bearer(await login(client, "rep2@corp.test"))
    await client.post(
        "/api/customers",
        json=customer_body("Secret Account", tax_id="99-0000001", status="active"),
        headers=rep1,
    )
    response = await client.post(
        "/api/customers",
        json=customer_body("Secret Account", state="CA", postal="94105", tax_id="99-0000001"),
        headers=rep2,
    )
    assert response.status_code == 409
    candidate = response.json()["details"]["candidates"][0]
    assert candidate["id"] is None and candidate["legal_name"] is None


async def test_bad_input_is_refused_and_nothing_is_written(client, db):
    await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    bad_bodies = [
        {"legal_name": "", "billing_address": {"country": "US"}},
        customer_body("X", contacts=[{"name": "A", "email": "not-an-email"}]),
        customer_body("X", billing_address={"country": "USA"}),
        customer_body("X", favourite_colour="blue"),
        customer_body("X", status="vip"),
    ]
    for body in bad_bodies:
        response = await client.post("/api/customers", json=body, headers=rep)
        assert 400 <= response.status_code < 500 and response.json()["code"], body
    assert await _count(db) == 0


async def test_client_generated_id_is_kept_and_cannot_be_reused(client, db):
    await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    customer_id = str(uuid.uuid4())
    first = await client.post(
        "/api/customers", json=customer_body("Offline Cafe", id=customer_id), headers=rep
    )
    assert first.status_code == 201 and first.json()["id"] == customer_id
    again = await client.post(
        "/api/customers",
        json=customer_body("Other Cafe", id=customer_id, confirm_new=True),
        headers=rep,
    )
    assert again.status_code == 409 and again.json()["code"] == "customer_id_taken"


async def test_edits_bump_the_version_and_record_changed_fields(client, db):
    await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    created = (
        await client.post("/api/customers", json=customer_body("Harbor View Bistro"), headers=rep)
    ).json()
    response = await client.patch(
        f"/api/customers/{created['id']}",
        json={"base_version": 1, "notes": "Delivery before 9", "trading_name": "Harbor View"},
        headers=rep,
    )
    assert response.status_code == 200
    assert (
        response.json()["customer"]["version"] == 2
        and response.json()["overwritten_by_server"] == []
    )
    async with db.read() as unit:
        events = (
            (
                await unit.session.execute(
                    select(AuditEvent).where(
                        AuditEvent.entity_id == created["id"],
                        AuditEvent.action == "customer_updated",
                    )
                )
            )
            .scalars()
            .all()
        )
    assert events[0].data["changes"]["notes"] == ["", "Delivery before 9"]
    history = await client.get(f"/api/customers/{created['id']}/history", headers=rep)
    assert [e["action"] for e in history.json()] == ["customer_created", "customer_updated"]


async def test_stale_edit_merges_untouched_fields_and_the_server_wins_on_changed_ones(client, db):
    await seed_world(db)
    rep = bearer(await login(client, "rep1@corp.test"))
    manager = bearer(await login(client, "manager@corp.test"))
    created = (
        await client.post("/api/customers", json=customer_body("Harbor View Bistro"), headers=rep)
    ).json()
    url = f"/api/customers/{created['id']}"
    await client.patch(url, json={"base_version": 1, "notes": "From the office"}, headers=manager)
    stale = await client.patch(
        url, json={"base_version": 1, "notes": "From the phone", "trading_name": "HVB"}, headers=rep
    )
    assert stale.status_code == 200
    out = stale.json()
    assert out["overwritten_by_server"] == ["notes"] and out["applied"] == ["trading_name"]
    assert (
        out["customer"]["notes"] == "From the office" and out["customer"]["trading_name"] == "HVB"
    )
    assert out["customer"]["version"] == 3


async def test_address_change_moves_the_customer_to_the_matching_territory(client, db):
    world = await seed_world(db)
    manager = bearer(await login(client, "manager@corp.test"))
    created = (
        await client.post("/api/customers", json=customer_body("Moving Co"), headers=manager)
    ).json()
    moved = await client.patch(
        f"/api/customers/{created['id']}",
        headers=manager,
        json={
            "base_version": 1,
            "billing_address": {
                "country": "US",
                "state": "CA",
                "city": "San Jose",
                "postal_code": "95112",
            },
        },
    )
    assert moved.json()["customer"]["territory_id"] == world.south
    assert moved.json()["customer"]["owner_id"] == world.rep2.id


async def test_scoped_visibility_matrix(client, db):
    world = await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    tokens = {
        who: bearer(await login(client, f"{who}@corp.test")) for who in ("rep1", "rep2", "manager")
    }
    made = {}
    for key, body in {
        "north": customer_body("North Active", status="active"),
        "south": customer_body("South Active", state="CA", postal="94105", status="active"),
        "east": customer_body("East Active", state="MA", postal="02108", status="active"),
    }.items():
        made[key] = (await client.post("/api/customers", json=body, headers=admin)).json()["id"]
    # rep2 onboards a prospect in rep1's territory: rep2 still sees it (they created it).
    made["prospect"] = (
        await client.post(
            "/api/customers", json=customer_body("Rob's Lead"), headers=tokens["rep2"]
        )
    ).json()["id"]
    expected = {
        "rep1": {"north", "prospect"},
        "rep2": {"south", "prospect"},
        "manager": {"north", "south", "prospect"},
    }
    for who, visible in expected.items():
        listed = (
            await client.get("/api/customers", params={"limit": 200}, headers=tokens[who])
        ).json()
        assert {made[k] for k in visible} == {c["id"] for c in listed["items"]}, who
        assert listed["total"] == len(visible)
        for key, customer_id in made.items():
            status = (
                await client.get(f"/api/customers/{customer_id}", headers=tokens[who])
            ).status_code
            assert status == (200 if key in visible else 404), (who, key)
        # A search never widens the scope: "active" is in three names, each sees theirs.
        found = (
            await client.get("/api/customers", params={"q": "active"}, headers=tokens[who])
        ).json()
        assert {c["id"] for c in found["items"]} == {made[k] for k in visible - {"prospect"}}
        assert found["total"] == len(visible - {"prospect"}), who
        # Filters never widen the scope.
        leaked = await client.get(
            "/api/customers", params={"territory_id": world.other, "q": "East"}, headers=tokens[who]
        )
        assert leaked.json()["items"] == []
    all_rows = (await client.get("/api/customers", headers=admin)).json()
    assert all_rows["total"] == 4


async def test_search_by_name_tax_id_city_postal_code_and_contact_with_paging(client, db):
    await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    await client.post(
        "/api/customers",
        json=customer_body(
            "Evergreen Market",
            tax_id="55-1234567",
            contacts=[{"name": "Jordan Lee", "email": "jordan@evergreen.test"}],
        ),
        headers=admin,
    )
    await client.post(
        "/api/customers",
        json=customer_body("Bay Dental", state="CA", postal="94105", city="San Francisco"),
        headers=admin,
    )
    for q, name in [
        ("evergreen", "Evergreen Market"),
        ("551234567", "Evergreen Market"),
        ("san fran", "Bay Dental"),
        ("94105", "Bay Dental"),
        ("jordan", "Evergreen Market"),
        ("jordan@evergreen.test", "Evergreen Market"),
    ]:
        found = (await client.get("/api/customers", params={"q": q}, headers=admin)).json()
        assert [c["legal_name"] for c in found["items"]] == [name], q
    paged = (
        await client.get(
            "/api/customers", params={"limit": 1, "offset": 1, "sort": "name"}, headers=admin
        )
    ).json()
    assert paged["total"] == 2 and [c["legal_name"] for c in paged["items"]] == ["Evergreen Market"]
    assert (
        await client.get("/api/customers", params={"limit": 0}, headers=admin)
    ).status_code == 400


async def test_unknown_price_list_or_territory_is_refused_with_a_reason_and_writes_nothing(
    client, db
):
    world = await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    unknown = "00000000-0000-7000-8000-000000000000"
    for field, code in (
        ("price_list_id", "price_list_not_found"),
        ("explicit_territory_id", "territory_not_found"),
    ):
        response = await client.post(
            "/api/customers", json=customer_body("Ghost Traders", **{field: unknown}), headers=admin
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == code
    assert await _count(db) == 0
    created = (
        await client.post("/api/customers", json=customer_body("Real Traders"), headers=admin)
    ).json()
    response = await client.patch(
        f"/api/customers/{created['id']}",
        headers=admin,
        json={"base_version": 1, "explicit_territory_id": unknown},
    )
    assert response.status_code == 422 and response.json()["code"] == "territory_not_found"
    again = (await client.get(f"/api/customers/{created['id']}", headers=admin)).json()
    assert again["version"] == 1 and again["territory_id"] == world.north


async def test_a_rolled_back_first_onboarding_leaves_no_default_territory_behind(client, db):
    # A fresh install has no catch-all territory: the first unmatched customer creates it.
    # When the transaction that onboarded that customer fails later on, the territory is
    # rolled back with it, and the next unmatched customer must get one that exists.
    user = await make_user(db, role="admin", email="admin@corp.test")
    current = CurrentUser(id=user.id, email=user.email, full_name=user.full_name, role="admin")
    body = msgspec.convert(
        customer_body("First Light Co", state="TX", postal="73301"), CustomerCreateIn
    )
    with pytest.raises(RuntimeError):
        async with db.write() as uow:
            scope = await load_scope(uow.session, current)
            _, reason = await create_customer(uow, current, scope, body)
            assert reason == "default"
            raise RuntimeError("a later step of the same transaction failed")
    admin = bearer(await login(client, "admin@corp.test"))
    later = await client.post(
        "/api/customers",
        json=customer_body("Second Light Co", state="TX", postal="73301"),
        headers=admin,
    )
    assert later.status_code == 201, later.text
    assert later.json()["territory_reason"] == "default"
    async with db.read() as unit:
        stored = (
            (await unit.session.execute(select(Territory.id).where(Territory.is_default.is_(True))))
            .scalars()
            .all()
        )
    assert stored == [later.json()["territory_id"]]


async def test_two_first_onboardings_at_once_share_one_catch_all_territory(client, db):
    # A fresh install: the first unmatched customers create the catch-all territory. Two at
    # the same moment (PostgreSQL runs them side by side) both succeed, in the same one.
    await make_user(db, role="admin", email="admin@corp.test")
    admin = bearer(await login(client, "admin@corp.test"))
    bodies = [
        customer_body(name, state="TX", postal="73301", city="Austin")
        for name in ("Lone Star Supply", "Alamo Tools")
    ]
    responses = await asyncio.gather(
        *(client.post("/api/customers", json=b, headers=admin) for b in bodies)
    )
    assert [r.status_code for r in responses] == [201, 201], [r.text[:200] for r in responses]
    assert len({r.json()["territory_id"] for r in responses}) == 1
    async with db.read() as unit:
        defaults = (
            (await unit.session.execute(select(Territory.id).where(Territory.is_default.is_(True))))
            .scalars()
            .all()
        )
    assert defaults == [responses[0].json()["territory_id"]]


async def _found(client, headers, q: str) -> list[str]:
    answer = await client.get("/api/customers", params={"q": q, "limit": 200}, headers=headers)
    assert answer.status_code == 200, answer.text
    return [c["legal_name"] for c in answer.json()["items"]]


async def test_search_matches_digits_to_phone_numbers_only_when_the_query_is_one(client, db):
    await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    for name, phone in [
        ("Corner Store", "+1 206 555 0105"),
        ("Harbor Bistro", "+1 206 555 7115"),
        ("7-Eleven", "+1 253 555 0199"),
        ("Pine Bakery", "+1 425 555 5555"),
    ]:
        made = await client.post(
            "/api/customers",
            headers=admin,
            json=customer_body(
                name, contacts=[{"name": "Pat Buyer", "phone": phone}], confirm_new=True
            ),
        )
        assert made.status_code == 201, made.text
    assert await _found(client, admin, "Corner Store 5 xyz") == []
    assert await _found(client, admin, "zzz 5") == []
    assert await _found(client, admin, "7-Eleven") == ["7-Eleven"]
    assert await _found(client, admin, "corner store 5") == []
    assert await _found(client, admin, "(206) 555-0105") == ["Corner Store"]
    assert await _found(client, admin, "+1 206 555") == ["Corner Store", "Harbor Bistro"]


async def test_search_ranks_exact_numbers_then_name_prefixes_then_words(client, db):
    await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    bodies = [
        customer_body("Acme Corner Supplies", tax_id="55-1234567-89", contacts=[]),
        customer_body("Corner Store", tax_id="55-1234567", contacts=[]),
        customer_body(
            "Able Hardware", contacts=[{"name": "Pat Corner", "phone": "+1 206 555 0101"}]
        ),
        customer_body("Zed Corner Market", contacts=[{"name": "Zoe", "phone": "+1 206 555 0100"}]),
    ]
    numbers = []
    for body in bodies:
        made = await client.post(
            "/api/customers", headers=admin, json={**body, "confirm_new": True}
        )
        assert made.status_code == 201, made.text
        numbers.append(made.json()["number"])
    assert await _found(client, admin, "corner") == [
        "Corner Store",
        "Able Hardware",
        "Acme Corner Supplies",
        "Zed Corner Market",
    ]
    assert (await _found(client, admin, "551234567"))[0] == "Corner Store"
    assert (await _found(client, admin, "206 555 0100"))[0] == "Zed Corner Market"
    assert await _found(client, admin, numbers[3].lower()) == ["Zed Corner Market"]


async def test_search_text_matches_percent_and_underscore_literally_and_is_bounded(client, db):
    await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    for name in ("Harbor 50% Outlet", "Plain_Name Goods", "Other Shop"):
        made = await client.post(
            "/api/customers", headers=admin, json=customer_body(name, contacts=[], confirm_new=True)
        )
        assert made.status_code == 201, made.text
    assert await _found(client, admin, "%") == ["Harbor 50% Outlet"]
    assert await _found(client, admin, "_") == ["Plain_Name Goods"]
    assert await _found(client, admin, "50%") == ["Harbor 50% Outlet"]
    assert await _found(client, admin, "\\") == []
    assert len(await _found(client, admin, "x" * 200)) == 0
    for q in ("x" * 201, "x" * 50_001):
        refused = await client.get("/api/customers", params={"q": q}, headers=admin)
        assert refused.status_code == 422, refused.text[:300]
        assert refused.json()["code"] == "search_too_long" and "200" in refused.json()["detail"]


async def test_search_follows_an_edit_and_reads_the_search_index(client, db, backend):
    await seed_world(db)
    admin = bearer(await login(client, "admin@corp.test"))
    created = (
        await client.post(
            "/api/customers",
            json=customer_body("Haus Müller", city="Tacoma", postal="98402"),
            headers=admin,
        )
    ).json()

    async def names(q: str) -> list[str]:
        found = await client.get("/api/customers", params={"q": q}, headers=admin)
        assert found.status_code == 200, found.text
        return [c["legal_name"] for c in found.json()["items"]]

    assert await names("muller") == ["Haus Müller"]
    assert await names("MÜL tacoma") == ["Haus Müller"]
    assert await names("mü") == ["Haus Müller"]  # shorter than a trigram
    edited = await client.patch(
        f"/api/customers/{created['id']}",
        json={
            "base_version": 1,
            "legal_name": "Brightwater Provisions",
            "billing_address": {
                "country": "US",
                "state": "WA",
                "city": "Spokane",
                "postal_code": "99201",
                "street": "2 Main St",
            },
        },
        headers=admin,
    )
    assert edited.status_code == 200, edited.text
    assert await names("brightwater spokane") == ["Brightwater Provisions"]
    assert await names("muller") == []
    assert await names("99201") == ["Brightwater Provisions"]
    async with db.read() as unit:
        if backend.name == "sqlite":
            # The words are looked up in the FTS5 trigram index, not by scanning customers.
            plan = await unit.session.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT rowid FROM customer_search"
                    " WHERE customer_search MATCH '\"brightwater\"'"
                )
            )
            assert any("VIRTUAL TABLE INDEX" in str(row[-1]) for row in plan)
            indexed = await unit.session.scalar(
                text(
                    "SELECT count(*) FROM customer_search WHERE customer_search MATCH '\"spokane\"'"
                )
            )
        else:
            indexed = await unit.session.scalar(
                text(
                    "SELECT count(*) FROM pg_indexes"
                    " WHERE indexname = 'ix_customers_search_document'"
                )
            )
    assert indexed == 1
