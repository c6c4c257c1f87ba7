"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from litestar import Response, get
from sqlalchemy import text

from server.db.engine import Database
from server.db.migrate import is_current

__all__ = ["healthz", "readyz"]


@get("/healthz", exclude_from_auth=True, tags=["ops"])
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@get("/readyz", exclude_from_auth=True, tags=["ops"])
async def readyz(db: Database) -> Response[dict[str, str]]:
    """The database answers and its schema is at the newest migration."""
    try:
        async with db.read_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            current = await is_current(conn)
    except Exception:
        return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if not current:
        return Response(
            {"status": "unavailable", "database": "migrations_pending"}, status_code=503
        )
    return Response({"status": "ok", "database": "ok"})
