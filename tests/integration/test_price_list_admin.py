"""Price lists in the back office: planned versions are never hidden silently, versions
copy what they follow, items change one at a time, CSV goes out and back in unchanged, a
bad file imports nothing, and the pages are the admins' only."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from server.db.models import AuditEvent, ChangeRecord, PriceList
from tests.factories import PASSWORD, bearer, login, seed_world
from tests.sales_factories import add_product, seed_catalog


def _today() -> date:
    # Asked when the test runs, not at import: a run may cross midnight UTC.
    return date.today()


HTMX = {"hx-request": "true"}


def _day(offset: int) -> str:
    return (_today() + timedelta(days=offset)).isoformat()


async def _setup(client: httpx.AsyncClient, db: Any) -> dict[str, Any]:
    await seed_world(db)
    catalog = await seed_catalog(db)
    saw = await add_product(
        db, catalog, "SAW-1", price_cents=1000, floor_cents=500, breaks=((10, 950), (50, 900))
    )
    ham = await add_product(db, catalog, "HAM-1", price_cents=2500, floor_cents=1000)
    headers = {w: bearer(await login(client, f"{w}@corp.test")) for w in ("admin", "manager")}
    return {"catalog": catalog, "saw": saw, "ham": ham, **headers}


async def _versions(client: httpx.AsyncClient, s: dict[str, Any]) -> dict[int, dict[str, Any]]:
    rows = (await client.get("/api/price-lists?code=BASE", headers=s["admin"])).json()
    return {v["version"]: v for v in rows}


async def _count(db: Any, model: Any, *where: Any) -> int:
    async with db.read() as unit:
        query = select(func.count()).select_from(model).where(*where)
        return int(await unit.session.scalar(query) or 0)


def _version(s: dict[str, Any], **body: Any) -> dict[str, Any]:
    return {"code": "BASE", "name": "Base", "kind": "base", **body}


async def test_a_version_hiding_a_planned_one_is_refused_until_it_ends_first_or_supersedes(
    client, db
):
    s = await _setup(client, db)
    planned = await client.post(
        "/api/price-lists",
        json=_version(s, valid_from=_day(30), copy_items=True),
        headers=s["admin"],
    )
    assert planned.status_code == 201, planned.text
    assert planned.json()["price_list"]["version"] == 2
    assert [(i["sku"], len(i["breaks"])) for i in planned.json()["items"]] == [
        ("HAM-1", 0),
        ("SAW-1", 2),
    ]
    lists_before = await _count(db, PriceList)

    refused = await client.post(
        "/api/price-lists",
        json=_version(s, valid_from=_day(10), copy_items=True),
        headers=s["admin"],
    )

    assert refused.status_code == 409 and refused.json()["code"] == "hides_planned_version"
    assert "version 2" in refused.json()["detail"] and _day(30) in refused.json()["detail"]
    assert await _count(db, PriceList) == lists_before

    ends_first = await client.post(
        "/api/price-lists",
        json=_version(s, valid_from=_day(10), valid_to=_day(29), copy_items=True),
        headers=s["admin"],
    )
    assert ends_first.status_code == 201, ends_first.text
    changes_before = await _count(db, ChangeRecord)

    superseding = await client.post(
        "/api/price-lists",
        json=_version(
            s,
            valid_from=_day(5),
            supersede=True,
            items=[{"product_id": s["saw"], "unit_price_cents": 1200}],
        ),
        headers=s["admin"],
    )

    assert superseding.status_code == 201, superseding.text
    versions = await _versions(client, s)
    # v3 began after v4 does: withdrawn (ends before it starts); v2 keeps nothing either.
    assert (versions[2]["valid_to"], versions[3]["valid_to"]) == (_day(29), _day(9))
    superseded = await _count(db, AuditEvent, AuditEvent.action == "price_list_superseded")
    assert superseded == 2
    assert await _count(db, ChangeRecord) > changes_before  # the phones pull the new periods
    customer = await client.post(
        "/api/customers",
        json={
            "legal_name": "Harbor View Bistro",
            "status": "active",
            "confirm_new": True,
            "billing_address": {
                "country": "US",
                "state": "WA",
                "city": "Seattle",
                "postal_code": "98101",
                "street": "1 Main St",
            },
        },
        headers=s["manager"],
    )
    for offset, cents in ((40, 1200), (2, 1000)):
        price = await client.get(
            "/api/prices/lookup",
            params={
                "customer_id": customer.json()["id"],
                "product_id": s["saw"],
                "on": _day(offset),
            },
            headers=s["admin"],
        )
        assert price.json()["unit_price_cents"] == cents, (offset, price.text)


async def test_items_are_set_and_removed_one_at_a_time_with_their_rules(client, db):
    s = await _setup(client, db)
    base = s["catalog"].base_list_id
    url = f"/api/price-lists/{base}/items/{s['ham']}"
    refusals = {
        "below_floor_price": {"unit_price_cents": 999},
        "price_not_positive": {"unit_price_cents": 0},
        "breaks_not_increasing": {
            "unit_price_cents": 2400,
            "breaks": [
                {"min_qty": 10, "unit_price_cents": 2300},
                {"min_qty": 5, "unit_price_cents": 2350},
            ],
        },
    }
    for code, body in refusals.items():
        answer = await client.put(url, json=body, headers=s["admin"])
        assert (answer.status_code, answer.json()["code"]) == (422, code), answer.text
    manager = await client.put(url, json={"unit_price_cents": 2400}, headers=s["manager"])
    assert manager.status_code == 403

    saved = await client.put(
        url,
        json={"unit_price_cents": 2400, "breaks": [{"min_qty": 6, "unit_price_cents": 2200}]},
        headers=s["admin"],
    )

    assert saved.status_code == 200, saved.text
    items = {i["sku"]: i for i in saved.json()["items"]}
    assert items["HAM-1"]["unit_price_cents"] == 2400
    assert items["HAM-1"]["breaks"] == [{"min_qty": 6, "unit_price_cents": 2200}]
    removed = await client.delete(url, headers=s["admin"])
    assert removed.status_code == 200
    assert [i["sku"] for i in removed.json()["items"]] == ["SAW-1"]
    assert (await client.delete(url, headers=s["admin"])).status_code == 404


async def test_a_csv_export_imports_back_unchanged_and_a_bad_file_imports_nothing(client, db):
    s = await _setup(client, db)
    base = s["catalog"].base_list_id
    before = (await client.get(f"/api/price-lists/{base}", headers=s["admin"])).json()

    exported = await client.get(f"/api/price-lists/{base}/items.csv", headers=s["admin"])

    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert (
        exported.text == "sku,unit_price,breaks\r\nHAM-1,25.00,\r\nSAW-1,10.00,10:9.50 50:9.00\r\n"
    )
    imported = await client.put(
        f"/api/price-lists/{base}/items.csv",
        content=exported.content,
        headers={**s["admin"], "content-type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["items"] == before["items"]

    bad = (
        "sku,unit_price,breaks\n"
        "SAW-1,11.00,10:10.50\n"
        "NOPE-1,5.00,\n"
        "HAM-1,9.99,\n"
        "SAW-1,12.00,\n"
        "HAM-1,abc,50:9 10:8\n"
    )
    refused = await client.put(
        f"/api/price-lists/{base}/items.csv",
        content=bad.encode(),
        headers={**s["admin"], "content-type": "text/csv"},
    )

    assert refused.status_code == 422 and refused.json()["code"] == "import_rejected"
    errors = refused.json()["details"]["errors"]
    assert sorted({e["line"] for e in errors}) == [3, 4, 5, 6]
    codes = {(e["line"], e["code"]) for e in errors}
    assert {(3, "unknown_sku"), (4, "below_floor_price"), (5, "duplicate_sku")} <= codes
    assert {(6, "invalid_amount"), (6, "breaks_not_increasing")} & codes
    after = (await client.get(f"/api/price-lists/{base}", headers=s["admin"])).json()
    assert after["items"] == before["items"]


async def _log_in(browser: httpx.AsyncClient, email: str) -> None:
    await browser.get("/login")
    answer = await browser.post(
        "/login",
        data={
            "email": email,
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": browser.cookies.get("fs_csrf") or "",
        },
    )
    assert answer.status_code == 303, answer.text


def _csrf(browser: httpx.AsyncClient, **fields: str) -> dict[str, str]:
    return {"_csrf_token": browser.cookies.get("fs_csrf") or "", **fields}


async def test_price_list_pages_answer_admins_and_refuse_everyone_else(client, browser, db):
    s = await _setup(client, db)
    base = s["catalog"].base_list_id
    pages = [
        "/admin/price-lists",
        "/admin/price-lists/new",
        "/admin/price-lists/codes/BASE",
        f"/admin/price-lists/versions/{base}",
    ]
    for who in ("rep1", "manager"):
        await _log_in(browser, f"{who}@corp.test")
        for page in pages:
            assert (await browser.get(page)).status_code == 403, (who, page)
        answer = await browser.post(
            f"/admin/price-lists/versions/{base}/items",
            data=_csrf(browser, sku="HAM-1", unit_price="30.00"),
        )
        assert answer.status_code == 403
    await _log_in(browser, "admin@corp.test")
    for page in pages:
        answer = await browser.get(page)
        assert answer.status_code == 200 and "text/html" in answer.headers["content-type"], page
    listing = (await browser.get("/admin/price-lists")).text
    assert "BASE" in listing and f"/admin/price-lists/versions/{base}" in listing


async def test_the_admin_edits_a_version_on_its_page(client, browser, db):
    s = await _setup(client, db)
    base = s["catalog"].base_list_id
    await _log_in(browser, "admin@corp.test")
    form = f"/admin/price-lists/versions/{base}/items"

    refused = await browser.post(
        form,
        data=_csrf(browser, sku="HAM-1", unit_price="9.00", breaks="", row="existing"),
        headers=HTMX,
    )
    assert refused.status_code == 200 and "<html" not in refused.text
    assert "floor price" in refused.text and 'role="alert"' in refused.text
    saved = await browser.post(
        form,
        data=_csrf(browser, sku="HAM-1", unit_price="30.00", breaks="12:28.00", row="existing"),
        headers=HTMX,
    )
    assert saved.status_code == 200 and "Saved." in saved.text
    detail = (await client.get(f"/api/price-lists/{base}", headers=s["admin"])).json()
    ham = next(i for i in detail["items"] if i["sku"] == "HAM-1")
    assert (ham["unit_price_cents"], ham["breaks"]) == (
        3000,
        [{"min_qty": 12, "unit_price_cents": 2800}],
    )

    new_version = await browser.post(
        "/admin/price-lists/codes/BASE/versions",
        data=_csrf(browser, name="Base", valid_from=_day(30), copy_items="on"),
    )
    assert new_version.status_code == 303
    hiding = await browser.post(
        "/admin/price-lists/codes/BASE/versions",
        data=_csrf(browser, name="Base", valid_from=_day(3), copy_items="on"),
    )
    assert hiding.status_code == 409 and "would hide version 2" in hiding.text
    assert len(await _versions(client, s)) == 2

    bad_file = b"sku,unit_price,breaks\nHAM-1,30.00,\nGHOST,1.00,\n"
    imported = await browser.post(
        f"/admin/price-lists/versions/{base}/import",
        data=_csrf(browser),
        files={"file": ("prices.csv", bad_file, "text/csv")},
    )
    assert imported.status_code == 422
    assert "Line 3, sku: no product has the SKU GHOST" in imported.text
    assert (
        len((await client.get(f"/api/price-lists/{base}", headers=s["admin"])).json()["items"]) == 2
    )
