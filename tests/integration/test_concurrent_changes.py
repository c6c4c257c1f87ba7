"""Changes made at the same moment end as if they had been made one after the other.

PostgreSQL runs writers side by side, so a check made before a write (a version, a duplicate,
a cycle, an overlap, a token's use) holds only under a lock; SQLite's one writer puts them
in order anyway. Each test overlaps the requests (`asyncio.gather`) for a few rounds and
asserts what serial execution guarantees. Each failed on PostgreSQL in most rounds before
its lock: the customer row, the customer number's counter, the reference data's row, the
refresh token's row.
"""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import func, select, update

from server.db.models import AuditEvent, Customer, Territory, TerritoryAssignment, TerritoryRule
from tests.factories import bearer, customer_body, login, seed_world
from tests.sales_factories import create_customer

ROUNDS = 3


def _today() -> date:
    # Asked when the test runs, not at import: a run may cross midnight UTC.
    return date.today()


async def _heads(client) -> dict[str, dict[str, str]]:
    return {
        w: bearer(await login(client, f"{w}@corp.test"))
        for w in ("admin", "manager", "rep1", "rep2")
    }


async def _setup(client, db):
    world = await seed_world(db)
    return world, await _heads(client)


async def _gather(*coros):
    return await asyncio.gather(*coros)


def _codes(rs) -> list[int]:
    return [r.status_code for r in rs]


async def test_customer_patch_same_base_version_lost_update(client, db):
    """Two PATCHes of the same field against base_version=1. Serially the second is told
    overwritten_by_server and the version ends at 2 with ONE applied change, or both apply and
    version is 3. Concurrently both may be 'applied', two events carry the same version."""
    _, h = await _setup(client, db)
    bad = []
    for i in range(ROUNDS):
        c = await create_customer(client, h["manager"], f"Patch Target {i}")
        url = f"/api/customers/{c['id']}"
        rs = await _gather(
            client.patch(url, json={"base_version": 1, "notes": "from A"}, headers=h["manager"]),
            client.patch(url, json={"base_version": 1, "notes": "from B"}, headers=h["rep1"]),
        )
        assert _codes(rs) == [200, 200], [r.text for r in rs]
        applied = [r.json()["applied"] for r in rs]
        async with db.read() as unit:
            version = await unit.session.scalar(
                select(Customer.version).where(Customer.id == c["id"])
            )
            versions = (
                (
                    await unit.session.execute(
                        select(AuditEvent.data).where(
                            AuditEvent.entity_type == "customer",
                            AuditEvent.entity_id == c["id"],
                            AuditEvent.action == "customer_updated",
                        )
                    )
                )
                .scalars()
                .all()
            )
        vs = sorted(int(d["version"]) for d in versions)
        if applied == [["notes"], ["notes"]] or len(set(vs)) != len(vs) or version != 1 + len(vs):
            bad.append((i, applied, version, vs))
    assert not bad, f"lost update in {len(bad)}/{ROUNDS} rounds: {bad}"


async def test_customer_onboarding_duplicate_check(client, db):
    """Same new customer from two reps at once without confirm_new: serially the second gets
    409 possible_duplicate; concurrently both may be created."""
    _, h = await _setup(client, db)
    bad = []
    for i in range(ROUNDS):
        body = customer_body(f"Twin{i} Bakery", status="active")
        rs = await _gather(
            client.post("/api/customers", json=body, headers=h["rep1"]),
            client.post("/api/customers", json=body, headers=h["manager"]),
        )
        if sorted(_codes(rs)) != [201, 409]:
            bad.append((i, _codes(rs)))
    assert not bad, f"duplicate customers in {len(bad)}/{ROUNDS}: {bad}"


# ---------------------------------------------------------------- territories


async def _new_territories(
    client, h, prefix: str, kind: str, parent_id: str | None = None
) -> list[str]:
    ids = []
    for k in range(2):
        r = await client.post(
            "/api/territories",
            headers=h["admin"],
            json={
                "code": f"{prefix}X{k}",
                "name": f"{prefix}{k}",
                "kind": kind,
                "parent_id": parent_id,
            },
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["territory"]["id"])
    return ids


