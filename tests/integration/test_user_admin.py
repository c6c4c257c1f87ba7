"""The back office manages users through the API: create, change, deactivate, reset."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from server.db.models import AuditEvent, User
from tests.factories import PASSWORD, add_many_users, bearer, login, make_user


async def _admin(client, db) -> tuple[User, dict[str, str]]:
    admin = await make_user(db, role="admin", email="boss@example.com", name="Bea Boss")
    return admin, bearer(await login(client, "boss@example.com"))


async def _users(db) -> int:
    async with db.read() as unit:
        return int(await unit.session.scalar(select(func.count()).select_from(User)) or 0)


async def _audit(db, user_id: str) -> list[tuple[str, str | None, dict[str, Any]]]:
    async with db.read() as unit:
        rows = (
            await unit.session.execute(
                select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.data)
                .where(AuditEvent.entity_type == "user", AuditEvent.entity_id == user_id)
                .order_by(AuditEvent.at, AuditEvent.id)
            )
        ).all()
    return [(r.action, r.actor_id, r.data) for r in rows if r.action != "login"]


async def test_create_user_with_a_chosen_password_and_limit(client, db):
    admin, headers = await _admin(client, db)
    body = {
        "email": "Nia@Example.com",
        "full_name": "Nia New",
        "role": "rep",
        "discount_limit_percent": "12.5",
        "password": "chosen password",
    }
    response = await client.post("/api/users", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["email"] == "nia@example.com" and created["role"] == "rep"
    assert created["discount_limit_percent"] == "12.50" and created["active"] is True
    assert created["one_time_password"] is None
    assert (await login(client, "nia@example.com", "chosen password"))["user"]["id"] == created[
        "id"
    ]
    listed = (await client.get("/api/users", headers=headers)).json()["items"]
    assert {u["email"]: u["discount_limit_percent"] for u in listed}["nia@example.com"] == "12.50"
    assert await _audit(db, created["id"]) == [
        (
            "user_created",
            admin.id,
            {"email": "nia@example.com", "role": "rep", "discount_limit_percent": "12.50"},
        )
    ]


async def test_create_user_without_a_password_answers_a_one_time_password_once(client, db):
    _, headers = await _admin(client, db)
    body = {"email": "otp@example.com", "full_name": "Otto Tp", "role": "manager"}
    created = (await client.post("/api/users", json=body, headers=headers)).json()
    password = created["one_time_password"]
    assert password and len(password) >= 12
    assert created["discount_limit_percent"] == "30"
    assert (await login(client, "otp@example.com", password))["user"]["role"] == "manager"
    shown_again = (await client.get(f"/api/users/{created['id']}", headers=headers)).json()
    assert "one_time_password" not in shown_again


async def test_create_user_refusals_answer_a_code_and_change_nothing(client, db):
    _, headers = await _admin(client, db)
    await make_user(db, email="taken@example.com")
    before = await _users(db)
    good = {"email": "x@example.com", "full_name": "X Y", "role": "rep", "password": "long enough"}
    cases = [
        ({**good, "email": "TAKEN@example.com"}, 409, "email_taken"),
        ({**good, "role": "owner"}, 422, "unknown_role"),
        ({**good, "discount_limit_percent": "-1"}, 422, "invalid_discount_limit"),
        ({**good, "discount_limit_percent": "100.5"}, 422, "invalid_discount_limit"),
    ]
    for body, status, code in cases:
        response = await client.post("/api/users", json=body, headers=headers)
        assert response.status_code == status, response.text
        assert response.json()["code"] == code and response.json()["detail"]
    assert await _users(db) == before


async def test_change_role_and_discount_limit_is_audited(client, db):
    admin, headers = await _admin(client, db)
    rep = await make_user(db, email="rita@example.com")
    response = await client.patch(
        f"/api/users/{rep.id}",
        json={"role": "manager", "discount_limit_percent": "25"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "manager"
    assert response.json()["discount_limit_percent"] == "25.00"
    assert (await _audit(db, rep.id))[-1] == (
        "user_updated",
        admin.id,
        {"role": ["rep", "manager"], "discount_limit_percent": ["10.00", "25.00"]},
    )
    for change, code in (
        ({"discount_limit_percent": "101"}, "invalid_discount_limit"),
        ({"role": "boss"}, "unknown_role"),
    ):
        refused = await client.patch(f"/api/users/{rep.id}", json=change, headers=headers)
        assert refused.status_code == 422 and refused.json()["code"] == code
    after = (await client.get(f"/api/users/{rep.id}", headers=headers)).json()
    assert (after["role"], after["discount_limit_percent"]) == ("manager", "25.00")


async def test_deactivated_user_is_refused_at_once_and_reactivated_can_sign_in_again(client, db):
    admin, headers = await _admin(client, db)
    rep = await make_user(db, email="ana@example.com")
    tokens = await login(client, "ana@example.com")
    assert (await client.get("/api/auth/me", headers=bearer(tokens))).status_code == 200

    response = await client.post(f"/api/users/{rep.id}/deactivate", headers=headers)
    assert response.status_code == 200 and response.json()["active"] is False
    assert (await client.get("/api/auth/me", headers=bearer(tokens))).status_code == 401
    refresh = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
    again = await client.post(
        "/api/auth/login", json={"email": "ana@example.com", "password": PASSWORD}
    )
    assert again.status_code == 401

    assert (await client.post(f"/api/users/{rep.id}/reactivate", headers=headers)).json()[
        "active"
    ] is True
    assert (await client.get("/api/auth/me", headers=bearer(tokens))).status_code == 401
    assert (await login(client, "ana@example.com"))["user"]["id"] == rep.id
    actions = [action for action, actor, _ in await _audit(db, rep.id) if actor == admin.id]
    assert actions == ["user_deactivated", "user_reactivated"]


async def test_an_admin_cannot_deactivate_themself(client, db):
    admin, headers = await _admin(client, db)
    for response in (
        await client.post(f"/api/users/{admin.id}/deactivate", headers=headers),
        await client.patch(f"/api/users/{admin.id}", json={"active": False}, headers=headers),
    ):
        assert response.status_code == 422 and response.json()["code"] == "self_change"
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    assert (await client.get(f"/api/users/{admin.id}", headers=headers)).json()["active"] is True


async def test_reset_password_ends_the_users_sessions(client, db):
    admin, headers = await _admin(client, db)
    rep = await make_user(db, email="ana@example.com")
    tokens = await login(client, "ana@example.com")
    response = await client.post(
        f"/api/users/{rep.id}/password", json={"password": "a new secret"}, headers=headers
    )
    assert response.status_code == 200 and response.json()["one_time_password"] is None
    assert (await client.get("/api/auth/me", headers=bearer(tokens))).status_code == 401
    refresh = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
    old = await client.post(
        "/api/auth/login", json={"email": "ana@example.com", "password": PASSWORD}
    )
    assert old.status_code == 401
    await login(client, "ana@example.com", "a new secret")

    generated = (
        await client.post(f"/api/users/{rep.id}/password", json={}, headers=headers)
    ).json()["one_time_password"]
    await login(client, "ana@example.com", generated)
    resets = [d for action, actor, d in await _audit(db, rep.id) if action == "password_reset"]
    assert resets == [
        {"generated": False, "sessions_ended": True},
        {"generated": True, "sessions_ended": True},
    ]
    too_short = await client.post(
        f"/api/users/{rep.id}/password", json={"password": "short"}, headers=headers
    )
    assert too_short.status_code == 400
    _ = admin


async def test_users_are_listed_a_page_at_a_time_with_filters(client, db):
    _, headers = await _admin(client, db)
    await add_many_users(db, 120)

    first = (await client.get("/api/users", headers=headers)).json()
    assert (first["total"], first["limit"], first["offset"]) == (122, 50, 0)
    assert [u["email"] for u in first["items"]][:2] == ["boss@example.com", "olga@office.test"]
    seen = [u["email"] for u in first["items"]]
    offset = 50
    while offset < first["total"]:
        page = (await client.get("/api/users", params={"offset": offset}, headers=headers)).json()
        seen += [u["email"] for u in page["items"]]
        offset += 50
    assert len(seen) == len(set(seen)) == 122 and seen == sorted(seen)

    reps = (
        await client.get(
            "/api/users",
            params={"role": "rep", "status": "deactivated", "limit": 200},
            headers=headers,
        )
    ).json()
    assert reps["total"] == 40
    assert all(u["role"] == "rep" and u["active"] is False for u in reps["items"])

    by_name = (await client.get("/api/users", params={"q": "rep 01"}, headers=headers)).json()
    assert [u["full_name"] for u in by_name["items"]] == [f"Field Rep 01{n}" for n in range(10)]
    by_mail = (await client.get("/api/users", params={"q": "OFFICE.test"}, headers=headers)).json()
    assert [u["email"] for u in by_mail["items"]] == ["olga@office.test"]
    # '%' and '_' typed are those characters, not wildcards.
    assert (await client.get("/api/users", params={"q": "100%"}, headers=headers)).json()[
        "total"
    ] == 1
    assert (await client.get("/api/users", params={"q": "p_0"}, headers=headers)).json()[
        "total"
    ] == 0


async def test_users_list_refuses_unknown_filters_and_page_sizes(client, db):
    _, headers = await _admin(client, db)
    for params, status, code in (
        ({"role": "owner"}, 422, "invalid_role"),
        ({"status": "asleep"}, 422, "invalid_status"),
        ({"q": "x" * 201}, 422, "search_too_long"),
        ({"limit": 0}, 400, None),
        ({"limit": 201}, 400, None),
        ({"offset": -1}, 400, None),
    ):
        response = await client.get("/api/users", params=params, headers=headers)
        assert response.status_code == status, (params, response.text)
        if code:
            assert response.json()["code"] == code
