"""CSRF for cookie sessions, strict bodies, size limits, and no stack traces."""

from __future__ import annotations

from sqlalchemy import func, select

from server.app import create_app
from server.db.engine import Database
from server.db.models import User
from tests.conftest import api_client
from tests.factories import bearer, login, make_user


async def _user_count(db) -> int:
    async with db.read() as unit:
        return int(await unit.session.scalar(select(func.count()).select_from(User)))


async def test_cookie_authenticated_post_without_csrf_token_is_refused(browser, db):
    client = browser
    await make_user(db, role="admin", email="boss@example.com")
    await login(client, "boss@example.com")  # the client now holds the session cookies
    body = {
        "email": "new@example.com",
        "full_name": "New Rep",
        "role": "rep",
        "password": "12345678",
    }
    before = await _user_count(db)

    refused = await client.post("/api/users", json=body)
    assert refused.status_code == 403
    assert await _user_count(db) == before

    await client.get("/api/auth/me")  # a safe request hands out the CSRF cookie
    token = client.cookies.get("fs_csrf")
    assert token
    accepted = await client.post("/api/users", json=body, headers={"x-csrf-token": token})
    assert accepted.status_code == 201, accepted.text
    assert await _user_count(db) == before + 1


async def test_a_bearer_token_client_is_sent_no_csrf_cookie_and_a_browser_is(client, browser, db):
    await make_user(db, role="admin", email="boss@example.com")
    token = bearer(await login(client, "boss@example.com"))
    api = await client.get("/api/auth/me", headers=token)
    assert api.status_code == 200
    assert "fs_csrf" not in api.headers.get("set-cookie", "")
    await login(browser, "boss@example.com")
    for cookie in [c for c in browser.cookies.jar if c.name == "fs_csrf"]:
        browser.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
    page = await browser.get("/api/auth/me")
    assert page.status_code == 200
    assert "fs_csrf=" in page.headers.get("set-cookie", "")


async def test_unknown_fields_are_refused_and_nothing_is_written(client, db):
    await make_user(db, role="admin", email="boss@example.com")
    tokens = await login(client, "boss@example.com")
    before = await _user_count(db)
    response = await client.post(
        "/api/users",
        headers=bearer(tokens),
        json={
            "email": "n@example.com",
            "full_name": "N",
            "role": "rep",
            "password": "12345678",
            "is_admin": True,
        },
    )
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "invalid_request" and "is_admin" in response.text
    assert await _user_count(db) == before


async def test_oversized_body_is_refused_and_nothing_is_written(backend, db):
    app = create_app(backend.settings(max_body_bytes=2048), db)
    await make_user(db, role="admin", email="boss@example.com")
    async with api_client(app) as client:
        tokens = await login(client, "boss@example.com")
        before = await _user_count(db)
        response = await client.post(
            "/api/users",
            headers=bearer(tokens),
            json={
                "email": "n@example.com",
                "full_name": "N" * 5000,
                "role": "rep",
                "password": "12345678",
            },
        )
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert await _user_count(db) == before


async def test_an_unexpected_failure_answers_500_without_a_stack_trace(backend, tmp_path):
    # A database without the schema makes every query fail inside the handler.
    broken = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    app = create_app(backend.settings(), broken)
    async with api_client(app) as client:
        response = await client.post(
            "/api/auth/login", json={"email": "a@example.com", "password": "x"}
        )
        ready = await client.get("/readyz")
    await broken.dispose()
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "Traceback" not in response.text and "sqlite" not in response.text.lower()
    assert ready.status_code == 503


async def test_security_headers_are_set(client):
    response = await client.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_documents_and_the_worker_carry_the_policy_and_static_files_only_nosniff(client):
    # A policy governs documents and workers; on a script or a style it governs nothing and
    # costs a phone its bytes on every file of a first load.
    for path in ("/login", "/sw.js"):
        answer = await client.get(path)
        assert answer.status_code == 200, path
        assert "script-src 'self'" in answer.headers["content-security-policy"], path
        assert answer.headers["x-frame-options"] == "DENY", path
    for path in ("/static/js/store.js", "/static/app.css", "/static/icons/icon-192.png"):
        answer = await client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers.get("etag"), path  # revalidation still works by ETag
        # Kept: without it a browser revalidates each module it just fetched.
        assert answer.headers.get("last-modified"), path
        for dropped in ("content-security-policy", "x-frame-options", "content-disposition"):
            assert dropped not in answer.headers, (path, dropped)


async def test_request_log_never_contains_tokens_cookies_or_passwords(client, db, caplog):
    import logging

    await make_user(db, role="admin", email="boss@example.com")
    with caplog.at_level(logging.DEBUG):
        tokens = await login(client, "boss@example.com")
        await client.get("/api/auth/me", headers=bearer(tokens))
        await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/api/auth/me" in logged  # the access log is on
    for secret in (tokens["access_token"], tokens["refresh_token"], "correct horse battery"):
        assert secret not in logged


