"""HTTP API of integration users and their API tokens (admin): /api/integrations."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post

from server.db.engine import Database
from server.features.catalog.openapi import problems
from server.features.integrations import services
from server.features.integrations.schemas import (
    IntegrationCreated,
    IntegrationCreateIn,
    IntegrationOut,
)
from server.security.auth import CurrentUser, requires_role

__all__ = ["create_integration", "list_integrations", "revoke_integration"]

_admins = requires_role("admin")
_TAGS = ["integrations"]
_Req = Request[CurrentUser, Any, Any]


@get("/api/integrations", guards=[_admins], tags=_TAGS, responses=problems(403))
async def list_integrations(db: Database) -> list[IntegrationOut]:
    """Every integration token with its state and last use; never the token."""
    async with db.read() as unit:
        return [services.integration_out(r) for r in await services.list_integrations(unit)]


@post(
    "/api/integrations",
    guards=[_admins],
    tags=_TAGS,
    responses=problems(400, 403, 422),
)
async def create_integration(
    request: _Req, db: Database, data: IntegrationCreateIn
) -> IntegrationCreated:
    """Create an integration user and its API token, with its scopes, channel (`api` or
    `edi`) and optional expiry. The answer is the only place the token is shown."""
    async with db.write() as uow:
        return await services.create_integration(uow, request.user, data)


@post(
    "/api/integrations/{token_id:str}/revoke",
    status_code=200,
    guards=[_admins],
    tags=_TAGS,
    responses=problems(403, 404, 409),
)
async def revoke_integration(request: _Req, db: Database, token_id: str) -> IntegrationOut:
    """Revoke a token: from now on it gets 401, and its integration user is deactivated."""
    async with db.write() as uow:
        row = await services.revoke_integration(uow, request.user, token_id)
    return services.integration_out(row)
