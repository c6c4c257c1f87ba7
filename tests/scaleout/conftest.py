"""Fixtures of the scale-out tests: fresh databases with the demo loaded, and real server
processes on them, configured as compose.yaml configures its app processes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import PG_ADMIN_URL, _pg_execute, _pg_url, _unavailable
from tests.scaleout.servers import Server, compose_environment, run_cli, start_all
from tests.scaleout.shop import Shop, api_http, open_shop


def _fresh_pg_database(pg_template: str | None) -> str:
    """A new PostgreSQL database, already migrated (a copy of the session's template)."""
    if pg_template is None or pg_template.startswith("!"):
        _unavailable(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    assert pg_template is not None
    name = f"fs_scale_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    return name


def _drop(name: str) -> None:
    asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Cluster:
    database_url: str
    servers: list[Server]


@pytest.fixture(scope="package")
def pg_cluster(
    pg_template: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Two server processes sharing one PostgreSQL database with the demo data, started
    together; the quote expiry job runs every second in both, so that the two runs meet."""
    name = _fresh_pg_database(pg_template)
    root = tmp_path_factory.mktemp("cluster")
    settings = compose_environment(_pg_url(name), FIELDSALES_QUOTE_EXPIRY_INTERVAL_SECONDS="1")
    servers = [Server(settings, root / f"app{n}") for n in (1, 2)]
    try:
        # Both at once, each asked to load the demo data: one loads it, the other finds it.
        # Without the demo's day of orders: the tests count the orders they place.
        start_all(servers, "--demo", "--no-orders")
        yield Cluster(_pg_url(name), servers)
    finally:
        for server in servers:
            server.stop()
        _drop(name)


@pytest.fixture(scope="package")
def shop(pg_cluster: Cluster) -> Shop:
    """The demo users logged in once (logins are rate limited), their customers, products."""

    async def opened() -> Shop:
        async with api_http(pg_cluster.servers[0].url) as http:
            return await open_shop(http, pg_cluster.database_url)

    return asyncio.run(opened())


@pytest.fixture
async def https(pg_cluster: Cluster) -> AsyncIterator[list[httpx.AsyncClient]]:
    """One HTTP client per server process."""
    clients = [api_http(s.url) for s in pg_cluster.servers]
    try:
        yield clients
    finally:
        for client in clients:
            await client.aclose()


@dataclass
class SingleServer:
    backend: str
    database_url: str
    server: Server


@pytest.fixture(params=["sqlite", "postgres"])
def single_server(
    request: pytest.FixtureRequest, pg_template: str | None, tmp_path: Path
) -> Iterator[SingleServer]:
    """One server process with the demo data, on a fresh SQLite file or PostgreSQL database;
    started by the test (which may kill it and start it again), stopped here."""
    data_dir = tmp_path / "app"
    name = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{data_dir / 'fieldsales.db'}"
    else:
        name = _fresh_pg_database(pg_template)
        url = _pg_url(name)
    settings = compose_environment(url)
    server = Server(settings, data_dir)
    try:
        run_cli(settings, data_dir, "demo", "--no-orders")  # the tests count their orders
        yield SingleServer(request.param, url, server)
    finally:
        server.stop()
        if name:
            _drop(name)