GUARDED_PATHS = [
    "/api/users",
    "/api/users/00000000-0000-4000-8000-000000000000",
    "/api/realignments",
    "/api/realignments/00000000-0000-4000-8000-000000000000",
    "/api/realignments/00000000-0000-4000-8000-000000000000/apply",
    "/api/realignments/00000000-0000-4000-8000-000000000000/preview",
    "/api/territory-assignments",
    "/api/territory-assignments/00000000-0000-4000-8000-000000000000/end",
    "/api/territory-rules",
    "/api/territory-rules/00000000-0000-4000-8000-000000000000",
]


async def test_options_without_a_session_answers_the_allowed_methods_on_guarded_routes(
    client, caplog
):
    import logging

    with caplog.at_level(logging.ERROR):
        answers = {path: await client.options(path) for path in GUARDED_PATHS}
    assert {path: r.status_code for path, r in answers.items()} == dict.fromkeys(GUARDED_PATHS, 204)
    assert all("OPTIONS" in r.headers["allow"] for r in answers.values())
    assert "Traceback" not in caplog.text
    # The methods themselves still need the role.
    assert (await client.get("/api/users")).status_code == 401


async def test_a_csrf_token_of_another_session_is_refused(app, db):
    from tests.conftest import browser_client

    await make_user(db, role="admin", email="boss@example.com")
    await make_user(db, role="rep", email="mallory@example.com")
    body = {
        "email": "new@example.com",
        "full_name": "New Rep",
        "role": "rep",
        "password": "12345678",
    }
    async with browser_client(app) as victim, browser_client(app) as attacker:
        for browser, email in ((victim, "boss@example.com"), (attacker, "mallory@example.com")):
            await login(browser, email)
            await browser.get("/api/auth/me")
        own, planted = victim.cookies.get("fs_csrf"), attacker.cookies.get("fs_csrf")
        assert own and planted and own != planted

        # The attacker's own valid token and cookie, planted in the victim's browser.
        victim.cookies.set("fs_csrf", planted, domain="testserver.local", path="/")
        refused = await victim.post("/api/users", json=body, headers={"x-csrf-token": planted})
        assert refused.status_code == 403
        assert await _user_count(db) == 2

        victim.cookies.set("fs_csrf", own, domain="testserver.local", path="/")
        accepted = await victim.post("/api/users", json=body, headers={"x-csrf-token": own})
        assert accepted.status_code == 201, accepted.text


async def test_the_login_form_posted_from_another_site_signs_nobody_in(browser, db):
    await make_user(db, email="ana@example.com")
    forged = await browser.post(
        "/login", data={"email": "ana@example.com", "password": "correct horse battery"}
    )
    assert forged.status_code == 403
    assert not any(
        c.startswith(("fs_access=", "fs_refresh=")) for c in forged.headers.get_list("set-cookie")
    )
    # Nor through the API's login, with JSON sent as a form's plain text.
    text = await browser.post(
        "/api/auth/login",
        headers={"content-type": "text/plain"},
        content=b'{"email": "ana@example.com", "password": "correct horse battery", "device_name": "="}',
    )
    assert text.status_code == 415 and not text.headers.get_list("set-cookie")
    # A token of the browser's own, from the login page, is what the form sends.
    await browser.get("/login")
    ok = await browser.post(
        "/login",
        data={
            "email": "ana@example.com",
            "password": "correct horse battery",
            "_csrf_token": browser.cookies.get("fs_csrf"),
        },
    )
    assert ok.status_code == 303


def _cookie_flags(response) -> dict[str, bool]:
    return {c.split("=", 1)[0]: "Secure" in c for c in response.headers.get_list("set-cookie")}


async def test_cookies_are_secure_and_hsts_is_sent_over_https_through_a_trusted_proxy(backend, db):
    from tests.conftest import browser_client

    await make_user(db, email="ana@example.com")
    https = {"X-Forwarded-Proto": "https"}
    app = create_app(backend.settings(forwarded_allow_ips=("127.0.0.1",)), db)
    async with browser_client(app) as browser:
        page = await browser.get("/login", headers=https)
        assert _cookie_flags(page) == {"fs_csrf": True}
        assert page.headers["strict-transport-security"].startswith("max-age=")
        token = browser.cookies.get("fs_csrf")
        # The test client speaks http to the app, so it holds back Secure cookies itself.
        signed_in = await browser.post(
            "/login",
            headers={**https, "cookie": f"fs_csrf={token}"},
            data={
                "email": "ana@example.com",
                "password": "correct horse battery",
                "_csrf_token": token,
            },
        )
        assert signed_in.status_code == 303
        flags = _cookie_flags(signed_in)
        assert (
            flags["fs_access"] and flags["fs_refresh"] and flags["fs_csrf"] and flags["fs_device"]
        )

    # From a peer that is not a trusted proxy, the header is not believed.
    untrusted = create_app(backend.settings(), db)
    async with browser_client(untrusted) as browser:
        page = await browser.get("/login", headers=https)
        assert _cookie_flags(page) == {"fs_csrf": False}
        assert "strict-transport-security" not in page.headers

    # Configured to: Secure whatever the request says.
    always = create_app(backend.settings(secure_cookies=True), db)
    async with browser_client(always) as browser:
        assert _cookie_flags(await browser.get("/login")) == {"fs_csrf": True}
