"""The rep's customer pages on a phone: search, detail, onboarding with the duplicate prompt."""

from __future__ import annotations

from sqlalchemy import func, select

from server.db.models import Customer
from tests.factories import PASSWORD, seed_world


async def _login(browser, email: str) -> None:
    await browser.get("/login")
    response = await browser.post(
        "/login",
        data={
            "email": email,
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": browser.cookies.get("fs_csrf"),
        },
    )
    assert response.status_code == 303


def _form(**values: str) -> dict[str, str]:
    base = {
        "legal_name": "Harbor View Bistro",
        "contact_name": "Pat Buyer",
        "email": "pat@harbor.test",
        "phone": "+1 206 555 0199",
        "street": "1 Pier Way",
        "city": "Seattle",
        "state": "WA",
        "postal_code": "98101",
        "country": "US",
    }
    base.update(values)
    return base


async def test_onboarding_form_creates_then_prompts_on_a_duplicate(browser, db):
    await seed_world(db)
    await _login(browser, "rep1@corp.test")
    page = await browser.get("/customers/new")
    assert page.status_code == 200 and 'for="f-legal_name"' in page.text
    csrf = {"_csrf_token": browser.cookies.get("fs_csrf")}

    created = await browser.post("/customers/new", data={**_form(), **csrf})
    assert created.status_code == 303
    detail = await browser.get(created.headers["location"])
    assert (
        "Harbor View Bistro" in detail.text and "North" in detail.text and "Rita Rep" in detail.text
    )

    duplicate = await browser.post(
        "/customers/new", data={**_form(legal_name="Harbor View Bistro Inc"), **csrf}
    )
    assert duplicate.status_code == 409 and duplicate.headers["content-type"].startswith(
        "text/html"
    )
    assert "may already exist" in duplicate.text and "name and postal code" in duplicate.text
    confirmed = await browser.post(
        "/customers/new",
        data={**_form(legal_name="Harbor View Bistro Inc"), "confirm_new": "1", **csrf},
    )
    assert confirmed.status_code == 303
    async with db.read() as unit:
        assert await unit.session.scalar(select(func.count()).select_from(Customer)) == 2


async def test_onboarding_form_shows_inline_errors_and_writes_nothing(browser, db):
    await seed_world(db)
    await _login(browser, "rep1@corp.test")
    await browser.get("/customers/new")
    response = await browser.post(
        "/customers/new",
        data={**_form(country="USA"), "_csrf_token": browser.cookies.get("fs_csrf")},
    )
    assert response.status_code == 422 and 'aria-invalid="true"' in response.text
    async with db.read() as unit:
        assert await unit.session.scalar(select(func.count()).select_from(Customer)) == 0


async def test_customer_search_page_and_live_results_fragment(browser, db):
    await seed_world(db)
    await _login(browser, "rep1@corp.test")
    await browser.get("/customers/new")
    await browser.post(
        "/customers/new", data={**_form(), "_csrf_token": browser.cookies.get("fs_csrf")}
    )
    full = await browser.get("/customers", params={"q": "harbor"})
    assert full.status_code == 200 and "<html" in full.text and "Harbor View Bistro" in full.text
    fragment = await browser.get(
        "/customers", params={"q": "nothing-like-it"}, headers={"hx-request": "true"}
    )
    assert "<html" not in fragment.text and "No customer matches" in fragment.text


async def test_customer_search_page_ranks_like_the_api_and_refuses_an_overlong_search(browser, db):
    await seed_world(db)
    await _login(browser, "rep1@corp.test")
    await browser.get("/customers/new")
    csrf = {"_csrf_token": browser.cookies.get("fs_csrf")}
    for name, phone in [
        ("Acme Corner Supplies", "+1 206 555 5555"),
        ("Corner Store", "+1 206 555 0155"),
    ]:
        made = await browser.post(
            "/customers/new",
            data={**_form(legal_name=name, phone=phone, email=""), "confirm_new": "1", **csrf},
        )
        assert made.status_code == 303, made.text[:300]
    page = await browser.get("/customers", params={"q": "corner"}, headers={"hx-request": "true"})
    assert page.status_code == 200 and page.text.index("Corner Store") < page.text.index(
        "Acme Corner Supplies"
    )
    digit = await browser.get(
        "/customers", params={"q": "Corner Store 5 xyz"}, headers={"hx-request": "true"}
    )
    assert "No customer matches" in digit.text
    for q in ("x" * 201, "x" * 50_001):
        refused = await browser.get("/customers", params={"q": q})
        assert refused.status_code == 422 and "text/html" in refused.headers["content-type"]
        assert "200 characters" in refused.text
