"""The manager's territory pages in a browser session: tree, territory, forms, realignment."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from server.db.models import Customer, TerritoryRule
from tests.factories import PASSWORD
from tests.integration.test_territories_api import World, _since, _today, add_customers, build_world


async def _log_in(browser: httpx.AsyncClient, email: str) -> None:
    await browser.get("/login")
    response = await browser.post(
        "/login",
        data={
            "email": email,
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": browser.cookies.get("fs_csrf") or "",
        },
    )
    assert response.status_code == 303, response.text


def _csrf(browser: httpx.AsyncClient) -> dict[str, str]:
    return {"_csrf_token": browser.cookies.get("fs_csrf") or ""}


async def _world(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, db: Any
) -> tuple[World, dict[str, str]]:
    world = await build_world(client, db)
    customers = await add_customers(db, world)
    await _log_in(browser, "max@t.test")
    return world, customers


async def test_tree_page_shows_territories_owners_and_the_unassigned_count(client, browser, db):
    await _world(client, browser, db)
    page = await browser.get("/territories")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "North" in page.text and "South" in page.text and "Rita Rep" in page.text
    assert 'data-testid="unassigned-count">1<' in page.text
    assert "East" not in page.text  # another manager's region
    unassigned = await browser.get("/territories/unassigned")
    assert unassigned.status_code == 200 and "Lone Star Supply" in unassigned.text


async def test_territory_page_lists_rules_assignments_with_dates_and_customer_count(
    client, browser, db
):
    world, _ = await _world(client, browser, db)
    page = await browser.get(f"/territories/{world.ids['north']}")
    assert page.status_code == 200
    assert "state WA" in page.text and "Rita Rep" in page.text
    assert 'data-testid="customer-count">1<' in page.text
    assert (
        f"from {_since().isoformat()} to open end" in page.text
        and 'name="_csrf_token"' in page.text
    )
    assert 'for="r-country"' in page.text  # labelled inputs


async def test_rule_form_adds_a_rule_and_a_refused_form_explains_why(client, browser, db):
    world, _ = await _world(client, browser, db)
    north = world.ids["north"]
    added = await browser.post(
        f"/territories/{north}/rules",
        data={
            **_csrf(browser),
            "country": "US",
            "state": "",
            "postal_exact": "",
            "postal_prefix": "983",
            "postal_from": "",
            "postal_to": "",
        },
    )
    assert added.status_code == 303 and added.headers["location"] == f"/territories/{north}"
    page = await browser.get(f"/territories/{north}")
    assert "postal codes starting 983" in page.text
    refused = await browser.post(
        f"/territories/{north}/rules",
        data={**_csrf(browser), "country": "US", "postal_exact": "98101", "postal_prefix": "98"},
    )
    assert refused.status_code == 422 and "one postal criterion" in refused.text
    async with db.read() as unit:
        prefixes = (
            (
                await unit.session.execute(
                    select(TerritoryRule.postal_prefix).where(TerritoryRule.territory_id == north)
                )
            )
            .scalars()
            .all()
        )
    assert sorted(p for p in prefixes if p) == ["983"]


async def test_handover_form_leads_to_a_preview_and_htmx_apply_moves_the_customers(
    client, browser, db
):
    world, customers = await _world(client, browser, db)
    drafted = await browser.post(
        f"/territories/{world.ids['north']}/handover",
        data={
            **_csrf(browser),
            "new_owner_id": world.ids["user_rep2"],
            "effective_on": _today().isoformat(),
            "description": "Rita moves to key accounts",
        },
    )
    assert drafted.status_code == 303 and drafted.headers["location"].startswith(
        "/territories/realignments/"
    )
    preview = await browser.get(drafted.headers["location"])
    assert preview.status_code == 200
    assert "Rita moves to key accounts" in preview.text and "Acme Seattle" in preview.text
    assert (
        "Rita Rep → Rob Rep" in preview.text and 'data-testid="open-documents">0<' in preview.text
    )
    assert 'hx-post="' + drafted.headers["location"] + '/apply"' in preview.text

    asked = await browser.post(
        drafted.headers["location"] + "/apply", data=_csrf(browser), headers={"hx-request": "true"}
    )
    assert asked.status_code == 200 and 'data-testid="confirm-apply"' in asked.text
    assert 'data-testid="confirm-customers">1<' in asked.text
    async with db.read() as unit:
        still = await unit.session.get(Customer, customers["acme"])
    assert still is not None and still.owner_id != world.ids["user_rep2"]  # asked, not applied

    applied = await browser.post(
        drafted.headers["location"] + "/apply",
        data={**_csrf(browser), "confirm_moves": "1:0"},
        headers={"hx-request": "true"},
    )
    assert applied.status_code == 200 and "<html" not in applied.text
    assert (
        'data-testid="status">applied<' in applied.text and "Apply realignment" not in applied.text
    )
    async with db.read() as unit:
        acme = await unit.session.get(Customer, customers["acme"])
    assert acme is not None and acme.owner_id == world.ids["user_rep2"]
    again = await browser.post(
        drafted.headers["location"] + "/apply",
        data={**_csrf(browser), "confirm_moves": "1:0"},
        headers={"hx-request": "true"},
    )
    assert "already applied" in again.text


async def test_reps_get_no_territory_pages(client, browser, db):
    await build_world(client, db)
    await _log_in(browser, "rita@t.test")
    page = await browser.get("/territories")
    assert page.status_code == 403 and "text/html" in page.headers["content-type"]