async def test_make_default_two_territories_at_once(client, db):
    """Two admins each make a different territory the default: exactly one must be default."""
    _, h = await _setup(client, db)
    bad = []
    for i in range(ROUNDS):
        ids = await _new_territories(client, h, f"D{i}", "territory")
        rs = await _gather(
            *(client.post(f"/api/territories/{t}/default", headers=h["admin"]) for t in ids)
        )
        async with db.read() as unit:
            n = await unit.session.scalar(
                select(func.count()).select_from(Territory).where(Territory.is_default.is_(True))
            )
        if n != 1:
            bad.append((i, _codes(rs), n))
    assert not bad, f"several default territories in {len(bad)}/{ROUNDS}: {bad}"


async def test_duplicate_rule_at_once(client, db):
    """Same rule criteria for two territories at once: serially the second is 409 duplicate_rule."""
    world, h = await _setup(client, db)
    bad = []
    for i in range(ROUNDS):
        postal = f"{10000 + i}"
        rs = await _gather(
            client.post(
                "/api/territory-rules",
                headers=h["admin"],
                json={"territory_id": world.north, "country": "US", "postal_exact": postal},
            ),
            client.post(
                "/api/territory-rules",
                headers=h["manager"],
                json={"territory_id": world.south, "country": "US", "postal_exact": postal},
            ),
        )
        async with db.read() as unit:
            n = await unit.session.scalar(
                select(func.count())
                .select_from(TerritoryRule)
                .where(TerritoryRule.postal_exact == postal, TerritoryRule.active.is_(True))
            )
        if n != 1:
            bad.append((i, _codes(rs), n))
    assert not bad, f"duplicate active rules in {len(bad)}/{ROUNDS}: {bad}"


async def test_parent_moves_make_a_cycle(client, db):
    """X moves under Y while Y moves under X: serially the second is refused (cycle)."""
    world, h = await _setup(client, db)
    bad = []
    for i in range(ROUNDS):
        ids = await _new_territories(client, h, f"C{i}", "area", world.region)
        x, y = ids
        rs = await asyncio.wait_for(
            _gather(
                client.patch(f"/api/territories/{x}", headers=h["admin"], json={"parent_id": y}),
                client.patch(f"/api/territories/{y}", headers=h["admin"], json={"parent_id": x}),
            ),
            30,
        )
        async with db.read() as unit:
            parents = dict(
                (
                    await unit.session.execute(
                        select(Territory.id, Territory.parent_id).where(Territory.id.in_(ids))
                    )
                ).all()
            )
        if parents[x] == y and parents[y] == x:
            bad.append((i, _codes(rs)))
            # undo so the app's tree walks do not loop in later rounds

            async with db.write() as uow:
                await uow.session.execute(
                    update(Territory).where(Territory.id.in_(ids)).values(parent_id=world.region)
                )
    assert not bad, f"territory cycle in {len(bad)}/{ROUNDS}: {bad}"


async def _owners_overlap(db, territory_id: str) -> int:
    async with db.read() as unit:
        rows = (
            (
                await unit.session.execute(
                    select(TerritoryAssignment).where(
                        TerritoryAssignment.territory_id == territory_id,
                        TerritoryAssignment.role == "owner",
                    )
                )
            )
            .scalars()
            .all()
        )
    n = 0
    for a in rows:
        for b in rows:
            if (
                a.id < b.id
                and (a.valid_to is None or b.valid_from < a.valid_to)
                and (b.valid_to is None or a.valid_from < b.valid_to)
            ):
                n += 1
    return n


