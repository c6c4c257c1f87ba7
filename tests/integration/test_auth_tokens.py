"""Login, refresh rotation, logout, and every way a token must be refused."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import func, select

from server.db.models import RefreshToken
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, bearer, login, make_user


def _session_of(tokens: dict[str, object]) -> str:
    payload = jwt.decode(str(tokens["access_token"]), options={"verify_signature": False})
    return str(payload.get("sid") or payload["extras"]["sid"])


def _claims(user_id: str, sid: str, **overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": user_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "iss": "fieldsales",
        "aud": "fieldsales-api",
        "typ": "access",
        "role": "rep",
        "sid": sid,
    }
    claims.update(overrides)
    return claims


async def test_login_returns_tokens_and_me_answers(client, db):
    user = await make_user(db, role="rep", email="ana@example.com")
    tokens = await login(client, "ANA@example.com ")
    assert tokens["token_type"] == "Bearer" and tokens["user"]["role"] == "rep"
    me = await client.get("/api/auth/me", headers=bearer(tokens))
    assert me.status_code == 200 and me.json()["id"] == user.id


async def test_login_with_wrong_password_is_refused_with_a_code(client, db):
    await make_user(db, email="ana@example.com")
    response = await client.post(
        "/api/auth/login", json={"email": "ana@example.com", "password": "nope"}
    )
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_credentials"
    unknown = await client.post(
        "/api/auth/login", json={"email": "who@example.com", "password": "x"}
    )
    assert unknown.status_code == 401 and unknown.json()["code"] == "invalid_credentials"


async def test_refresh_rotates_and_the_old_token_is_spent(client, db):
    await make_user(db, email="ana@example.com")
    first = await login(client, "ana@example.com")
    second = (
        await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await client.get("/api/auth/me", headers=bearer(second))).status_code == 200


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(client, db):
    await make_user(db, email="ana@example.com")
    first = await login(client, "ana@example.com")
    second = (
        await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()

    reuse = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401 and reuse.json()["code"] == "refresh_reused"

    # The legitimate holder of the newest token is signed out too.
    after = await client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401 and after.json()["code"] == "refresh_revoked"
    async with db.read() as unit:
        live = await unit.session.scalar(
            select(func.count()).select_from(RefreshToken).where(RefreshToken.revoked_at.is_(None))
        )
    assert live == 0


async def test_logout_revokes_the_refresh_token(client, db):
    await make_user(db, email="ana@example.com")
    tokens = await login(client, "ana@example.com")
    assert (
        await client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 200
    again = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401


async def test_expired_tampered_wrong_audience_alg_none_and_refresh_tokens_are_refused(client, db):
    user = await make_user(db, email="ana@example.com")
    tokens = await login(client, "ana@example.com")
    sid = _session_of(tokens)
    past = int(time.time()) - 3600
    good_header, good_payload, good_sig = tokens["access_token"].split(".")
    forged = {
        "expired": jwt.encode(
            _claims(user.id, sid, iat=past - 60, exp=past), TEST_SECRET, algorithm="HS256"
        ),
        "tampered": f"{good_header}.{good_payload}.{good_sig[:-4]}AAAA",
        "wrong_audience": jwt.encode(
            _claims(user.id, sid, aud="another-app"), TEST_SECRET, algorithm="HS256"
        ),
        "wrong_issuer": jwt.encode(
            _claims(user.id, sid, iss="someone-else"), TEST_SECRET, algorithm="HS256"
        ),
        "alg_none": jwt.encode(_claims(user.id, sid), None, algorithm="none"),
        "other_secret": jwt.encode(
            _claims(user.id, sid), "another-secret-" + "y" * 40, algorithm="HS256"
        ),
        "refresh_type": jwt.encode(
            _claims(user.id, sid, typ="refresh"), TEST_SECRET, algorithm="HS256"
        ),
        "refresh_token_as_access": tokens["refresh_token"],
        "no_session": jwt.encode(
            {k: v for k, v in _claims(user.id, sid).items() if k != "sid"},
            TEST_SECRET,
            algorithm="HS256",
        ),
    }
    # The control: a correctly signed access token for the same user is accepted.
    control = jwt.encode(_claims(user.id, sid), TEST_SECRET, algorithm="HS256")
    assert (
        await client.get("/api/auth/me", headers={"Authorization": f"Bearer {control}"})
    ).status_code == 200
    for name, token in forged.items():
        response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.json()["code"] == "not_authenticated", name


async def test_a_token_accepted_before_it_expires_is_refused_once_it_has(client, db):
    # Verified tokens are remembered (server/security/auth.py): expiry must still count.
    user = await make_user(db, email="ana@example.com")
    sid = _session_of(await login(client, "ana@example.com"))
    now = int(time.time())
    token = jwt.encode(_claims(user.id, sid, iat=now, exp=now + 2), TEST_SECRET, algorithm="HS256")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    await asyncio.sleep(max(0.0, now + 2.05 - time.time()))
    response = await client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


async def test_deactivated_user_and_changed_role_are_refused_on_the_next_request(client, db):
    admin = await make_user(db, role="admin", email="boss@example.com")
    rep = await make_user(db, role="rep", email="ana@example.com")
    manager = await make_user(db, role="rep", email="max@example.com")
    admin_tokens = await login(client, "boss@example.com")
    rep_tokens = await login(client, "ana@example.com")
    max_tokens = await login(client, "max@example.com")

    deactivate = await client.patch(
        f"/api/users/{rep.id}", json={"active": False}, headers=bearer(admin_tokens)
    )
    assert deactivate.status_code == 200 and deactivate.json()["active"] is False
    assert (await client.get("/api/auth/me", headers=bearer(rep_tokens))).status_code == 401
    refresh = await client.post(
        "/api/auth/refresh", json={"refresh_token": rep_tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
    relogin = await client.post(
        "/api/auth/login", json={"email": "ana@example.com", "password": PASSWORD}
    )
    assert relogin.status_code == 401

    promote = await client.patch(
        f"/api/users/{manager.id}", json={"role": "manager"}, headers=bearer(admin_tokens)
    )
    assert promote.status_code == 200
    assert (await client.get("/api/auth/me", headers=bearer(max_tokens))).status_code == 401
    _ = admin


async def test_rep_is_refused_on_an_admin_route(client, db):
    await make_user(db, role="rep", email="ana@example.com")
    tokens = await login(client, "ana@example.com")
    response = await client.get("/api/users", headers=bearer(tokens))
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    create = await client.post(
        "/api/users",
        headers=bearer(tokens),
        json={"email": "x@example.com", "full_name": "X", "role": "admin", "password": "12345678"},
    )
    assert create.status_code == 403


async def test_login_is_rate_limited(client, db):
    await make_user(db, email="ana@example.com")
    # Other accounts each time: one account's own back-off would answer first.
    statuses = [
        (
            await client.post(
                "/api/auth/login", json={"email": f"who{i}@example.com", "password": "wrong"}
            )
        ).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[-1] == 429
    limited = await client.post(
        "/api/auth/login", json={"email": "ana@example.com", "password": PASSWORD}
    )
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"


async def test_only_logins_are_throttled(client, db):
    await make_user(db, email="ana@example.com")
    tokens = (
        await client.post(
            "/api/auth/login", json={"email": "ana@example.com", "password": PASSWORD}
        )
    ).json()
    for _ in range(11):
        await client.post("/api/auth/login", json={"email": "ana@example.com", "password": "wrong"})
    answers = [
        (await client.get("/api/auth/me", headers=bearer(tokens))).status_code for _ in range(15)
    ]
    assert answers == [200] * 15
    assert (
        await client.post("/api/auth/login", json={"email": "ana@example.com", "password": "wrong"})
    ).status_code == 429


async def test_a_login_spelled_differently_is_throttled_too(client, db):
    await make_user(db, email="ana@example.com")
    statuses = [
        (
            await client.post(path, json={"email": "ana@example.com", "password": "wrong"})
        ).status_code
        for path in ["/api/auth/login/", "/api/auth//login", "/api/auth/login"] * 4
    ]
    assert 429 in statuses and statuses.count(401) <= 10, statuses


async def _make_slow_to_verify(db, user_id: str) -> None:
    # A hash made with a high time cost (about a second to verify here): a stand-in for a
    # busy server, so that blocking while it is checked cannot go unnoticed.
    from argon2 import PasswordHasher

    from server.db.models import User

    slow = PasswordHasher(time_cost=24, memory_cost=65536, parallelism=1).hash(PASSWORD)
    async with db.write() as uow:
        (await uow.session.get(User, user_id)).password_hash = slow


async def test_logins_leave_other_requests_answered_while_passwords_are_checked(client, db):
    admin = await make_user(db, role="admin", email="boss@example.com")
    target = await make_user(db, email="ana@example.com")
    admin_tokens = await login(client, "boss@example.com")
    await _make_slow_to_verify(db, target.id)

    loop = asyncio.get_running_loop()
    started = loop.time()
    answered: list[float] = []
    guess = asyncio.ensure_future(
        client.post("/api/auth/login", json={"email": "ana@example.com", "password": "guess"})
    )
    real = asyncio.ensure_future(
        client.post("/api/auth/login", json={"email": "ana@example.com", "password": PASSWORD})
    )
    logins = asyncio.gather(guess, real)
    n = 0
    while not logins.done():
        # Reads and writes (the SQLite write lock must not be held while a hash is checked).
        n += 1
        me = await client.get("/api/auth/me", headers=bearer(admin_tokens))
        renamed = await client.patch(
            f"/api/users/{admin.id}", json={"full_name": f"Ada {n}"}, headers=bearer(admin_tokens)
        )
        assert me.status_code == 200 and renamed.status_code == 200, renamed.text
        answered.append(loop.time())
    finished = loop.time()
    await logins
    assert guess.result().status_code == 401 and real.result().status_code == 200

    took = finished - started
    marks = [started, *answered]
    longest_wait = max(b - a for a, b in itertools.pairwise(marks))
    # Checking the two passwords took a second or more; other users' requests went on meanwhile.
    assert took > 0.8, took
    assert longest_wait < took / 2, (longest_wait, took, len(answered))


async def test_logout_ends_the_sessions_access_token_but_not_other_sessions(client, db):
    await make_user(db, email="ana@example.com")
    phone = await login(client, "ana@example.com")
    laptop = await login(client, "ana@example.com")
    assert (await client.get("/api/auth/me", headers=bearer(phone))).status_code == 200

    assert (
        await client.post("/api/auth/logout", json={"refresh_token": phone["refresh_token"]})
    ).status_code == 200

    refused = await client.get("/api/auth/me", headers=bearer(phone))
    assert refused.status_code == 401 and refused.json()["code"] == "not_authenticated"
    assert (await client.get("/api/auth/me", headers=bearer(laptop))).status_code == 200


async def test_reusing_a_refresh_token_ends_every_access_token_of_the_session(client, db):
    await make_user(db, email="ana@example.com")
    first = await login(client, "ana@example.com")
    second = (
        await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    assert (await client.get("/api/auth/me", headers=bearer(second))).status_code == 200

    reuse = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401 and reuse.json()["code"] == "refresh_reused"

    for tokens in (first, second):
        assert (await client.get("/api/auth/me", headers=bearer(tokens))).status_code == 401


async def test_reactivating_a_user_does_not_revive_tokens_issued_before_deactivation(client, db):
    rep = await make_user(db, email="ana@example.com")
    await make_user(db, role="admin", email="boss@example.com")
    admin = await login(client, "boss@example.com")
    old = await login(client, "ana@example.com")

    for active in (False, True):
        answer = await client.patch(
            f"/api/users/{rep.id}", json={"active": active}, headers=bearer(admin)
        )
        assert answer.status_code == 200 and answer.json()["active"] is active

    assert (await client.get("/api/auth/me", headers=bearer(old))).status_code == 401
    refresh = await client.post("/api/auth/refresh", json={"refresh_token": old["refresh_token"]})
    assert refresh.status_code == 401
    fresh = await login(client, "ana@example.com")
    assert (await client.get("/api/auth/me", headers=bearer(fresh))).status_code == 200
