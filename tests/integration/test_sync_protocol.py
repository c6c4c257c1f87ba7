"""Offline sync, protocol v1: exactly once, in order, with outcomes the phone can show."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from sqlalchemy import func, select

from server.app import create_app
from server.db.engine import Database
from server.db.models import Customer
from sync.client import LostResponse, SyncClient
from tests.conftest import api_client
from tests.factories import customer_body, login, seed_world


async def _client(http, email: str) -> SyncClient:
    tokens = await login(http, email)
    client = SyncClient(http=http, access_token=tokens["access_token"])
    await client.register()
    return client


async def _customers(db, name: str | None = None) -> int:
    async with db.read() as unit:
        query = select(func.count()).select_from(Customer)
        if name:
            query = query.where(Customer.legal_name == name)
        return int(await unit.session.scalar(query))


async def test_lost_response_then_retry_applies_once_with_the_same_number(client, db):
    await seed_world(db)
    phone = await _client(client, "rep1@corp.test")
    item = phone.enqueue("customer.create", customer_body("Basement Bakery"))
    phone.lose_next_responses = 1
    try:
        await phone.push()
    except LostResponse:
        pass
    assert item.outcome is None  # the phone never heard back
    response = await phone.push()
    outcome = response.json()["outcomes"][0]
    assert outcome["duplicate"] is True and outcome["status"] == "accepted"
    assert outcome["result"]["number"].startswith("C-")
    assert await _customers(db, "Basement Bakery") == 1


async def test_retry_after_a_server_restart_still_applies_once(backend, db):
    await seed_world(db)
    first_app = create_app(backend.settings(), db)
    async with api_client(first_app) as http:
        phone = await _client(http, "rep1@corp.test")
        phone.enqueue("customer.create", customer_body("Restart Cafe"))
        phone.lose_next_responses = 1
        try:
            await phone.push()
        except LostResponse:
            pass
        number = None
    await db.dispose()
    # A new process: new engine, new app, same database.
    fresh_db = Database(backend.url)
    second_app = create_app(backend.settings(), fresh_db)
    async with api_client(second_app) as http:
        phone.http = http
        response = await phone.push()
        outcome = response.json()["outcomes"][0]
        number = outcome["result"]["number"]
        assert outcome["duplicate"] is True and number.startswith("C-")
    assert await _customers(fresh_db, "Restart Cafe") == 1
    await fresh_db.dispose()


async def test_two_concurrent_identical_pushes_apply_once_without_a_500(client, db):
    await seed_world(db)
    phone = await _client(client, "rep1@corp.test")
    phone.enqueue("customer.create", customer_body("Twice Told Tales"))
    body = {
        "protocol": 1,
        "schema_version": 1,
        "device_id": phone.device_id,
        "mutations": [phone.outbox[0].message()],
    }
    responses = await asyncio.gather(
        *(client.post("/api/sync/v1/push", json=body, headers=phone.headers) for _ in range(2))
    )
    assert [r.status_code for r in responses] == [200, 200]
    flags = sorted(r.json()["outcomes"][0]["duplicate"] for r in responses)
    assert flags == [False, True]
    assert await _customers(db, "Twice Told Tales") == 1


async def test_a_gap_stops_the_batch_and_reports_the_expected_seq(client, db):
    await seed_world(db)
    phone = await _client(client, "rep1@corp.test")
    phone.enqueue("customer.create", customer_body("First One"))
    lost = phone.enqueue("customer.create", customer_body("Second One"))
    phone.enqueue("customer.create", customer_body("Third One"))
    phone.outbox.remove(lost)  # seq 2 never leaves the phone
    response = await phone.push()
    body = response.json()
    assert [o["seq"] for o in body["outcomes"]] == [1]
    assert body["expected_seq"] == 2 and body["last_seq"] == 1
    assert await _customers(db, "Third One") == 0


async def test_a_rejection_mid_batch_is_recorded_and_the_batch_goes_on(client, db):
    await seed_world(db)
    phone = await _client(client, "rep1@corp.test")
    phone.enqueue("customer.create", customer_body("Good Start"))
    phone.enqueue("customer.create", customer_body("Good Start"))  # same name and postal code
    phone.enqueue("customer.create", customer_body("Better End"))
    outcomes = (await phone.push()).json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["accepted", "rejected", "accepted"]
    assert outcomes[1]["code"] == "possible_duplicate" and outcomes[1]["message"]
    assert outcomes[1]["result"]["candidates"][0]["legal_name"] == "Good Start"
    assert await _customers(db) == 2
    replay = (await phone.push()).json()
    assert replay["outcomes"] == []  # nothing pending: every outcome reached the phone


async def test_a_change_that_depends_on_a_rejected_one_is_rejected_as_such(client, db):
    await seed_world(db)
    phone = await _client(client, "rep1@corp.test")
    bad = phone.enqueue("customer.create", customer_body("X", billing_address={"country": "USA"}))
    phone.enqueue(
        "customer.update", {"notes": "call first"}, entity_id=bad.entity_id, base_version=1
    )
    outcomes = (await phone.push()).json()["outcomes"]
    assert outcomes[0]["status"] == "rejected" and outcomes[0]["code"] == "invalid_mutation"
    assert outcomes[1]["status"] == "rejected" and outcomes[1]["code"] == "dependency_rejected"


async def test_offline_edit_merges_fields_and_the_server_wins_on_conflicts(client, db):
    await seed_world(db)
    phone = await _client(client, "rep1@corp.test")
    created = phone.enqueue("customer.create", customer_body("Merge Market"))
    await phone.push()
    manager = await login(client, "manager@corp.test")
    office = await client.patch(
        f"/api/customers/{created.entity_id}",
        json={"base_version": 1, "notes": "Office note"},
        headers={"Authorization": f"Bearer {manager['access_token']}"},
    )
    assert office.status_code == 200
    phone.enqueue(
        "customer.update",
        {"notes": "Phone note", "trading_name": "MM"},
        entity_id=created.entity_id,
        base_version=1,
    )
    outcome = (await phone.push()).json()["outcomes"][0]
    assert outcome["status"] == "accepted"
    assert outcome["result"]["overwritten_by_server"] == ["notes"] and outcome["result"][
        "applied"
    ] == ["trading_name"]


async def test_a_protocol_or_schema_mismatch_is_a_clear_error(client, db):
    await seed_world(db)
    phone = await _client(client, "rep1@corp.test")
    for body, code in [
        ({"protocol": 2, "schema_version": 1}, "protocol_unsupported"),
        ({"protocol": 1, "schema_version": 99}, "schema_unsupported"),
    ]:
        response = await client.post(
            "/api/sync/v1/push",
            headers=phone.headers,
            json={**body, "device_id": phone.device_id, "mutations": []},
        )
        assert response.status_code == 422 and response.json()["code"] == code
    unknown = phone.enqueue("customer.create@7", customer_body("From The Future"))
    outcome = (await phone.push()).json()["outcomes"][0]
    assert outcome["status"] == "rejected" and outcome["code"] == "unknown_mutation_type"
    assert unknown.outcome is not None


async def test_a_revoked_device_is_refused_and_keeps_its_outbox(client, db):
    await seed_world(db)
    phone = await _client(client, "rep1@corp.test")
    revoke = await client.post(
        f"/api/sync/v1/devices/{phone.device_id}/revoke", headers=phone.headers
    )
    assert revoke.status_code == 200
    phone.enqueue("customer.create", customer_body("Never Sent"))
    response = await phone.push()
    assert response.status_code == 403 and response.json()["code"] == "device_revoked"
    assert len(phone.pending) == 1 and await _customers(db) == 0


async def test_another_users_device_is_refused(client, db):
    await seed_world(db)
    phone = await _client(client, "rep1@corp.test")
    thief = await login(client, "rep2@corp.test")
    response = await client.post(
        "/api/sync/v1/push",
        headers={"Authorization": f"Bearer {thief['access_token']}"},
        json={"protocol": 1, "schema_version": 1, "device_id": phone.device_id, "mutations": []},
    )
    assert response.status_code == 404 and response.json()["code"] == "device_unknown"


async def test_pull_snapshot_then_changes_only_what_the_user_may_see(client, db):
    world = await seed_world(db)
    admin = await login(client, "admin@corp.test")
    auth = {"Authorization": f"Bearer {admin['access_token']}"}
    for i in range(7):
        await client.post(
            "/api/customers",
            headers=auth,
            json=customer_body(f"North {i}", status="active", confirm_new=True),
        )
    south = await client.post(
        "/api/customers",
        headers=auth,
        json=customer_body("South One", state="CA", postal="94105", status="active"),
    )
    phone = await _client(client, "rep1@corp.test")
    await phone.pull_all(limit=3)
    names = {c["legal_name"] for c in phone.store["customer"].values()}
    assert names == {f"North {i}" for i in range(7)}
    assert phone.cursor.partition("@")[0].isdigit()

    moved = await client.patch(
        f"/api/customers/{south.json()['id']}",
        headers=auth,
        json={
            "base_version": 1,
            "billing_address": {
                "country": "US",
                "state": "WA",
                "postal_code": "98101",
                "city": "Seattle",
            },
        },
    )
    assert moved.json()["customer"]["territory_id"] == world.north
    north_id = next(i for i, c in phone.store["customer"].items() if c["legal_name"] == "North 0")
    await client.patch(
        f"/api/customers/{north_id}",
        headers=auth,
        json={
            "base_version": 1,
            "billing_address": {
                "country": "US",
                "state": "CA",
                "postal_code": "94105",
                "city": "SF",
            },
        },
    )
    await phone.pull_all(limit=3)
    names = {c["legal_name"] for c in phone.store["customer"].values()}
    assert "South One" in names and "North 0" not in names and len(names) == 7


def _names(phone: SyncClient) -> set[str]:
    return {c["legal_name"] for c in phone.store.get("customer", {}).values()}


async def test_a_phone_follows_its_user_into_a_new_territory_and_out_of_it(client, db):
    # Nothing about the customers changes when a rep is given a territory, or when that
    # ends: the phone must still come to hold exactly what the rep may now see.
    world = await seed_world(db)
    admin = await login(client, "admin@corp.test")
    auth = {"Authorization": f"Bearer {admin['access_token']}"}
    for name, state, postal in [
        ("North A", "WA", "98101"),
        ("North B", "WA", "98102"),
        ("South A", "CA", "94105"),
        ("South B", "CA", "94106"),
    ]:
        created = await client.post(
            "/api/customers",
            headers=auth,
            json=customer_body(name, state=state, postal=postal, status="active", confirm_new=True),
        )
        assert created.status_code == 201, created.text
    phone = await _client(client, "rep1@corp.test")
    await phone.pull_all(limit=2)
    assert _names(phone) == {"North A", "North B"}

    today = date.today()
    assigned = await client.post(
        "/api/territory-assignments",
        headers=auth,
        json={
            "territory_id": world.south,
            "user_id": world.rep1.id,
            "role": "member",
            "valid_from": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert assigned.status_code == 201, assigned.text
    await phone.pull_all(limit=2)
    assert _names(phone) == {"North A", "North B", "South A", "South B"}

    ended = await client.post(
        f"/api/territory-assignments/{assigned.json()['id']}/end",
        headers=auth,
        json={"on": today.isoformat()},
    )
    assert ended.status_code == 200, ended.text
    await phone.pull_all(limit=2)
    assert _names(phone) == {"North A", "North B"}
    fresh = await _client(client, "rep1@corp.test")
    await fresh.pull_all()
    assert {t: set(b) for t, b in phone.store.items() if b} == {
        t: set(b) for t, b in fresh.store.items() if b
    }


async def test_a_pull_with_an_unchanged_view_is_not_a_reset(client, db):
    await seed_world(db)
    admin = await login(client, "admin@corp.test")
    auth = {"Authorization": f"Bearer {admin['access_token']}"}
    phone = await _client(client, "rep1@corp.test")
    await phone.pull_all()
    await client.post(
        "/api/customers",
        headers=auth,
        json=customer_body("North Late", status="active", confirm_new=True),
    )
    for cursor in (
        phone.cursor,
        phone.cursor.partition("@")[0],
    ):  # as given, and as phones held it before
        page = (
            await client.get(
                "/api/sync/v1/pull",
                headers=phone.headers,
                params={"cursor": cursor, "protocol": 1, "schema_version": 1},
            )
        ).json()
        assert page["reset"] is False
        assert [
            c["data"]["legal_name"] for c in page["changes"] if c["entity_type"] == "customer"
        ] == ["North Late"]


async def test_a_bad_cursor_is_a_clear_error(client, db):
    await seed_world(db)
    phone = await _client(client, "rep1@corp.test")
    response = await client.get(
        "/api/sync/v1/pull", params={"cursor": "sx:y"}, headers=phone.headers
    )
    assert response.status_code == 422 and response.json()["code"] == "cursor_invalid"


async def test_outcomes_are_kept_until_acknowledged_and_at_least_30_days(client, db):
    from datetime import timedelta

    from server.db.models import MutationOutcome
    from server.db.types import utcnow
    from sync.retention import prune_outcomes

    await seed_world(db)
    phone = await _client(client, "rep1@corp.test")
    phone.enqueue("customer.create", customer_body("Keep Me"))
    await phone.push()
    assert await prune_outcomes(db, now=utcnow() + timedelta(days=90)) == 0  # not acknowledged yet
    phone.enqueue("customer.create", customer_body("Ack Carrier"))
    await phone.push()  # carries ack_up_to=1
    assert await prune_outcomes(db, now=utcnow() + timedelta(days=29)) == 0  # too young
    assert await prune_outcomes(db, now=utcnow() + timedelta(days=31)) == 1
    async with db.read() as unit:
        remaining = (await unit.session.execute(select(MutationOutcome.seq))).scalars().all()
    assert remaining == [2]