async def test_two_realignments_adding_owners_at_once(client, db):
    """Two drafted realignments each add an owner to the same (ownerless) territory; applied
    at once. Serially the second apply is refused (owner_overlap)."""
    world, h = await _setup(client, db)
    bad = []
    for i in range(ROUNDS):
        r = await client.post(
            "/api/territories",
            headers=h["admin"],
            json={"code": f"R{i}", "name": f"R{i}", "kind": "territory", "parent_id": world.region},
        )
        assert r.status_code == 201, r.text
        t = r.json()["territory"]["id"]
        drafts = []
        for u in (world.rep1, world.rep2):
            d = await client.post(
                "/api/realignments",
                headers=h["admin"],
                json={
                    "effective_on": _today().isoformat(),
                    "changes": {
                        "add_assignments": [
                            {
                                "territory_id": t,
                                "user_id": u.id,
                                "role": "owner",
                                "valid_from": _today().isoformat(),
                            }
                        ]
                    },
                },
            )
            assert d.status_code == 201, d.text
            drafts.append(d.json()["id"])
        rs = await _gather(
            *(client.post(f"/api/realignments/{d}/apply", headers=h["admin"]) for d in drafts)
        )
        if await _owners_overlap(db, t):
            bad.append((i, _codes(rs)))
    assert not bad, f"owner overlap via realignments in {len(bad)}/{ROUNDS}: {bad}"


async def test_realignment_and_direct_assignment_at_once(client, db):
    world, h = await _setup(client, db)
    bad = []
    for i in range(ROUNDS):
        r = await client.post(
            "/api/territories",
            headers=h["admin"],
            json={"code": f"M{i}", "name": f"M{i}", "kind": "territory", "parent_id": world.region},
        )
        assert r.status_code == 201, r.text
        t = r.json()["territory"]["id"]
        d = await client.post(
            "/api/realignments",
            headers=h["admin"],
            json={
                "effective_on": _today().isoformat(),
                "changes": {
                    "add_assignments": [
                        {
                            "territory_id": t,
                            "user_id": world.rep1.id,
                            "role": "owner",
                            "valid_from": _today().isoformat(),
                        }
                    ]
                },
            },
        )
        rs = await _gather(
            client.post(f"/api/realignments/{d.json()['id']}/apply", headers=h["admin"]),
            client.post(
                "/api/territory-assignments",
                headers=h["admin"],
                json={"territory_id": t, "user_id": world.rep2.id, "role": "owner"},
            ),
        )
        if await _owners_overlap(db, t):
            bad.append((i, _codes(rs)))
    assert not bad, f"owner overlap (realignment + direct) in {len(bad)}/{ROUNDS}: {bad}"


async def test_refresh_token_rotated_twice_at_once(client, db):
    """One refresh token presented twice at the same moment (two tabs, or a thief racing the
    owner). Serially the second is refused refresh_reused and the family revoked."""

    await seed_world(db)
    bad = []
    for i in range(ROUNDS):
        tokens = await login(client, "rep1@corp.test")
        rt = tokens["refresh_token"]
        rs = await _gather(
            *(client.post("/api/auth/refresh", json={"refresh_token": rt}) for _ in range(2))
        )
        if _codes(rs) == [200, 200]:
            bad.append((i, _codes(rs)))
    assert not bad, f"one refresh token rotated twice in {len(bad)}/{ROUNDS}: {bad}"


async def test_logout_and_refresh_at_once(client, db):
    """Logout revokes the family; a refresh at the same moment must not leave a live token."""
    await seed_world(db)
    bad = []
    for i in range(ROUNDS):
        tokens = await login(client, "rep1@corp.test")
        rt = tokens["refresh_token"]
        rs = await _gather(
            client.post("/api/auth/refresh", json={"refresh_token": rt}),
            client.post("/api/auth/logout", json={"refresh_token": rt}),
        )
        if rs[0].status_code == 200:
            again = await client.post(
                "/api/auth/refresh", json={"refresh_token": rs[0].json()["refresh_token"]}
            )
            if again.status_code == 200:
                bad.append((i, _codes(rs), again.status_code))
    assert not bad, f"session alive after logout in {len(bad)}/{ROUNDS}: {bad}"


# ---------------------------------------------------------------- ids chosen by the client


