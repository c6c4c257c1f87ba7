"""The browser's way in: login page, session cookies, home page, logout."""

from __future__ import annotations

from tests.factories import PASSWORD, make_user


async def _login_form(browser, email: str, password: str):
    page = await browser.get("/login")
    token = browser.cookies.get("fs_csrf")
    return await browser.post(
        "/login",
        data={"email": email, "password": password, "next": "/", "_csrf_token": token or ""},
    ), page


async def test_a_page_without_a_session_redirects_to_login(browser):
    response = await browser.get("/")
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login")


async def test_login_form_sets_httponly_cookies_and_shows_home(browser, db):
    await make_user(db, role="manager", email="max@example.com", name="Max Mustermann")
    response, page = await _login_form(browser, "max@example.com", PASSWORD)
    assert page.status_code == 200 and 'name="password"' in page.text
    assert response.status_code == 303
    set_cookies = response.headers.get_list("set-cookie")
    access = next(c for c in set_cookies if c.startswith("fs_access="))
    assert "HttpOnly" in access and "SameSite=lax" in access
    home = await browser.get("/")
    assert home.status_code == 200 and "Hello, Max" in home.text and "Territories" in home.text


async def test_login_form_with_a_wrong_password_explains_and_sets_no_session(browser, db):
    await make_user(db, email="ana@example.com")
    response, _ = await _login_form(browser, "ana@example.com", "wrong")
    assert response.status_code == 401
    assert "not correct" in response.text
    assert browser.cookies.get("fs_access") is None


async def test_logout_ends_the_browser_session(browser, db):
    await make_user(db, email="ana@example.com")
    await _login_form(browser, "ana@example.com", PASSWORD)
    await browser.get("/")
    out = await browser.post("/logout", data={"_csrf_token": browser.cookies.get("fs_csrf")})
    assert out.status_code == 303
    assert (await browser.get("/")).status_code in (302, 303)


async def test_unknown_page_shows_an_html_error_page(browser, db):
    await make_user(db, email="ana@example.com")
    await _login_form(browser, "ana@example.com", PASSWORD)
    response = await browser.get("/no-such-page")
    assert response.status_code == 404
    assert (
        "text/html" in response.headers["content-type"]
        and "Nothing was found here" in response.text
    )


async def test_htmx_requests_get_an_error_fragment_not_a_page(browser, db):
    await make_user(db, email="ana@example.com")
    await _login_form(browser, "ana@example.com", PASSWORD)
    response = await browser.get(
        "/customers/00000000-0000-4000-8000-000000000000", headers={"hx-request": "true"}
    )
    assert response.status_code == 404
    assert "<html" not in response.text and 'role="alert"' in response.text
