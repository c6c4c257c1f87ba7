"""Schema migrations: Alembic is the only way the schema is created or changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

__all__ = ["alembic_config", "downgrade", "head_revision", "is_current", "upgrade"]

_MIGRATIONS = Path(__file__).parent / "migrations"
# Arbitrary constant: every server process that upgrades takes this PostgreSQL advisory
# lock first, so several processes starting at once do not run the same migration twice.
_PG_MIGRATION_LOCK = 7_246_201


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _command_sync(connection: Any, command_name: str, target: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, command_name)(config, target)


async def _run(url: str, command_name: str, target: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
            await conn.run_sync(_command_sync, command_name, target)
    finally:
        await engine.dispose()


async def upgrade(url: str, target: str = "head") -> None:
    await _run(url, "upgrade", target)


async def downgrade(url: str, target: str) -> None:
    """Back to an earlier revision (operators rolling a release back; migration tests)."""
    await _run(url, "downgrade", target)


async def is_current(conn: AsyncConnection) -> bool:
    """True when the database is at the newest migration this code knows."""

    def _current(sync_conn: Any) -> str | None:
        return MigrationContext.configure(sync_conn).get_current_revision()

    return await conn.run_sync(_current) == head_revision()
