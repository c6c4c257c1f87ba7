"""Forged, stale and revoked tokens get nothing, wherever they are presented.

tests/integration/test_auth_tokens.py shows each kind of bad token refused by /api/auth/me
with a bearer header. Here the same attacks, and the ones it does not try (a token not yet
valid, another algorithm, a missing expiry, a wrong `typ`, an escalated role claim, a
token of a user who does not exist), are presented on data routes, the sync feed and the
pages, as a bearer header and as the session cookie: each is 401 (pages: a redirect to the
login page) and no customer data is in the answer.
"""

from __future__ import annotations

import time
import uuid
import warnings
from typing import Any

import httpx
import jwt

from server.security.auth import ACCESS_COOKIE, REFRESH_COOKIE
from tests.conftest import TEST_SECRET, api_client, browser_client
from tests.factories import bearer, login, make_user, seed_world
from tests.sales_factories import create_customer

SECRET_MARKER = "Confidential Kitchens"
# What a stolen or forged token would be used for: reading customers, pulling the phone's
# data, pushing changes, and the pages.
API_TARGETS = [
    ("GET", "/api/customers", None),
    ("GET", "/api/orders", None),
    ("GET", "/api/sync/v1/pull", None),
    ("POST", "/api/sync/v1/devices", {"name": "stolen phone"}),
]
PAGE_TARGETS = ["/customers", "/orders"]


def _claims(user_id: str, session_id: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user_id,
        "iat": now,
        "exp": now + 300,
        "iss": "fieldsales",
        "aud": "fieldsales-api",
        "typ": "access",
        "role": "rep",
        "sid": session_id,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims: dict[str, Any], *, key: str = TEST_SECRET, algorithm: str = "HS256") -> str:
    with warnings.catch_warnings():
        # HS512 with the server's own (shorter) key is the point of one attack.
        warnings.simplefilter("ignore")
        return jwt.encode(claims, key, algorithm=algorithm)


async def _assert_refused_everywhere(app, token: str, name: str) -> None:  # type: ignore[no-untyped-def]
    async with api_client(app) as client:
        for method, path, body in API_TARGETS:
            for how in ("bearer", "cookie"):
                headers = (
                    {"Authorization": f"Bearer {token}"}
                    if how == "bearer"
                    else {"cookie": f"{ACCESS_COOKIE}={token}"}
                )
                answer = await client.request(method, path, json=body, headers=headers)
                assert answer.status_code == 401, (name, how, path, answer.text)
                assert answer.json()["code"] == "not_authenticated", (name, how, path)
                assert SECRET_MARKER not in answer.text
    async with browser_client(app) as browser:
        browser.cookies.set(ACCESS_COOKIE, token)
        for path in PAGE_TARGETS:
            answer = await browser.get(path)
            assert answer.status_code in (302, 303), (name, path, answer.status_code)
            assert answer.headers["location"].startswith("/login"), (name, path)
            assert SECRET_MARKER not in answer.text


