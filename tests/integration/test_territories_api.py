"""Territories over HTTP: the tree, rules, effective-dated assignments, scope, realignment."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import func, insert, select

from server.db.engine import Database
from server.db.models import (
    AuditEvent,
    Customer,
    CustomerAddress,
    Realignment,
    Territory,
    TerritoryAssignment,
    TerritoryRule,
)
from server.db.types import new_id, utcnow
from tests.factories import bearer, login, make_user


def _today() -> date:
    # Asked when the test runs, not at import: a run may cross midnight UTC.
    return date.today()


def _since() -> date:
    return _today() - timedelta(days=30)


@dataclass
class World:
    admin: dict[str, str]
    manager: dict[str, str]
    east_manager: dict[str, str]
    rep1: dict[str, str]
    rep2: dict[str, str]
    ids: dict[str, str]


async def _ok(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def build_world(client: httpx.AsyncClient, db: Database) -> World:
    """WEST (region, managed by Max) -> NORTH (Rita owns), SOUTH (Rob owns); EAST (region,
    managed by Mia); UNASSIGNED (the default). Built through the API, like a manager would."""
    users = {
        "admin": await make_user(db, role="admin", email="admin@t.test", name="Ada Admin"),
        "manager": await make_user(db, role="manager", email="max@t.test", name="Max Manager"),
        "east_manager": await make_user(db, role="manager", email="mia@t.test", name="Mia Manager"),
        "rep1": await make_user(db, role="rep", email="rita@t.test", name="Rita Rep"),
        "rep2": await make_user(db, role="rep", email="rob@t.test", name="Rob Rep"),
    }
    tokens = {k: bearer(await login(client, u.email)) for k, u in users.items()}
    admin, max_ = tokens["admin"], tokens["manager"]
    ids = {f"user_{k}": u.id for k, u in users.items()}

    async def territory(
        headers: dict[str, str], code: str, kind: str, parent: str | None = None
    ) -> str:
        body = {"code": code, "name": code.title(), "kind": kind, "parent_id": parent}
        created = await _ok(await client.post("/api/territories", json=body, headers=headers))
        return str(created["territory"]["id"])

    ids["west"] = await territory(admin, "WEST", "region")
    ids["east"] = await territory(admin, "EAST", "region")
    ids["default"] = await territory(admin, "UNASSIGNED", "territory")
    await _ok(await client.post(f"/api/territories/{ids['default']}/default", headers=admin), 200)
    for region, manager in (("west", "manager"), ("east", "east_manager")):
        await _ok(
            await client.post(
                "/api/territory-assignments",
                headers=admin,
                json={
                    "territory_id": ids[region],
                    "user_id": ids[f"user_{manager}"],
                    "role": "manager",
                    "valid_from": _since().isoformat(),
                },
            )
        )
    ids["north"] = await territory(max_, "NORTH", "territory", ids["west"])
    ids["south"] = await territory(max_, "SOUTH", "territory", ids["west"])
    rules = [
        (max_, {"territory_id": ids["north"], "country": "US", "state": "WA"}),
        (
            max_,
            {
                "territory_id": ids["south"],
                "country": "US",
                "postal_from": "94000",
                "postal_to": "95199",
            },
        ),
        (admin, {"territory_id": ids["east"], "country": "US", "state": "MA"}),
    ]
    for headers, rule in rules:
        await _ok(await client.post("/api/territory-rules", json=rule, headers=headers))
    for territory_id, rep in ((ids["north"], "rep1"), (ids["south"], "rep2")):
        created = await _ok(
            await client.post(
                "/api/territory-assignments",
                headers=max_,
                json={
                    "territory_id": territory_id,
                    "user_id": ids[f"user_{rep}"],
                    "role": "owner",
                    "valid_from": _since().isoformat(),
                },
            )
        )
        ids[f"{rep}_assignment"] = created["id"]
    return World(
        admin=admin,
        manager=max_,
        east_manager=tokens["east_manager"],
        rep1=tokens["rep1"],
        rep2=tokens["rep2"],
        ids=ids,
    )


async def add_customer(
    db: Database,
    name: str,
    *,
    state: str,
    postal: str,
    territory_id: str,
    owner_id: str | None,
    explicit_territory_id: str | None = None,
) -> str:
    """Customers go straight into the tables: this test must not depend on the customers API."""
    customer_id = new_id()
    async with db.write() as uow:
        count = await uow.session.scalar(select(func.count()).select_from(Customer))
        await uow.session.execute(
            insert(Customer).values(
                id=customer_id,
                number=f"C-{int(count or 0) + 1:06d}",
                legal_name=name,
                search_name=name.lower(),
                territory_id=territory_id,
                owner_id=owner_id,
                explicit_territory_id=explicit_territory_id,
                version=1,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        await uow.session.execute(
            insert(CustomerAddress).values(
                id=new_id(),
                customer_id=customer_id,
                kind="billing",
                is_default=True,
                country="US",
                state=state,
                postal_code=postal,
                city="Town",
            )
        )
    return customer_id


async def add_customers(db: Database, w: World) -> dict[str, str]:
    ids = w.ids
    return {
        "acme": await add_customer(
            db,
            "Acme Seattle",
            state="WA",
            postal="98101",
            territory_id=ids["north"],
            owner_id=ids["user_rep1"],
        ),
        "bay": await add_customer(
            db,
            "Bay Foods",
            state="CA",
            postal="94105",
            territory_id=ids["south"],
            owner_id=ids["user_rep2"],
        ),
        "lone": await add_customer(
            db,
            "Lone Star Supply",
            state="TX",
            postal="75001",
            territory_id=ids["default"],
            owner_id=None,
        ),
        "harbor": await add_customer(
            db, "Harbor Boston", state="MA", postal="02110", territory_id=ids["east"], owner_id=None
        ),
        # An explicit assignment beats the WA rule, in every realignment.
        "pinned": await add_customer(
            db,
            "Pinned Goods",
            state="WA",
            postal="98102",
            territory_id=ids["south"],
            owner_id=ids["user_rep2"],
            explicit_territory_id=ids["south"],
        ),
    }


async def _counts(db: Database) -> tuple[int, ...]:
    async with db.read() as unit:
        return tuple(
            [
                int(await unit.session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (
                    Territory,
                    TerritoryRule,
                    TerritoryAssignment,
                    Realignment,
                    AuditEvent,
                )
            ]
        )


async def _placement(db: Database, customer_id: str) -> tuple[str, str | None, int]:
    async with db.read() as unit:
        c = await unit.session.get(Customer, customer_id)
        assert c is not None
        return c.territory_id, c.owner_id, c.version


# --- the tree and dated owners ------------------------------------------------------------


async def test_tree_lists_the_callers_territories_with_owners_depth_first(client, db):
    w = await build_world(client, db)
    tree = await _ok(await client.get("/api/territories", headers=w.manager), 200)
    assert [(t["code"], t["depth"]) for t in tree["territories"]] == [
        ("WEST", 0),
        ("NORTH", 1),
        ("SOUTH", 1),
    ]
    north = tree["territories"][1]
    assert (
        north["owner"]["full_name"] == "Rita Rep"
        and north["managers"][0]["full_name"] == "Max Manager"
    )
    everything = await _ok(await client.get("/api/territories", headers=w.admin), 200)
    assert {t["code"] for t in everything["territories"]} == {
        "WEST",
        "NORTH",
        "SOUTH",
        "EAST",
        "UNASSIGNED",
    }
    assert everything["default_territory_id"] == w.ids["default"]


async def test_owner_on_a_date_follows_a_handover(client, db):
    w = await build_world(client, db)
    central = (
        await _ok(
            await client.post(
                "/api/territories",
                headers=w.manager,
                json={
                    "code": "CENTRAL",
                    "name": "Central",
                    "kind": "territory",
                    "parent_id": w.ids["west"],
                },
            )
        )
    )["territory"]["id"]
    for user, start, end in (
        ("user_rep1", "2026-01-01", "2026-03-01"),
        ("user_rep2", "2026-03-01", None),
    ):
        await _ok(
            await client.post(
                "/api/territory-assignments",
                headers=w.manager,
                json={
                    "territory_id": central,
                    "user_id": w.ids[user],
                    "role": "owner",
                    "valid_from": start,
                    "valid_to": end,
                },
            )
        )

    async def owner(on: str) -> str | None:
        body = await _ok(
            await client.get(
                f"/api/territories/{central}/owner", params={"on": on}, headers=w.manager
            ),
            200,
        )
        assert body["on"] == on
        return body["owner"]["full_name"] if body["owner"] else None

    assert await owner("2025-12-31") is None
    assert await owner("2026-02-28") == "Rita Rep"
    assert (
        await owner("2026-03-01") == "Rob Rep"
    )  # valid_to is exclusive: the handover day is Rob's
    assert await owner("2030-01-01") == "Rob Rep"


# --- scope and roles ----------------------------------------------------------------------


async def test_manager_cannot_touch_a_territory_outside_their_subtree(client, db):
    w = await build_world(client, db)
    east, missing = w.ids["east"], new_id()
    before = await _counts(db)
    answers = [
        await client.get(f"/api/territories/{east}", headers=w.manager),
        await client.get(f"/api/territories/{east}/owner", headers=w.manager),
        await client.post(
            "/api/territories",
            headers=w.manager,
            json={"code": "E1", "name": "E1", "kind": "area", "parent_id": east},
        ),
        await client.post(
            "/api/territory-rules",
            headers=w.manager,
            json={"territory_id": east, "country": "US", "state": "NH"},
        ),
        await client.post(
            "/api/territory-assignments",
            headers=w.manager,
            json={"territory_id": east, "user_id": w.ids["user_rep1"], "role": "member"},
        ),
        await client.patch(
            f"/api/territories/{w.ids['north']}", headers=w.manager, json={"parent_id": east}
        ),
    ]
    assert [a.status_code for a in answers] == [404] * len(answers), [a.text for a in answers]
    not_there = await client.get(f"/api/territories/{missing}", headers=w.manager)
    assert answers[0].json()["code"] == not_there.json()["code"] == "not_found"
    assert await _counts(db) == before
    east_rules = await _ok(
        await client.get("/api/territory-rules", params={"territory_id": east}, headers=w.admin),
        200,
    )
    gone = await client.delete(f"/api/territory-rules/{east_rules[0]['id']}", headers=w.manager)
    assert gone.status_code == 404


async def test_rep_reads_own_territories_and_is_refused_on_writes(client, db):
    w = await build_world(client, db)
    tree = await _ok(await client.get("/api/territories", headers=w.rep1), 200)
    assert [t["code"] for t in tree["territories"]] == ["NORTH"] and tree[
        "unassigned_count"
    ] is None
    assert (
        await client.get(f"/api/territories/{w.ids['south']}", headers=w.rep1)
    ).status_code == 404
    before = await _counts(db)
    writes = [
        await client.post(
            "/api/territories",
            headers=w.rep1,
            json={"code": "X", "name": "X", "kind": "area", "parent_id": w.ids["north"]},
        ),
        await client.post(
            "/api/territory-rules",
            headers=w.rep1,
            json={"territory_id": w.ids["north"], "country": "US", "state": "OR"},
        ),
        await client.post(
            "/api/territory-assignments",
            headers=w.rep1,
            json={"territory_id": w.ids["north"], "user_id": w.ids["user_rep2"], "role": "member"},
        ),
        await client.post(
            f"/api/territory-assignments/{w.ids['rep1_assignment']}/end",
            headers=w.rep1,
            json={"on": _today().isoformat()},
        ),
        await client.post(
            "/api/realignments",
            headers=w.rep1,
            json={"effective_on": _today().isoformat(), "changes": {}},
        ),
        await client.get("/api/territories/unassigned", headers=w.rep1),
    ]
    assert [r.status_code for r in writes] == [403] * len(writes)
    assert {r.json()["code"] for r in writes} == {"forbidden"}
    assert await _counts(db) == before


# --- assignments --------------------------------------------------------------------------


async def test_overlapping_owner_assignment_is_refused_and_nothing_is_written(client, db):
    w = await build_world(client, db)
    before = await _counts(db)
    clash = await client.post(
        "/api/territory-assignments",
        headers=w.manager,
        json={
            "territory_id": w.ids["north"],
            "user_id": w.ids["user_rep2"],
            "role": "owner",
            "valid_from": (_today() + timedelta(days=5)).isoformat(),
        },
    )
    assert clash.status_code == 409 and clash.json()["code"] == "owner_overlap"
    assert clash.json()["details"]["assignment_id"] == w.ids["rep1_assignment"]
    assert await _counts(db) == before
    # A member may overlap the owner: only ownership is exclusive.
    member = await client.post(
        "/api/territory-assignments",
        headers=w.manager,
        json={"territory_id": w.ids["north"], "user_id": w.ids["user_rep2"], "role": "member"},
    )
    assert member.status_code == 201


async def test_ended_assignment_and_deactivated_rule_stay_as_history(client, db):
    w = await build_world(client, db)
    ended = await _ok(
        await client.post(
            f"/api/territory-assignments/{w.ids['rep1_assignment']}/end",
            headers=w.manager,
            json={"on": _today().isoformat()},
        ),
        200,
    )
    assert ended["valid_to"] == _today().isoformat() and ended["active"] is False
    again = await client.post(
        f"/api/territory-assignments/{w.ids['rep1_assignment']}/end",
        headers=w.manager,
        json={"on": _today().isoformat()},
    )
    assert again.status_code == 409 and again.json()["code"] == "assignment_already_ended"
    listed = await _ok(
        await client.get(
            "/api/territory-assignments", params={"territory_id": w.ids["north"]}, headers=w.manager
        ),
        200,
    )
    assert [(a["user"]["full_name"], a["valid_from"], a["valid_to"]) for a in listed] == [
        ("Rita Rep", _since().isoformat(), _today().isoformat())
    ]
    in_force = await _ok(
        await client.get(
            "/api/territory-assignments",
            params={"territory_id": w.ids["north"], "on": _today().isoformat()},
            headers=w.manager,
        ),
        200,
    )
    assert in_force == []

    rules = await _ok(
        await client.get(
            "/api/territory-rules", params={"territory_id": w.ids["north"]}, headers=w.manager
        ),
        200,
    )
    gone = await _ok(
        await client.delete(f"/api/territory-rules/{rules[0]['id']}", headers=w.manager), 200
    )
    assert gone["active"] is False
    assert (
        await _ok(
            await client.get(
                "/api/territory-rules", params={"territory_id": w.ids["north"]}, headers=w.manager
            ),
            200,
        )
        == []
    )
    history = await _ok(
        await client.get(
            "/api/territory-rules",
            params={"territory_id": w.ids["north"], "include_inactive": "true"},
            headers=w.manager,
        ),
        200,
    )
    assert [r["id"] for r in history] == [rules[0]["id"]]
    async with db.read() as unit:
        actions = set((await unit.session.execute(select(AuditEvent.action))).scalars())
    assert {"territory_assignment_ended", "territory_rule_deactivated"} <= actions


# --- unassigned ---------------------------------------------------------------------------


async def test_unassigned_list_shows_default_territory_customers_to_managers(client, db):
    w = await build_world(client, db)
    customers = await add_customers(db, w)
    page = await _ok(await client.get("/api/territories/unassigned", headers=w.manager), 200)
    assert page["total"] == 1 and page["items"][0]["id"] == customers["lone"]
    assert page["items"][0]["state"] == "TX" and page["default_territory_id"] == w.ids["default"]
    tree = await _ok(await client.get("/api/territories", headers=w.east_manager), 200)
    assert tree["unassigned_count"] == 1


# --- realignment --------------------------------------------------------------------------


async def _draft(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    changes: dict[str, Any],
    on: date | None = None,
) -> httpx.Response:
    effective_on = (on or _today()).isoformat()
    return await client.post(
        "/api/realignments",
        headers=headers,
        json={"description": "Q3 realignment", "effective_on": effective_on, "changes": changes},
    )


async def test_realignment_preview_is_exactly_what_apply_does(client, db):
    w = await build_world(client, db)
    customers = await add_customers(db, w)
    draft = await _ok(
        await _draft(
            client,
            w.manager,
            {
                # Exact beats the SOUTH range, so Bay Foods moves north; TX now goes south.
                "add_rules": [
                    {"territory_id": w.ids["north"], "country": "US", "postal_exact": "94105"},
                    {"territory_id": w.ids["south"], "country": "US", "state": "TX"},
                ],
            },
        )
    )
    assert draft["status"] == "draft" and len(draft["changes"]["add_rules"]) == 2
    preview = await _ok(
        await client.get(f"/api/realignments/{draft['id']}/preview", headers=w.manager), 200
    )
    assert preview["open_documents"] == [] and preview["open_document_count"] == 0
    moves = {m["customer_id"]: m for m in preview["moves"]}
    assert set(moves) == {customers["bay"], customers["lone"]} and preview["moved_count"] == 2
    assert (
        moves[customers["bay"]]["to_territory"]["code"],
        moves[customers["bay"]]["to_owner"]["full_name"],
    ) == ("NORTH", "Rita Rep")
    assert moves[customers["lone"]]["from_territory"]["code"] == "UNASSIGNED"
    assert moves[customers["lone"]]["from_owner"] is None

    applied = await _ok(
        await client.post(f"/api/realignments/{draft['id']}/apply", headers=w.manager), 200
    )
    assert applied["moves"] == preview["moves"] and applied["realignment"]["status"] == "applied"
    for move in preview["moves"]:
        territory_id, owner_id, version = await _placement(db, move["customer_id"])
        assert territory_id == move["to_territory"]["id"]
        assert owner_id == (move["to_owner"]["id"] if move["to_owner"] else None)
        assert version == 2
    for unmoved in ("acme", "harbor", "pinned"):
        assert (await _placement(db, customers[unmoved]))[2] == 1
    async with db.read() as unit:
        event = (
            await unit.session.execute(
                select(AuditEvent).where(
                    AuditEvent.entity_id == customers["bay"],
                    AuditEvent.action == "customer_realigned",
                )
            )
        ).scalar_one()
    assert event.data["version"] == 2 and event.data["changes"]["territory_id"] == [
        w.ids["south"],
        w.ids["north"],
    ]
    after = await _ok(
        await client.get(f"/api/realignments/{draft['id']}/preview", headers=w.manager), 200
    )
    assert after["moves"] == preview["moves"]  # the record of what moved, not a recomputation
    assert (await _ok(await client.get("/api/territories/unassigned", headers=w.manager), 200))[
        "total"
    ] == 0


async def test_applying_a_realignment_twice_is_refused(client, db):
    w = await build_world(client, db)
    customers = await add_customers(db, w)
    draft = await _ok(
        await _draft(
            client,
            w.manager,
            {"add_rules": [{"territory_id": w.ids["south"], "country": "US", "state": "TX"}]},
        )
    )
    await _ok(await client.post(f"/api/realignments/{draft['id']}/apply", headers=w.manager), 200)
    before = await _counts(db)
    again = await client.post(f"/api/realignments/{draft['id']}/apply", headers=w.manager)
    assert again.status_code == 409 and again.json()["code"] == "realignment_already_applied"
    assert await _counts(db) == before and (await _placement(db, customers["lone"]))[2] == 2


async def test_handover_realignment_moves_owners_and_keeps_dated_history(client, db):
    w = await build_world(client, db)
    customers = await add_customers(db, w)
    draft = await _ok(
        await _draft(
            client,
            w.manager,
            {
                "end_assignment_ids": [w.ids["rep1_assignment"]],
                "add_assignments": [
                    {"territory_id": w.ids["north"], "user_id": w.ids["user_rep2"], "role": "owner"}
                ],
            },
        )
    )
    preview = await _ok(
        await client.get(f"/api/realignments/{draft['id']}/preview", headers=w.manager), 200
    )
    assert [(m["customer_id"], m["to_owner"]["full_name"]) for m in preview["moves"]] == [
        (customers["acme"], "Rob Rep")
    ]
    await _ok(await client.post(f"/api/realignments/{draft['id']}/apply", headers=w.manager), 200)
    yesterday = (_today() - timedelta(days=1)).isoformat()
    owner_then = await _ok(
        await client.get(
            f"/api/territories/{w.ids['north']}/owner", params={"on": yesterday}, headers=w.manager
        ),
        200,
    )
    owner_now = await _ok(
        await client.get(f"/api/territories/{w.ids['north']}/owner", headers=w.manager), 200
    )
    assert (
        owner_then["owner"]["full_name"] == "Rita Rep"
        and owner_now["owner"]["full_name"] == "Rob Rep"
    )
    listed = await _ok(
        await client.get(
            "/api/territory-assignments", params={"territory_id": w.ids["north"]}, headers=w.manager
        ),
        200,
    )
    assert {(a["user"]["full_name"], a["valid_to"]) for a in listed} == {
        ("Rita Rep", _today().isoformat()),
        ("Rob Rep", None),
    }
    assert await _placement(db, customers["acme"]) == (w.ids["north"], w.ids["user_rep2"], 2)


async def test_realignment_that_takes_another_managers_customers_is_refused(client, db):
    w = await build_world(client, db)
    await add_customers(db, w)
    before = await _counts(db)
    grab = await _draft(
        client,
        w.manager,
        {
            "add_rules": [
                {
                    "territory_id": w.ids["north"],
                    "country": "US",
                    "state": "MA",
                    "postal_prefix": "021",
                }
            ]
        },
    )
    assert grab.status_code == 403 and grab.json()["code"] == "realignment_outside_scope"
    assert await _counts(db) == before
    # Another manager's drafts are invisible, like ones that do not exist.
    mine = await _ok(await _draft(client, w.manager, {}))
    assert (
        await client.get(f"/api/realignments/{mine['id']}/preview", headers=w.east_manager)
    ).status_code == 404


async def test_stale_customers_elsewhere_neither_block_nor_join_a_managers_realignment(client, db):
    w = await build_world(client, db)
    # EAST has no owner, so this stored owner is out of date; it is not Max's to fix.
    stale = await add_customer(
        db,
        "Stale Owner Co",
        state="MA",
        postal="02111",
        territory_id=w.ids["east"],
        owner_id=w.ids["user_rep2"],
    )
    mine = await _ok(await _draft(client, w.manager, {}))
    preview = await _ok(
        await client.get(f"/api/realignments/{mine['id']}/preview", headers=w.manager), 200
    )
    assert preview["moves"] == []
    resync = await _ok(await _draft(client, w.admin, {}))
    preview = await _ok(
        await client.get(f"/api/realignments/{resync['id']}/preview", headers=w.admin), 200
    )
    assert [(m["customer_id"], m["to_owner"]) for m in preview["moves"]] == [(stale, None)]


async def test_a_future_realignment_waits_for_its_effective_date(client, db):
    w = await build_world(client, db)
    draft = await _ok(await _draft(client, w.manager, {}, on=_today() + timedelta(days=7)))
    early = await client.post(f"/api/realignments/{draft['id']}/apply", headers=w.manager)
    assert early.status_code == 409 and early.json()["code"] == "realignment_not_yet_effective"


# --- bad input ----------------------------------------------------------------------------


async def test_bad_input_gets_a_4xx_with_a_code_and_writes_nothing(client, db):
    w = await build_world(client, db)
    before = await _counts(db)
    north = w.ids["north"]
    cases: list[tuple[httpx.Response, int, str]] = [
        (
            await client.post(
                "/api/territory-rules",
                headers=w.manager,
                json={"territory_id": north, "country": "US", "postcode": "1"},
            ),
            400,
            "invalid_request",
        ),
        (
            await client.post(
                "/api/territory-rules",
                headers=w.manager,
                json={"territory_id": north, "country": "USA"},
            ),
            400,
            "invalid_request",
        ),
        (
            await client.post(
                "/api/territory-rules",
                headers=w.manager,
                json={
                    "territory_id": north,
                    "country": "US",
                    "postal_exact": "98101",
                    "postal_prefix": "98",
                },
            ),
            422,
            "ambiguous_rule",
        ),
        (
            await client.post(
                "/api/territory-rules",
                headers=w.manager,
                json={
                    "territory_id": north,
                    "country": "US",
                    "postal_from": "99000",
                    "postal_to": "98000",
                },
            ),
            422,
            "invalid_postal_range",
        ),
        (
            await client.post(
                "/api/territory-rules",
                headers=w.manager,
                json={"territory_id": north, "country": "us", "state": "wa"},
            ),
            409,
            "duplicate_rule",
        ),
        (
            await client.post(
                "/api/territory-assignments",
                headers=w.manager,
                json={
                    "territory_id": north,
                    "user_id": w.ids["user_rep2"],
                    "role": "member",
                    "valid_from": "2026-05-01",
                    "valid_to": "2026-05-01",
                },
            ),
            422,
            "invalid_date_range",
        ),
        (
            await client.post(
                "/api/territory-assignments",
                headers=w.manager,
                json={"territory_id": north, "user_id": w.ids["user_admin"], "role": "member"},
            ),
            422,
            "role_mismatch",
        ),
        (
            await client.post(
                "/api/territory-assignments",
                headers=w.manager,
                json={"territory_id": north, "user_id": new_id(), "role": "member"},
            ),
            422,
            "unknown_user",
        ),
        (
            await client.patch(
                f"/api/territories/{w.ids['west']}", headers=w.admin, json={"parent_id": north}
            ),
            422,
            "territory_cycle",
        ),
        (
            await client.post(
                "/api/territories",
                headers=w.manager,
                json={"code": "NORTH", "name": "Again", "kind": "area", "parent_id": w.ids["west"]},
            ),
            409,
            "territory_code_taken",
        ),
        (
            await client.post(
                "/api/territories",
                headers=w.manager,
                json={"code": "TOP", "name": "Top", "kind": "region"},
            ),
            403,
            "top_level_needs_admin",
        ),
        (
            await client.get(
                f"/api/territories/{north}/owner", params={"on": "2026-13-45"}, headers=w.manager
            ),
            400,
            "invalid_request",
        ),
        (await _draft(client, w.manager, {"remove_rule_ids": [new_id()]}), 404, "not_found"),
        (
            await _draft(
                client,
                w.manager,
                {
                    "add_assignments": [
                        {"territory_id": north, "user_id": w.ids["user_rep2"], "role": "owner"}
                    ]
                },
            ),
            409,
            "owner_overlap",
        ),
        (
            await _draft(
                client,
                w.manager,
                {"end_assignment_ids": [w.ids["rep1_assignment"], w.ids["rep1_assignment"]]},
            ),
            422,
            "duplicate_ids",
        ),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
        assert response.json()["detail"]
    assert await _counts(db) == before


async def test_the_api_is_described_in_openapi(client, db):
    schema = await _ok(await client.get("/schema/openapi.json"), 200)
    for path in (
        "/api/territories",
        "/api/territories/{territory_id}/owner",
        "/api/territory-rules",
        "/api/territory-assignments/{assignment_id}/end",
        "/api/realignments/{realignment_id}/preview",
        "/api/realignments/{realignment_id}/apply",
        "/api/territories/unassigned",
    ):
        assert path in schema["paths"], path


async def test_two_territories_with_one_code_at_the_same_moment_one_is_refused(client, db):
    # On PostgreSQL both requests pass the code check side by side and meet at the unique key;
    # the one that loses is told so (409), like a request that came later.
    await make_user(db, role="admin", email="admin@t.test")
    admin = bearer(await login(client, "admin@t.test"))
    body = {"code": "NORTH", "name": "North", "kind": "territory", "parent_id": None}
    responses = await asyncio.gather(
        *(client.post("/api/territories", json=body, headers=admin) for _ in range(2))
    )
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text[:200] for r in responses]
    refused = next(r for r in responses if r.status_code == 409).json()
    assert refused["code"] in ("territory_code_taken", "write_conflict") and refused["detail"]
    async with db.read() as unit:
        assert (
            await unit.session.scalar(
                select(func.count()).select_from(Territory).where(Territory.code == "NORTH")
            )
            == 1
        )


async def test_rule_that_takes_another_managers_customers_is_refused(client, db):
    w = await build_world(client, db)
    await add_customers(db, w)
    before = await _counts(db)
    # Mia manages EAST; Seattle's postal codes are Max's, through NORTH's WA rule.
    grab = await client.post(
        "/api/territory-rules",
        headers=w.east_manager,
        json={"territory_id": w.ids["east"], "country": "US", "postal_prefix": "981"},
    )
    assert grab.status_code == 403 and grab.json()["code"] == "rule_outside_scope"
    assert await _counts(db) == before
    # Within her own reach (an MA postal code) the same kind of rule is hers to add.
    own = await client.post(
        "/api/territory-rules",
        headers=w.east_manager,
        json={"territory_id": w.ids["east"], "country": "US", "postal_prefix": "021"},
    )
    assert own.status_code == 201, own.text


async def test_deactivating_a_rule_that_hands_customers_to_another_manager_is_refused(client, db):
    w = await build_world(client, db)
    # Max's NORTH rule for 021 postal codes outranks EAST's MA rule: Harbor Boston is Max's.
    taken = await _ok(
        await client.post(
            "/api/territory-rules",
            headers=w.admin,
            json={"territory_id": w.ids["north"], "country": "US", "postal_prefix": "021"},
        )
    )
    await add_customer(
        db,
        "Harbor Boston",
        state="MA",
        postal="02110",
        territory_id=w.ids["north"],
        owner_id=w.ids["user_rep1"],
    )
    before = await _counts(db)
    gone = await client.delete(f"/api/territory-rules/{taken['id']}", headers=w.manager)
    assert gone.status_code == 403 and gone.json()["code"] == "rule_outside_scope"
    assert await _counts(db) == before
    assert (
        await client.delete(f"/api/territory-rules/{taken['id']}", headers=w.admin)
    ).status_code == 200