async def test_same_new_order_id_twice_at_once_answers_order_id_taken(client, db):
    """The loser of the race is told the id is taken, on SQLite and PostgreSQL alike."""
    import uuid

    from tests.sales_factories import add_product, seed_catalog, set_stock

    _, h = await _setup(client, db)
    catalog = await seed_catalog(db)
    widget = await add_product(db, catalog, "RACE-1", price_cents=1000)
    await set_stock(db, catalog.warehouse_ids[0], widget, 100)
    customer = await create_customer(client, h["manager"], "Race Track Diner")
    for _ in range(ROUNDS):
        body = {
            "id": str(uuid.uuid4()),
            "customer_id": customer["id"],
            "lines": [{"product_id": widget, "quantity": 1}],
        }
        rs = await _gather(
            *(client.post("/api/orders", json=body, headers=h["rep1"]) for _ in range(2))
        )
        assert sorted(_codes(rs)) == [201, 409], [r.text for r in rs]
        assert [r.json()["code"] for r in rs if r.status_code == 409] == ["order_id_taken"]


async def test_same_new_customer_id_twice_at_once_answers_customer_id_taken(client, db):
    import uuid

    _, h = await _setup(client, db)
    for i in range(ROUNDS):
        body = {**customer_body(f"Id Race {i} Deli"), "id": str(uuid.uuid4()), "confirm_new": True}
        rs = await _gather(
            *(client.post("/api/customers", json=body, headers=h["rep1"]) for _ in range(2))
        )
        assert sorted(_codes(rs)) == [201, 409], [r.text for r in rs]
        assert [r.json()["code"] for r in rs if r.status_code == 409] == ["customer_id_taken"]


async def test_same_new_order_id_from_two_phones_at_once_is_taken_for_the_loser(client, db):
    """Two devices push one order id at once: the loser's push answers at once, with the
    mutation rejected as order_id_taken (never a 503 that only its retry resolves)."""
    import uuid

    from sync.client import SyncClient
    from tests.sales_factories import add_product, seed_catalog, set_stock

    _, h = await _setup(client, db)
    catalog = await seed_catalog(db)
    widget = await add_product(db, catalog, "RACE-2", price_cents=1000)
    await set_stock(db, catalog.warehouse_ids[0], widget, 100)
    customer = await create_customer(client, h["manager"], "Two Phone Cafe")
    phones = []
    for _ in range(2):
        phone = SyncClient(http=client, access_token=h["rep1"]["Authorization"].split()[1])
        await phone.register()
        phones.append(phone)
    for _ in range(ROUNDS):
        order_id = str(uuid.uuid4())
        items = [
            p.enqueue(
                "order.place",
                {"customer_id": customer["id"], "lines": [{"product_id": widget, "quantity": 1}]},
                entity_id=order_id,
            )
            for p in phones
        ]
        rs = await _gather(*(p.push() for p in phones))
        assert _codes(rs) == [200, 200], [r.text for r in rs]
        outcomes = sorted((i.outcome["status"], i.outcome.get("code")) for i in items)
        assert outcomes == [("accepted", None), ("rejected", "order_id_taken")], outcomes


async def test_customer_edit_and_realignment_take_their_locks_in_one_order(client, db):
    """A realignment locks the reference data, then the customers it moves. An address edit
    that has to create the catch-all territory writes the reference data too: it must not
    hold the customer row while it waits for it, or the two wait on each other for ever
    (PostgreSQL then aborts one of them as a deadlock)."""
    from sqlalchemy import delete

    from server.features.shared.reference_data import lock_reference_data

    world, h = await _setup(client, db)
    customer = await create_customer(client, h["manager"], "Lock Order Cafe")
    async with db.write() as uow:  # no catch-all yet: the edit below creates it
        await uow.session.execute(delete(Territory).where(Territory.id == world.default))
    moved_to_texas = {
        "base_version": customer["version"],
        "billing_address": {
            "country": "US",
            "state": "TX",
            "postal_code": "73301",
            "city": "Austin",
        },
    }

    async with db.write() as uow:
        await lock_reference_data(uow.session)
        edit = asyncio.create_task(
            client.patch(
                f"/api/customers/{customer['id']}", json=moved_to_texas, headers=h["manager"]
            )
        )
        await asyncio.sleep(0.5)  # the edit is under way and waits for the reference data
        locked = await asyncio.wait_for(
            uow.session.execute(
                select(Customer.id).where(Customer.id == customer["id"]).with_for_update()
            ),
            timeout=10,
        )
        assert locked.scalar_one() == customer["id"]
    answer = await asyncio.wait_for(edit, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["customer"]["territory_reason"] == "default"
