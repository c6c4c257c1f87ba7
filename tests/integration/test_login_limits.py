"""Login limits: per client address as the trusted proxies report it, shared by every
server process, and per account with a back-off that spares the user's own devices."""

from __future__ import annotations

from server.app import create_app
from server.db.engine import Database
from tests.conftest import api_client
from tests.factories import PASSWORD, make_user

PROXY = "127.0.0.1"  # where the test client's requests come from


def _attempt(
    client, email: str, password: str = "wrong", *, via: str | None = None, **body: object
):
    headers = {"X-Forwarded-For": via} if via else {}
    return client.post(
        "/api/auth/login", json={"email": email, "password": password, **body}, headers=headers
    )


async def test_login_limit_ignores_forwarded_addresses_when_no_proxy_is_trusted(client, db):
    statuses = [
        (await _attempt(client, f"who{i}@example.com", via=f"198.51.100.{i}")).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]


async def test_login_limit_counts_each_client_behind_a_trusted_proxy_apart(backend, db):
    await make_user(db, email="bob@example.com")
    app = create_app(backend.settings(forwarded_allow_ips=(PROXY,)), db)
    async with api_client(app) as client:
        # The proxy appends the address it saw: a forged left part changes nothing.
        guesses = [
            (
                await _attempt(client, f"who{i}@example.com", via=f"10.0.0.{i}, 203.0.113.9")
            ).status_code
            for i in range(11)
        ]
        assert guesses[:10] == [401] * 10 and guesses[10] == 429
        other_client = await _attempt(client, "bob@example.com", PASSWORD, via="198.51.100.7")
    assert other_client.status_code == 200, other_client.text


async def test_login_limit_is_shared_by_every_server_process(backend, db):
    # Two app instances with database handles of their own: two server processes.
    other_db = Database(backend.url)
    first, second = create_app(backend.settings(), db), create_app(backend.settings(), other_db)
    try:
        async with api_client(first) as one, api_client(second) as two:
            statuses = [
                (await _attempt(one if i % 2 else two, f"who{i}@example.com")).status_code
                for i in range(11)
            ]
    finally:
        await other_db.dispose()
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


async def test_guessing_an_account_from_many_addresses_backs_off_strangers_but_not_the_users_device(
    backend, db
):
    await make_user(db, email="ana@example.com")
    app = create_app(backend.settings(forwarded_allow_ips=(PROXY,)), db)
    async with api_client(app) as client:
        phone = await _attempt(client, "ana@example.com", PASSWORD, via="192.0.2.10")
        assert phone.status_code == 200
        device_token = phone.json()["device_token"]

        guesses = [
            (await _attempt(client, "ana@example.com", via=f"203.0.113.{i}")) for i in range(7)
        ]
        assert [g.status_code for g in guesses[:5]] == [401] * 5
        assert guesses[5].status_code == 429 and guesses[5].json()["code"] == "login_backoff"
        assert int(guesses[5].headers["retry-after"]) > 0
        # Even the right password from a client the account does not know waits.
        stranger = await _attempt(client, "ana@example.com", PASSWORD, via="203.0.113.99")
        assert stranger.status_code == 429

        # Ana's phone is known to her account: she is not locked out.
        again = await _attempt(
            client, "ana@example.com", PASSWORD, via="192.0.2.11", device_token=device_token
        )
        assert again.status_code == 200, again.text
        # A device token of another account does not help.
        await make_user(db, email="eve@example.com")
        eve = await _attempt(client, "eve@example.com", PASSWORD, via="203.0.113.50")
        for i in range(6):
            await _attempt(client, "ana@example.com", via=f"203.0.113.{100 + i}")
        borrowed = await _attempt(
            client,
            "ana@example.com",
            PASSWORD,
            via="203.0.113.51",
            device_token=eve.json()["device_token"],
        )
        assert borrowed.status_code == 429


async def test_the_login_page_backs_off_too_but_lets_the_users_browser_in(backend, db):
    from tests.conftest import browser_client

    await make_user(db, email="ana@example.com")
    app = create_app(backend.settings(forwarded_allow_ips=(PROXY,)), db)

    async def form_login(browser, password: str, via: str):
        await browser.get("/login")
        return await browser.post(
            "/login",
            headers={"X-Forwarded-For": via},
            data={
                "email": "ana@example.com",
                "password": password,
                "_csrf_token": browser.cookies.get("fs_csrf"),
            },
        )

    async with browser_client(app) as own, browser_client(app) as stranger:
        assert (await form_login(own, PASSWORD, "192.0.2.10")).status_code == 303
        for i in range(5):
            assert (await form_login(stranger, "wrong", f"203.0.113.{i}")).status_code == 401
        refused = await form_login(stranger, PASSWORD, "203.0.113.77")
        assert refused.status_code == 429 and "Too many failed logins" in refused.text
        assert (await form_login(own, PASSWORD, "192.0.2.12")).status_code == 303
