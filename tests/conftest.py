"""Shared fixtures: real databases (SQLite files, PostgreSQL) and the real ASGI app.

Integration tests take the `backend` fixture, which runs each of them on SQLite and on
PostgreSQL. PostgreSQL tests skip loudly when no server is reachable; with
FIELDSALES_REQUIRE_ALL_BACKENDS=1 (set by .ci/run) such a skip is a failure instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any

import argon2
import httpx
import pytest
from argon2 import PasswordHasher
from litestar import Litestar

from server.app import create_app
from server.config import Settings
from server.db.engine import Database
from server.db.migrate import upgrade
from server.security import passwords

# Passwords are hashed with argon2id as in production, at the cheapest parameters
# argon2-cffi offers: the suite creates and logs in thousands of users, and at the
# production cost (about a third of a second of CPU each) that is most of its time.
# Hashes made at the production cost are still verified (the parameters travel in the
# hash); the parameters themselves are checked in tests/unit/test_passwords.py.
PRODUCTION_HASHER = passwords._hasher
passwords._hasher = PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)

PG_ADMIN_URL = os.environ.get(
    "FIELDSALES_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_ALL = os.environ.get("FIELDSALES_REQUIRE_ALL_BACKENDS") == "1"
TEST_SECRET = "test-secret-" + "x" * 40


def _unavailable(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (FIELDSALES_REQUIRE_ALL_BACKENDS=1: a skip is a failure here)")
    pytest.skip(f"SKIPPED LOUDLY: {reason}")


async def _pg_execute(sql: str) -> None:
    import asyncpg

    dsn = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_url(database: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{database}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for every test (migrating each time is slower)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    name = f"fs_template_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_pg_execute(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        yield None if not str(exc) else f"!{exc}"
        return
    asyncio.run(upgrade(_pg_url(name)))
    yield name
    asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Backend:
    name: str
    url: str
    data_dir: Path

    def settings(self, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": self.data_dir,
            "database_url": self.url,
            "secret_key": TEST_SECRET,
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "postgres"])
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_template: str | None
) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        path = tmp_path / "fieldsales.db"
        shutil.copy(sqlite_template, path)
        yield Backend("sqlite", f"sqlite+aiosqlite:///{path}", tmp_path)
        return
    if pg_template is None or pg_template.startswith("!"):
        _unavailable(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    name = f"fs_test_{uuid.uuid4().hex[:12]}"
    await _pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    try:
        yield Backend("postgres", _pg_url(name), tmp_path)
    finally:
        await _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db(backend: Backend) -> AsyncIterator[Database]:
    database = Database(backend.url)
    yield database
    await database.dispose()


@pytest.fixture
def app(backend: Backend, db: Database) -> Litestar:
    return create_app(backend.settings(), db)


class _RefuseAllCookies(DefaultCookiePolicy):
    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False


def api_client(app: Litestar) -> httpx.AsyncClient:
    """An API client (Bearer tokens, keeps no cookies), speaking HTTP to the real ASGI app
    on the test's own event loop (asyncpg connections belong to the loop that opened them)."""
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    http.cookies.jar.set_policy(_RefuseAllCookies())
    return http


def browser_client(app: Litestar) -> httpx.AsyncClient:
    """A browser-like client: keeps cookies, asks for HTML."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"accept": "text/html"},
    )


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app) as http:
        yield http


@pytest.fixture
async def browser(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with browser_client(app) as http:
        yield http
