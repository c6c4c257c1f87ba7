"""Catalog API: price lookup precedence, breaks, versions, tax, scope, stock, products."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update

from server.db.models import (
    AuditEvent,
    Customer,
    CustomerAddress,
    PriceBreak,
    PriceList,
    PriceListItem,
    Product,
    ProductCategory,
    StockLevel,
    TaxRate,
    Territory,
    TerritoryAssignment,
    Warehouse,
)
from server.db.types import new_id
from tests.factories import bearer, login, make_user


def _today() -> date:
    # Asked when the test runs, not at import: a run may cross midnight UTC.
    return date.today()


@dataclass
class World:
    ids: dict[str, str]
    admin: dict[str, str]
    rep: dict[str, str]
    manager: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.ids[key]


async def _count(db: Any, model: Any) -> int:
    async with db.read() as unit:
        return int(await unit.session.scalar(select(func.count()).select_from(model)) or 0)


async def _seed(db: Any, rep_id: str) -> dict[str, str]:
    """Two territories (the rep owns T1), three customers, three products, lists, stock."""
    ids = {
        k: new_id()
        for k in (
            "t1",
            "t2",
            "cat",
            "w1",
            "w2",
            "p1",
            "p2",
            "p3",
            "acme",
            "bolt",
            "exempt",
            "base",
            "gold",
            "acme_list",
            "expired_list",
        )
    }
    past = _today() - timedelta(days=365)
    async with db.write() as uow:
        await uow.session.execute(
            insert(Territory),
            [
                {"id": ids["t1"], "code": "T1", "name": "North", "kind": "territory"},
                {"id": ids["t2"], "code": "T2", "name": "South", "kind": "territory"},
            ],
        )
        await uow.session.execute(
            insert(TerritoryAssignment).values(
                id=new_id(), territory_id=ids["t1"], user_id=rep_id, role="owner", valid_from=past
            )
        )
        await uow.session.execute(
            insert(ProductCategory).values(id=ids["cat"], code="tools", name="Tools")
        )
        await uow.session.execute(
            insert(Warehouse),
            [
                {"id": ids["w1"], "code": "W1", "name": "Main", "country": "US"},
                {"id": ids["w2"], "code": "W2", "name": "Annex", "country": "US"},
            ],
        )
        await uow.session.execute(
            insert(Product),
            [
                {
                    "id": ids["p1"],
                    "sku": "HAM-1",
                    "name": "Claw hammer",
                    "category_id": ids["cat"],
                    "low_stock_threshold": 10,
                    "floor_price_cents": 500,
                },
                {
                    "id": ids["p2"],
                    "sku": "SAW-1",
                    "name": "Hand saw",
                    "category_id": ids["cat"],
                    "description": "Fine teeth",
                    "pack_size": 6,
                    "min_order_qty": 12,
                },
                {
                    "id": ids["p3"],
                    "sku": "DRL-1",
                    "name": "Drill",
                    "category_id": ids["cat"],
                    "tax_category": "reduced",
                },
            ],
        )
        await uow.session.execute(
            insert(PriceList),
            [
                {"id": ids["base"], "code": "BASE", "name": "Base", "kind": "base", "version": 1},
                {"id": ids["gold"], "code": "GOLD", "name": "Gold", "kind": "tier", "version": 1},
                {
                    "id": ids["acme_list"],
                    "code": "ACME",
                    "name": "Acme",
                    "kind": "customer",
                    "customer_id": ids["acme"],
                    "version": 1,
                },
                {
                    "id": ids["expired_list"],
                    "code": "BOLT",
                    "name": "Bolt",
                    "kind": "customer",
                    "customer_id": ids["bolt"],
                    "version": 1,
                    "valid_to": _today() - timedelta(days=1),
                },
            ],
        )
        items = [
            ("base", "p1", 1000),
            ("base", "p2", 1000),
            ("base", "p3", 1000),
            ("gold", "p1", 900),
            ("gold", "p2", 900),
            ("acme_list", "p1", 800),
            ("expired_list", "p1", 600),
        ]
        item_ids = {}
        for list_key, product_key, cents in items:
            item_ids[(list_key, product_key)] = new_id()
            await uow.session.execute(
                insert(PriceListItem).values(
                    id=item_ids[(list_key, product_key)],
                    price_list_id=ids[list_key],
                    product_id=ids[product_key],
                    unit_price_cents=cents,
                )
            )
        await uow.session.execute(
            insert(PriceBreak),
            [
                {
                    "id": new_id(),
                    "item_id": item_ids[("base", "p3")],
                    "min_qty": 10,
                    "unit_price_cents": 950,
                },
                {
                    "id": new_id(),
                    "item_id": item_ids[("base", "p3")],
                    "min_qty": 50,
                    "unit_price_cents": 900,
                },
            ],
        )
        await uow.session.execute(
            insert(TaxRate),
            [
                {
                    "id": new_id(),
                    "tax_category": "standard",
                    "country": "US",
                    "state": None,
                    "rate": Decimal("0.06"),
                },
                {
                    "id": new_id(),
                    "tax_category": "standard",
                    "country": "US",
                    "state": "CA",
                    "rate": Decimal("0.0725"),
                },
            ],
        )
        for key, name, territory, tier, exempt in (
            ("acme", "Acme", "t1", ids["gold"], False),
            ("bolt", "Bolt", "t2", None, False),
            ("exempt", "Church", "t1", None, True),
        ):
            await uow.session.execute(
                insert(Customer).values(
                    id=ids[key],
                    number=f"C-{key}",
                    legal_name=name,
                    search_name=name.lower(),
                    territory_id=ids[territory],
                    price_list_id=tier,
                    tax_exempt=exempt,
                    status="active",
                )
            )
            await uow.session.execute(
                insert(CustomerAddress),
                [
                    {
                        "id": new_id(),
                        "customer_id": ids[key],
                        "kind": "billing",
                        "is_default": True,
                        "country": "US",
                        "state": "NY",
                    },
                    {
                        "id": new_id(),
                        "customer_id": ids[key],
                        "kind": "shipping",
                        "is_default": True,
                        "country": "US",
                        "state": "CA",
                    },
                ],
            )
        await uow.session.execute(
            insert(StockLevel),
            [
                {"warehouse_id": ids["w1"], "product_id": ids["p1"], "on_hand": 8, "allocated": 2},
                {"warehouse_id": ids["w2"], "product_id": ids["p1"], "on_hand": 5, "allocated": 0},
                {
                    "warehouse_id": ids["w1"],
                    "product_id": ids["p2"],
                    "on_hand": 100,
                    "allocated": 0,
                },
            ],
        )
    return ids


async def _world(client: Any, db: Any) -> World:
    admin = await make_user(db, role="admin", email="admin@example.com")
    rep = await make_user(db, role="rep", email="rep@example.com")
    await make_user(db, role="manager", email="boss@example.com")
    ids = await _seed(db, rep.id)
    return World(
        ids,
        bearer(await login(client, admin.email)),
        bearer(await login(client, rep.email)),
        bearer(await login(client, "boss@example.com")),
    )


async def _lookup(client: Any, w: World, headers: dict[str, str], **params: Any) -> Any:
    return await client.get("/api/prices/lookup", params=params, headers=headers)


# --- price lookup -------------------------------------------------------------------------


async def test_price_lookup_customer_list_beats_tier_beats_base(client, db):
    w = await _world(client, db)
    own = (await _lookup(client, w, w.rep, customer_id=w["acme"], product_id=w["p1"])).json()
    tier = (
        await _lookup(client, w, w.rep, customer_id=w["acme"], product_id=w["p2"], quantity=12)
    ).json()
    base = (await _lookup(client, w, w.rep, customer_id=w["acme"], product_id=w["p3"])).json()
    assert (own["unit_price_cents"], own["price_list_code"], own["price_list_id"]) == (
        800,
        "ACME",
        w["acme_list"],
    )
    assert (tier["unit_price_cents"], tier["price_list_code"]) == (900, "GOLD")
    assert (base["unit_price_cents"], base["price_list_code"], base["price_list_version"]) == (
        1000,
        "BASE",
        1,
    )


async def test_price_lookup_ignores_an_expired_customer_list(client, db):
    w = await _world(client, db)
    answer = await _lookup(client, w, w.admin, customer_id=w["bolt"], product_id=w["p1"])
    assert answer.status_code == 200
    assert (answer.json()["unit_price_cents"], answer.json()["price_list_code"]) == (1000, "BASE")
    earlier = await _lookup(
        client,
        w,
        w.admin,
        customer_id=w["bolt"],
        product_id=w["p1"],
        on=(_today() - timedelta(days=2)).isoformat(),
    )
    assert (earlier.json()["unit_price_cents"], earlier.json()["price_list_code"]) == (600, "BOLT")


async def test_price_lookup_applies_a_volume_break_from_its_quantity_on(client, db):
    w = await _world(client, db)
    prices = {}
    for quantity in (9, 10, 49, 50):
        body = (
            await _lookup(
                client, w, w.rep, customer_id=w["acme"], product_id=w["p3"], quantity=quantity
            )
        ).json()
        prices[quantity] = (body["unit_price_cents"], body["break_min_qty"], body["net_cents"])
    assert prices == {
        9: (1000, None, 9000),
        10: (950, 10, 9500),
        49: (950, 10, 46550),
        50: (900, 50, 45000),
    }


async def test_a_new_price_list_version_wins_and_the_old_version_stays(client, db):
    w = await _world(client, db)
    created = await client.post(
        "/api/price-lists",
        headers=w.admin,
        json={
            "code": "GOLD",
            "name": "Gold 2",
            "kind": "tier",
            "valid_from": _today().isoformat(),
            "items": [
                {
                    "product_id": w["p2"],
                    "unit_price_cents": 850,
                    "breaks": [{"min_qty": 24, "unit_price_cents": 800}],
                }
            ],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["price_list"]["version"] == 2
    now = (
        await _lookup(client, w, w.rep, customer_id=w["acme"], product_id=w["p2"], quantity=24)
    ).json()
    assert (now["unit_price_cents"], now["price_list_version"], now["break_min_qty"]) == (
        800,
        2,
        24,
    )
    yesterday = (
        await _lookup(
            client,
            w,
            w.rep,
            customer_id=w["acme"],
            product_id=w["p2"],
            quantity=12,
            on=(_today() - timedelta(days=1)).isoformat(),
        )
    ).json()
    assert (yesterday["unit_price_cents"], yesterday["price_list_version"]) == (900, 1)
    versions = (
        await client.get("/api/price-lists", params={"code": "GOLD"}, headers=w.manager)
    ).json()
    assert [(v["version"], v["item_count"]) for v in versions] == [(2, 1), (1, 2)]


async def test_price_lookup_tax_follows_the_shipping_address_and_exemption(client, db):
    w = await _world(client, db)
    taxed = (await _lookup(client, w, w.rep, customer_id=w["acme"], product_id=w["p1"])).json()
    exempt = (await _lookup(client, w, w.rep, customer_id=w["exempt"], product_id=w["p1"])).json()
    untaxed_category = (
        await _lookup(client, w, w.rep, customer_id=w["acme"], product_id=w["p3"])
    ).json()
    assert (taxed["tax_rate"], taxed["tax_exempt"]) == ("0.0725", False)
    assert (exempt["tax_rate"], exempt["tax_exempt"]) == ("0", True)
    assert untaxed_category["tax_rate"] == "0"


async def test_price_lookup_taxes_a_non_default_shipping_address_as_an_order_would(client, db):
    w = await _world(client, db)
    async with db.write() as uow:
        await uow.session.execute(
            update(CustomerAddress)
            .where(
                CustomerAddress.customer_id == w["acme"],
                CustomerAddress.kind == "shipping",
            )
            .values(is_default=False)
        )
    looked_up = (await _lookup(client, w, w.rep, customer_id=w["acme"], product_id=w["p1"])).json()
    # The goods still go to California, not to the New York billing address.
    assert looked_up["tax_rate"] == "0.0725"


async def test_price_lookup_reports_quantity_rules_without_refusing_the_price(client, db):
    w = await _world(client, db)
    answers = {}
    for quantity in (10, 13, 18):
        body = (
            await _lookup(
                client, w, w.rep, customer_id=w["acme"], product_id=w["p2"], quantity=quantity
            )
        ).json()
        answers[quantity] = (body["quantity_ok"], body["quantity_code"], body["suggested_quantity"])
    assert answers == {
        10: (False, "below_minimum_quantity", 12),
        13: (False, "not_pack_multiple", 18),
        18: (True, None, 18),
    }


async def test_price_lookup_bad_input_answers_4xx_with_a_code(client, db):
    w = await _world(client, db)
    zero = await _lookup(client, w, w.rep, customer_id=w["acme"], product_id=w["p1"], quantity=0)
    unknown = await _lookup(client, w, w.rep, customer_id=w["acme"], product_id=new_id())
    lonely = new_id()
    async with db.write() as uow:
        await uow.session.execute(
            insert(Product).values(id=lonely, sku="X-1", name="X", category_id=w["cat"])
        )
    unpriced = await _lookup(client, w, w.rep, customer_id=w["acme"], product_id=lonely)
    assert (zero.status_code, zero.json()["code"]) == (400, "invalid_request")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "product_not_found")
    assert (unpriced.status_code, unpriced.json()["code"]) == (422, "no_price")


async def test_a_rep_cannot_price_or_list_for_a_customer_outside_scope(client, db):
    w = await _world(client, db)
    own = await _lookup(client, w, w.rep, customer_id=w["acme"], product_id=w["p1"])
    foreign = await _lookup(client, w, w.rep, customer_id=w["bolt"], product_id=w["p1"])
    missing = await _lookup(client, w, w.rep, customer_id=new_id(), product_id=w["p1"])
    listing = await client.get("/api/products", params={"customer_id": w["bolt"]}, headers=w.rep)
    assert own.status_code == 200
    assert foreign.status_code == listing.status_code == missing.status_code == 404
    assert foreign.json()["code"] == missing.json()["code"] == "customer_not_found"
    assert (
        await _lookup(client, w, w.admin, customer_id=w["bolt"], product_id=w["p1"])
    ).status_code == 200


# --- products -----------------------------------------------------------------------------


async def test_product_search_pages_and_carries_customer_price_and_availability(client, db):
    w = await _world(client, db)
    page = (
        await client.get(
            "/api/products", params={"customer_id": w["acme"], "sort": "sku"}, headers=w.rep
        )
    ).json()
    assert page["total"] == 3 and [p["sku"] for p in page["items"]] == ["DRL-1", "HAM-1", "SAW-1"]
    hammer = page["items"][1]
    assert (hammer["available"], hammer["stock_status"]) == (11, "in_stock")
    assert (hammer["price"]["unit_price_cents"], hammer["price"]["price_list_code"]) == (
        800,
        "ACME",
    )
    assert page["items"][0]["stock_status"] == "out"
    saw = page["items"][2]["price"]
    assert (saw["for_quantity"], saw["unit_price_cents"]) == (12, 900)
    # the same listing without the customer shows the base list's price, not Acme's
    anyone = (await client.get("/api/products", params={"sort": "sku"}, headers=w.rep)).json()
    base_hammer = anyone["items"][1]["price"]
    assert (base_hammer["unit_price_cents"], base_hammer["price_list_code"]) == (1000, "BASE")
    found = (await client.get("/api/products", params={"q": "TEETH"}, headers=w.rep)).json()
    assert [p["sku"] for p in found["items"]] == ["SAW-1"]
    paged = (
        await client.get(
            "/api/products", params={"limit": 1, "offset": 1, "sort": "-sku"}, headers=w.rep
        )
    ).json()
    assert (paged["total"], [p["sku"] for p in paged["items"]]) == (3, ["HAM-1"])
    wildcard = (await client.get("/api/products", params={"q": "%"}, headers=w.rep)).json()
    assert wildcard["total"] == 0
    categories = (await client.get("/api/categories", headers=w.rep)).json()
    assert [(c["code"], c["product_count"]) for c in categories] == [("tools", 3)]


async def test_product_detail_shows_stock_per_warehouse_and_breaks(client, db):
    w = await _world(client, db)
    detail = (await client.get(f"/api/products/{w['p3']}", headers=w.rep)).json()
    assert detail["product"]["price"]["breaks"] == [
        {"min_qty": 10, "unit_price_cents": 950},
        {"min_qty": 50, "unit_price_cents": 900},
    ]
    hammer = (await client.get(f"/api/products/{w['p1']}", headers=w.rep)).json()
    assert [(s["warehouse_code"], s["available"]) for s in hammer["stock"]] == [
        ("W1", 6),
        ("W2", 5),
    ]
    assert (await client.get(f"/api/products/{new_id()}", headers=w.rep)).status_code == 404


async def test_only_an_admin_creates_and_edits_products(client, db):
    w = await _world(client, db)
    body = {"sku": "NEW-1", "name": "Level", "category_code": "measuring", "pack_size": 2}
    assert (await client.post("/api/products", json=body, headers=w.rep)).status_code == 403
    created = await client.post("/api/products", json=body, headers=w.admin)
    assert created.status_code == 201, created.text
    product = created.json()["product"]
    assert (product["category_code"], product["pack_size"], product["price"]) == (
        "measuring",
        2,
        None,
    )
    changed = await client.patch(
        f"/api/products/{product['id']}", json={"active": False}, headers=w.admin
    )
    assert changed.status_code == 200 and changed.json()["product"]["active"] is False
    async with db.read() as unit:
        actions = (
            await unit.session.execute(
                select(AuditEvent.action).where(AuditEvent.entity_id == product["id"])
            )
        ).scalars()
        assert sorted(actions) == ["product_created", "product_updated"]


async def test_bad_product_input_is_refused_with_a_code_and_nothing_written(client, db):
    w = await _world(client, db)
    before = await _count(db, Product)
    duplicate = await client.post(
        "/api/products", json={"sku": "HAM-1", "name": "X", "category_code": "new"}, headers=w.admin
    )
    unknown_field = await client.post(
        "/api/products",
        json={"sku": "N-2", "name": "X", "category_code": "t", "colour": "red"},
        headers=w.admin,
    )
    zero_pack = await client.post(
        "/api/products",
        json={"sku": "N-3", "name": "X", "category_code": "t", "pack_size": 0},
        headers=w.admin,
    )
    sku_clash = await client.patch(
        f"/api/products/{w['p1']}", json={"sku": "SAW-1"}, headers=w.admin
    )
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "sku_taken")
    assert (unknown_field.status_code, unknown_field.json()["code"]) == (400, "invalid_request")
    assert zero_pack.status_code == 400
    assert (sku_clash.status_code, sku_clash.json()["code"]) == (409, "sku_taken")
    assert await _count(db, Product) == before
    assert await _count(db, ProductCategory) == 1  # the refused product created no category


# --- price lists --------------------------------------------------------------------------


async def test_bad_price_lists_are_refused_and_nothing_is_written(client, db):
    w = await _world(client, db)
    before = (await _count(db, PriceList), await _count(db, PriceListItem))
    attempts = {
        "customer_required": {"code": "X", "name": "X", "kind": "customer"},
        "customer_not_allowed": {
            "code": "X",
            "name": "X",
            "kind": "tier",
            "customer_id": w["acme"],
        },
        "below_floor_price": {
            "code": "X",
            "name": "X",
            "kind": "tier",
            "items": [{"product_id": w["p1"], "unit_price_cents": 499}],
        },
        "unknown_product": {
            "code": "X",
            "name": "X",
            "kind": "tier",
            "items": [{"product_id": new_id(), "unit_price_cents": 100}],
        },
        "duplicate_product": {
            "code": "X",
            "name": "X",
            "kind": "tier",
            "items": [
                {"product_id": w["p2"], "unit_price_cents": 100},
                {"product_id": w["p2"], "unit_price_cents": 90},
            ],
        },
        "invalid_validity": {
            "code": "X",
            "name": "X",
            "kind": "tier",
            "valid_from": "2030-01-02",
            "valid_to": "2030-01-01",
        },
        "price_list_code_mismatch": {"code": "GOLD", "name": "X", "kind": "base"},
    }
    for code, body in attempts.items():
        answer = await client.post("/api/price-lists", json=body, headers=w.admin)
        assert (answer.status_code in (409, 422), answer.json()["code"]) == (True, code), (
            answer.text
        )
    assert (
        await client.post("/api/price-lists", json=attempts["customer_required"], headers=w.rep)
    ).status_code == 403
    assert (await _count(db, PriceList), await _count(db, PriceListItem)) == before


async def test_put_items_replaces_a_versions_items_and_breaks(client, db):
    w = await _world(client, db)
    url = f"/api/price-lists/{w['gold']}/items"
    answer = await client.put(
        url,
        headers=w.admin,
        json={
            "items": [
                {
                    "product_id": w["p3"],
                    "unit_price_cents": 700,
                    "breaks": [{"min_qty": 5, "unit_price_cents": 650}],
                }
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    assert [
        (i["sku"], i["unit_price_cents"], len(i["breaks"])) for i in answer.json()["items"]
    ] == [("DRL-1", 700, 1)]
    drill = (
        await _lookup(client, w, w.rep, customer_id=w["acme"], product_id=w["p3"], quantity=5)
    ).json()
    assert (drill["unit_price_cents"], drill["price_list_code"]) == (650, "GOLD")
    refused = await client.put(url, headers=w.admin, json={"items": [], "extra": 1})
    assert refused.status_code == 400
    assert (await client.get(f"/api/price-lists/{w['gold']}", headers=w.admin)).json()[
        "price_list"
    ]["item_count"] == 1


# --- stock --------------------------------------------------------------------------------


async def test_stock_alerts_list_products_at_or_below_their_threshold(client, db):
    w = await _world(client, db)
    alerts = (await client.get("/api/stock/alerts", headers=w.manager)).json()
    assert [(a["sku"], a["available"], a["status"]) for a in alerts] == [("DRL-1", 0, "out")]
    await client.post(
        "/api/stock/adjust",
        headers=w.admin,
        json={"warehouse_id": w["w2"], "product_id": w["p1"], "delta": -2},
    )
    alerts = (await client.get("/api/stock/alerts", headers=w.admin)).json()
    assert [(a["sku"], a["available"], a["status"]) for a in alerts] == [
        ("DRL-1", 0, "out"),
        ("HAM-1", 9, "low"),
    ]
    assert (await client.get("/api/stock/alerts", headers=w.rep)).status_code == 403


async def test_stock_adjust_never_goes_negative_nor_below_allocated(client, db):
    w = await _world(client, db)
    target = {"warehouse_id": w["w1"], "product_id": w["p1"]}
    negative = await client.post("/api/stock/adjust", headers=w.admin, json={**target, "delta": -9})
    below = await client.post("/api/stock/adjust", headers=w.admin, json={**target, "on_hand": 1})
    both = await client.post(
        "/api/stock/adjust", headers=w.admin, json={**target, "delta": 1, "on_hand": 1}
    )
    as_rep = await client.post("/api/stock/adjust", headers=w.rep, json={**target, "delta": 1})
    assert (negative.status_code, negative.json()["code"]) == (422, "negative_stock")
    assert (below.status_code, below.json()["code"]) == (422, "below_allocated")
    assert (both.status_code, both.json()["code"]) == (422, "delta_or_on_hand")
    assert as_rep.status_code == 403
    rows = (await client.get("/api/stock", params={"product_id": w["p1"]}, headers=w.rep)).json()
    assert [(r["warehouse_code"], r["on_hand"], r["allocated"]) for r in rows] == [
        ("W1", 8, 2),
        ("W2", 5, 0),
    ]
    counted = await client.post(
        "/api/stock/adjust", headers=w.admin, json={**target, "on_hand": 2, "reason": "count"}
    )
    assert counted.status_code == 200 and (
        counted.json()["on_hand"],
        counted.json()["available"],
    ) == (2, 0)
    fresh = await client.post(
        "/api/stock/adjust",
        headers=w.admin,
        json={"warehouse_id": w["w2"], "product_id": w["p3"], "delta": 4},
    )
    assert fresh.json()["on_hand"] == 4


async def test_openapi_describes_the_catalog_endpoints(client, db):
    schema = (await client.get("/schema/openapi.json")).json()
    for path in (
        "/api/products",
        "/api/products/{product_id}",
        "/api/prices/lookup",
        "/api/price-lists",
        "/api/price-lists/{price_list_id}/items",
        "/api/stock",
        "/api/stock/alerts",
        "/api/stock/adjust",
        "/api/categories",
        "/api/imports/products",
        "/api/imports/customers",
    ):
        assert path in schema["paths"], path
    assert "text/csv" in schema["paths"]["/api/imports/products"]["post"]["requestBody"]["content"]


async def test_product_search_text_is_bounded_with_a_reason_on_the_api_and_the_page(client, db):
    w = await _world(client, db)
    for q in ("x" * 201, "x" * 50_001):
        refused = await client.get("/api/products", params={"q": q}, headers=w.rep)
        assert refused.status_code == 422, refused.text[:300]
        assert refused.json()["code"] == "search_too_long" and "200" in refused.json()["detail"]
        page = await client.get(
            "/catalog", params={"q": q}, headers={**w.rep, "accept": "text/html"}
        )
        assert page.status_code == 422 and "200 characters" in page.text
    assert (
        await client.get("/api/products", params={"q": "x" * 200}, headers=w.rep)
    ).status_code == 200


async def test_manager_reading_another_regions_contract_prices_gets_404(client, db):
    from tests.factories import customer_body, seed_world
    from tests.sales_factories import add_product, seed_catalog

    await seed_world(db)
    catalog = await seed_catalog(db)
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    admin = bearer(await login(client, "admin@corp.test"))
    manager = bearer(await login(client, "manager@corp.test"))
    lists = {}
    for name, state, postal in (("Boston Beans", "MA", "02110"), ("Seattle Sips", "WA", "98101")):
        body = {**customer_body(name, state=state, postal=postal), "confirm_new": True}
        customer = (await client.post("/api/customers", json=body, headers=admin)).json()
        created = await client.post(
            "/api/price-lists",
            headers=admin,
            json={
                "code": name.upper().replace(" ", "-"),
                "name": name,
                "kind": "customer",
                "customer_id": customer["id"],
                "items": [{"product_id": widget, "unit_price_cents": 777}],
            },
        )
        assert created.status_code == 201, created.text
        lists[state] = (customer["id"], created.json()["price_list"]["id"])
    east_customer, east_list = lists["MA"]
    west_customer, west_list = lists["WA"]

    assert (await client.get(f"/api/price-lists/{east_list}", headers=manager)).status_code == 404
    by_customer = await client.get(
        "/api/price-lists", params={"customer_id": east_customer}, headers=manager
    )
    assert by_customer.status_code == 404
    every = (await client.get("/api/price-lists", headers=manager)).json()
    assert east_list not in {pl["id"] for pl in every} and west_list in {pl["id"] for pl in every}
    assert catalog.base_list_id in {pl["id"] for pl in every}
    # Their own region's contract prices, and the admin's view of all, stay as they were.
    assert (await client.get(f"/api/price-lists/{west_list}", headers=manager)).status_code == 200
    mine = await client.get(
        "/api/price-lists", params={"customer_id": west_customer}, headers=manager
    )
    assert [pl["id"] for pl in mine.json()] == [west_list]
    assert (await client.get(f"/api/price-lists/{east_list}", headers=admin)).status_code == 200


async def test_product_search_follows_an_edit_and_ignores_accents(client, db):
    w = await _world(client, db)
    body = {"sku": "LVL-9", "name": "Crème level", "category_code": "measuring"}
    product = (await client.post("/api/products", json=body, headers=w.admin)).json()["product"]

    async def skus(q: str) -> list[str]:
        found = await client.get("/api/products", params={"q": q}, headers=w.rep)
        assert found.status_code == 200, found.text
        return [p["sku"] for p in found.json()["items"]]

    assert await skus("creme") == ["LVL-9"]
    assert await skus("lvl") == ["LVL-9"]
    renamed = await client.patch(
        f"/api/products/{product['id']}", json={"name": "Spirit level"}, headers=w.admin
    )
    assert renamed.status_code == 200, renamed.text
    assert await skus("spirit lev") == ["LVL-9"]
    assert await skus("creme") == []
