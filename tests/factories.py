"""Test data builders that go through the product's own services."""

from __future__ import annotations

from typing import Any

import httpx

from server.db.engine import Database
from server.db.models import User
from server.features.accounts.services import create_user

PASSWORD = "correct horse battery"


async def make_user(db: Database, *, role: str = "rep", email: str | None = None, name: str | None = None) -> User:
    email = email or f"{role}-{id(object())}@example.com"
    return await create_user(
        db, email=email, full_name=name or f"Test {role.title()}", role=role,
        password=PASSWORD, actor_id=None,
    )


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return dict(response.json())


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}
