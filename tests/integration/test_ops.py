"""Probes, the OpenAPI schema, and the route walk that keeps every route behind login."""

from __future__ import annotations

import re

from litestar import Litestar
from sqlalchemy import inspect

from server.db.migrate import head_revision, upgrade

# Every route reachable without logging in, and why.
PUBLIC_ROUTES = {
    "/healthz",  # liveness probe
    "/readyz",  # readiness probe
    "/api/auth/login",  # how one gets a token
    "/api/auth/refresh",  # authenticated by the refresh token itself
    "/api/auth/logout",  # revokes the refresh token it is given
    "/login",  # the login page
    "/static/{file_path:path}",  # the app shell's assets
    # The rep's offline app: data-free page shells (the same HTML for everyone, data comes
    # from the phone's store), its service worker and its manifest.
    "/app",
    "/app/customers",
    "/app/customers/view",
    "/app/customers/new",
    "/app/catalog",
    "/app/outbox",
    "/app/orders",
    "/app/commission",
    "/app/orders/new",
    "/app/quotes/new",
    "/sw.js",
    "/manifest.webmanifest",
    "/schema",
    "/schema/openapi.json",
    "/schema/swagger",
    "/schema/{path:str}",  # API docs
    # The customer portal: a portal link, or the portal session it was exchanged for,
    # opens these; no staff login ever does (tests/integration/test_portal.py).
    "/p",
    "/p/{token:str}",
    "/p/orders/{order_id:str}",
    "/p/quotes/{quote_id:str}",
    "/p/quotes/{quote_id:str}/accept",
    "/p/quotes/{quote_id:str}/decline",
    "/p/invoices/{invoice_id:str}/print",
}


def _concrete(path: str) -> str:
    return re.sub(
        r"\{[^}:]+:(str|path|uuid)\}",
        "00000000-0000-4000-8000-000000000000",
        re.sub(r"\{file_path:path\}", "app.css", path),
    )


async def test_every_route_outside_the_public_list_requires_authentication(app: Litestar, client):
    checked = 0
    for route in app.routes:
        if route.path in PUBLIC_ROUTES:
            continue
        for method in sorted(getattr(route, "methods", {"GET"}) - {"OPTIONS", "HEAD"}):
            response = await client.request(
                method, _concrete(route.path), headers={"accept": "application/json"}
            )
            assert response.status_code == 401, (
                f"{method} {route.path} answered {response.status_code}"
            )
            checked += 1
    assert checked >= 4


async def test_public_list_matches_the_routes_that_exist(app: Litestar):
    paths = {route.path for route in app.routes}
    assert paths >= PUBLIC_ROUTES, PUBLIC_ROUTES - paths


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


async def test_openapi_schema_describes_the_api(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/auth/login" in paths and "/api/users" in paths
    docs = await client.get("/schema")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]


async def test_migrations_build_the_schema_from_empty(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    await upgrade(url)
    await upgrade(url)  # upgrading again is a no-op
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        version = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).scalar()
    await engine.dispose()
    assert {"users", "refresh_tokens", "customers", "products", "territories"} <= set(tables)
    assert version == head_revision()


async def test_migrations_from_empty_on_the_backend(backend, db):
    # The backend fixture's database was built by the migrations alone.
    async with db.read_engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    assert {"users", "refresh_tokens", "audit_events"} <= set(tables)
