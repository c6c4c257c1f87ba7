"""No secret reaches the logs.

A whole session is played with every log record kept, at DEBUG: an API login, a refresh,
API calls, a sync push, a refused request, a failed login, a user created with a password,
a browser login with its cookies and CSRF token, a page form post, logouts. Then every
record (message, arguments, traceback) is searched for the access and refresh tokens (and
their signatures alone), the session cookies, the CSRF tokens and the passwords.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from server.app import create_app
from server.security.auth import ACCESS_COOKIE, REFRESH_COOKIE
from tests.conftest import api_client, browser_client
from tests.factories import PASSWORD, bearer, customer_body, seed_world

WRONG_PASSWORD = "hunter2-but-longer"
NEW_USER_PASSWORD = "a brand new passphrase"


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        self.lines.append(repr(record.args))
        self.lines.append(repr({k: v for k, v in vars(record).items() if k not in ("args", "msg")}))


@contextmanager
def _every_record() -> Iterator[_Keep]:
    """Every record from now on, whatever handlers the app's logging set up."""
    keep = _Keep()
    root = logging.getLogger()
    level = root.level
    root.addHandler(keep)
    root.setLevel(logging.DEBUG)
    try:
        yield keep
    finally:
        root.removeHandler(keep)
        root.setLevel(level)


async def test_a_whole_session_leaves_no_token_cookie_csrf_token_or_password_in_the_logs(
    backend, db
):
    await seed_world(db)
    # Made first: creating the app configures logging, which replaces the root's handlers.
    app = create_app(backend.settings(log_level="DEBUG"), db)
    with _every_record() as kept_logs:
        await _play_a_session(app, kept_logs)


async def _play_a_session(app, kept_logs: _Keep) -> None:  # type: ignore[no-untyped-def]
    secrets: dict[str, str] = {"password": PASSWORD, "wrong password": WRONG_PASSWORD}
    async with api_client(app) as client:
        failed = await client.post(
            "/api/auth/login", json={"email": "rep1@corp.test", "password": WRONG_PASSWORD}
        )
        assert failed.status_code == 401
        tokens = (
            await client.post(
                "/api/auth/login", json={"email": "rep1@corp.test", "password": PASSWORD}
            )
        ).json()
        rotated = (
            await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        ).json()
        rep = bearer(rotated)
        assert (await client.get("/api/customers", headers=rep)).status_code == 200
        assert (await client.get("/api/auth/me", headers=rep)).status_code == 200
        # A refused request that carries a token: the refusal is logged, the token is not.
        stale = await client.get("/api/customers", headers=bearer(tokens) | {"x-debug": "1"})
        assert stale.status_code in (200, 401)
        device = (await client.post("/api/sync/v1/devices", json={}, headers=rep)).json()
        push = await client.post(
            "/api/sync/v1/push",
            json={
                "protocol": 1,
                "schema_version": 1,
                "device_id": device["device_id"],
                "mutations": [
                    {
                        "seq": 1,
                        "type": "customer.create",
                        "entity_id": "01900000-0000-7000-8000-0000000000ab",
                        "args": customer_body("Logged Lumber"),
                    }
                ],
            },
            headers=rep,
        )
        assert push.status_code == 200, push.text
        assert (await client.get("/api/sync/v1/pull", headers=rep)).status_code == 200

        admin_tokens = (
            await client.post(
                "/api/auth/login", json={"email": "admin@corp.test", "password": PASSWORD}
            )
        ).json()
        created = await client.post(
            "/api/users",
            json={
                "email": "new@corp.test",
                "full_name": "New Person",
                "role": "rep",
                "password": NEW_USER_PASSWORD,
            },
            headers=bearer(admin_tokens),
        )
        assert created.status_code == 201, created.text
        short = await client.post(
            "/api/users",
            json={"email": "s@corp.test", "full_name": "S", "role": "rep", "password": "short"},
            headers=bearer(admin_tokens),
        )
        assert short.status_code == 400 and "short" not in short.text.replace("too short", "")
        secrets["new user's password"] = NEW_USER_PASSWORD
        integration = await client.post(
            "/api/integrations",
            json={"name": "Ledger", "scopes": ["orders:read"]},
            headers=bearer(admin_tokens),
        )
        assert integration.status_code == 201, integration.text
        api_token = integration.json()["token"]
        used = await client.get("/api/orders", headers={"Authorization": f"Bearer {api_token}"})
        assert used.status_code == 200
        secrets["API token"] = api_token
        logout = await client.post(
            "/api/auth/logout", json={"refresh_token": rotated["refresh_token"]}
        )
        assert logout.status_code == 200
        after = await client.get("/api/customers", headers=rep)
        assert after.status_code == 401
        for name, bundle in (("first", tokens), ("rotated", rotated), ("admin", admin_tokens)):
            secrets[f"{name} access token"] = bundle["access_token"]
            secrets[f"{name} access token's signature"] = bundle["access_token"].rsplit(".", 1)[1]
            secrets[f"{name} refresh token"] = bundle["refresh_token"]

    async with browser_client(app) as browser:
        await browser.get("/login")
        csrf = browser.cookies.get("fs_csrf") or ""
        signed_in = await browser.post(
            "/login",
            data={
                "email": "manager@corp.test",
                "password": PASSWORD,
                "next": "/",
                "_csrf_token": csrf,
            },
        )
        assert signed_in.status_code == 303
        assert (await browser.get("/customers")).status_code == 200
        refused = await browser.post("/customers/new", data={"legal_name": "No CSRF"})
        assert refused.status_code == 403
        for name in (ACCESS_COOKIE, REFRESH_COOKIE, "fs_csrf"):
            value = browser.cookies.get(name)
            assert value, name
            secrets[f"cookie {name}"] = value
        secrets["form CSRF token"] = csrf
        out = await browser.post("/logout", data={"_csrf_token": browser.cookies.get("fs_csrf")})
        assert out.status_code == 303

    logged = "\n".join(kept_logs.lines)
    assert "/api/auth/login" in logged and "/api/sync/v1/push" in logged  # the session was logged
    found = sorted(name for name, value in secrets.items() if value and value in logged)
    assert found == [], f"secrets in the logs: {found}"
