from tests.factories import bearer, login, make_user


async def test_login_then_me(client, db):
    user = await make_user(db, role="rep", email="rep@example.com")
    tokens = await login(client, "rep@example.com")
    response = await client.get("/api/auth/me", headers=bearer(tokens))
    assert response.status_code == 200
    assert response.json()["id"] == user.id