async def _rep_with_a_customer(client: httpx.AsyncClient, db) -> tuple[Any, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """A new rep, with no territory yet (so an admin may deactivate them), and the prospect
    they onboarded, which they alone of the reps may see."""
    await seed_world(db)
    rep = await make_user(db, role="rep", email="nia@corp.test", name="Nia New")
    tokens = await login(client, "nia@corp.test")
    await create_customer(client, bearer(tokens), SECRET_MARKER, status="prospect")
    return rep, tokens


def _session_of(access_token: str) -> str:
    payload = jwt.decode(access_token, options={"verify_signature": False})
    return str(payload.get("sid") or payload["extras"]["sid"])


async def test_forged_and_malformed_access_tokens_get_nothing_anywhere(app, client, db):
    user, tokens = await _rep_with_a_customer(client, db)
    admin = await login(client, "admin@corp.test")
    sid = _session_of(tokens["access_token"])
    rep = user.id
    now = int(time.time())
    forged = {
        "not_yet_valid": _sign(_claims(rep, sid, nbf=now + 600)),
        "issued_in_the_future_and_not_yet_valid": _sign(
            _claims(rep, sid, iat=now + 600, nbf=now + 600)
        ),
        "expired": _sign(_claims(rep, sid, iat=now - 4000, exp=now - 3600)),
        "no_expiry": _sign(_claims(rep, sid, exp=None)),
        "no_audience": _sign(_claims(rep, sid, aud=None)),
        "wrong_audience": _sign(_claims(rep, sid, aud="another-app")),
        "audience_list_with_ours_and_another": _sign(
            _claims(rep, sid, aud=["fieldsales-api", "another-app"])
        ),
        "wrong_issuer": _sign(_claims(rep, sid, iss="someone-else")),
        "no_type": _sign(_claims(rep, sid, typ=None)),
        "id_token_type": _sign(_claims(rep, sid, typ="id")),
        "refresh_type": _sign(_claims(rep, sid, typ="refresh")),
        "alg_none": jwt.encode(_claims(rep, sid), None, algorithm="none"),
        "alg_none_with_signature_kept": jwt.encode(_claims(rep, sid), None, algorithm="none")
        + tokens["access_token"].rsplit(".", 1)[1],
        "other_algorithm_same_key": _sign(_claims(rep, sid), algorithm="HS512"),
        "wrong_key": _sign(_claims(rep, sid), key="another-secret-" + "y" * 40),
        "escalated_role": _sign(_claims(rep, sid, role="admin")),
        "unknown_user": _sign(_claims("01900000-0000-7000-8000-00000000dead", sid)),
        # Signed with the real key, but naming a session that never existed, or another
        # user's session: refused like an ended one.
        "session_that_never_existed": _sign(_claims(rep, str(uuid.uuid4()))),
        "another_users_session": _sign(_claims(rep, _session_of(admin["access_token"]))),
        "refresh_token_as_access_token": tokens["refresh_token"],
        "garbage": "not.a.token",
        "empty": "",
    }
    # The control: the same claims, signed as the server signs them, are let in.
    control = _sign(_claims(rep, sid))
    async with api_client(app) as other:
        ok = await other.get("/api/customers", headers={"Authorization": f"Bearer {control}"})
    assert ok.status_code == 200 and SECRET_MARKER in ok.text
    for name, token in forged.items():
        await _assert_refused_everywhere(app, token, name)


async def test_refresh_only_accepts_live_refresh_tokens(client, db):
    _, tokens = await _rep_with_a_customer(client, db)
    for name, token in {
        "an access token": tokens["access_token"],
        "a forged refresh token": tokens["refresh_token"][:-6] + "AAAAAA",
        "an empty one": "",
    }.items():
        answer = await client.post("/api/auth/refresh", json={"refresh_token": token})
        assert answer.status_code == 401, name
        assert "access_token" not in answer.text, name
    # The real one still works: the refusals spent nothing.
    fresh = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert fresh.status_code == 200


async def test_after_logout_neither_token_of_the_session_gets_anything(app, client, db):
    _, tokens = await _rep_with_a_customer(client, db)
    rotated = (
        await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).json()
    assert (
        await client.post("/api/auth/logout", json={"refresh_token": rotated["refresh_token"]})
    ).status_code == 200

    for refresh in (tokens["refresh_token"], rotated["refresh_token"]):
        again = await client.post("/api/auth/refresh", json={"refresh_token": refresh})
        assert again.status_code == 401 and "access_token" not in again.text
    for access in (tokens["access_token"], rotated["access_token"]):
        await _assert_refused_everywhere(app, access, "logged out")


async def test_a_reused_rotated_refresh_token_ends_the_session_everywhere(app, client, db):
    _, tokens = await _rep_with_a_customer(client, db)
    rotated = (
        await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).json()
    stolen = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert stolen.status_code == 401 and "access_token" not in stolen.text

    await _assert_refused_everywhere(app, rotated["access_token"], "family revoked")
    after = await client.post("/api/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert after.status_code == 401


async def test_a_deactivated_users_tokens_and_browser_session_get_nothing(app, client, db):
    user, tokens = await _rep_with_a_customer(client, db)
    admin = bearer(await login(client, "admin@corp.test"))
    async with browser_client(app) as browser:
        await browser.get("/login")
        signed_in = await browser.post(
            "/login",
            data={
                "email": "nia@corp.test",
                "password": "correct horse battery",
                "next": "/",
                "_csrf_token": browser.cookies.get("fs_csrf") or "",
            },
        )
        assert signed_in.status_code == 303
        assert SECRET_MARKER in (await browser.get("/customers")).text
        cookie_token = browser.cookies.get(ACCESS_COOKIE)
        cookie_refresh = browser.cookies.get(REFRESH_COOKIE)

        answer = await client.patch(f"/api/users/{user.id}", json={"active": False}, headers=admin)
        assert answer.status_code == 200 and answer.json()["active"] is False

        page = await browser.get("/customers")
        assert page.status_code in (302, 303) and SECRET_MARKER not in page.text
    assert cookie_token and cookie_refresh
    for token in (tokens["access_token"], cookie_token):
        await _assert_refused_everywhere(app, token, "deactivated")
    for refresh in (tokens["refresh_token"], cookie_refresh):
        again = await client.post("/api/auth/refresh", json={"refresh_token": refresh})
        assert again.status_code == 401 and "access_token" not in again.text


async def test_logging_out_with_only_the_access_token_ends_the_session(app, client, db):
    _, tokens = await _rep_with_a_customer(client, db)
    out = await client.post("/api/auth/logout", headers=bearer(tokens))
    assert out.status_code == 200

    await _assert_refused_everywhere(app, tokens["access_token"], "logged out by access token")
    again = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401 and "access_token" not in again.text
