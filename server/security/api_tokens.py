"""Integration users signing in with an API token, and what their scopes let them call.

A bearer credential that starts with the token prefix is never tried as a JWT: its hash
finds the token's row, which must be active (not expired, not revoked) and belong to an
active integration user. The actor it yields carries the token's scopes and channel.

Routes are closed to tokens unless they say which scope they need (`opt={TOKEN_SCOPE:
"orders:read"}`): the app-wide guard `token_scopes` answers 403 `token_scope_missing` to a
token without that scope and 403 `token_route_closed` on a route that names none, so a new
route is never opened to integrations by accident.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import bindparam, select, update

from server.db.engine import Database
from server.db.models import ApiToken, User
from server.db.types import utcnow
from server.db.unit_of_work import WriteUnit
from server.domain.actor import INTEGRATION_ROLE, CurrentUser
from server.domain.api_tokens import TokenState, hash_token, token_state
from server.domain.channels import Channel
from server.domain.errors import PermissionDenied

__all__ = ["TOKEN_SCOPE", "integration_actor", "record_token_use", "token_scopes"]

# Handler option: the scope a token needs to call the route.
TOKEN_SCOPE = "token_scope"
# Last use is written at most this often per token: a write per request would queue every
# integration call behind the one SQLite writer for a timestamp nobody reads that finely.
_USE_RESOLUTION = timedelta(minutes=1)

_TOKEN = (
    select(
        ApiToken.id,
        ApiToken.scopes,
        ApiToken.channel,
        ApiToken.expires_at,
        ApiToken.revoked_at,
        ApiToken.last_used_at,
        User.id.label("user_id"),
        User.email,
        User.full_name,
        User.role,
        User.active,
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


async def integration_actor(db: Database, token: str) -> CurrentUser | None:
    """The integration user a token signs in as; None if it opens nothing."""
    row = await db.read_row(_TOKEN, {"token_hash": hash_token(token)})
    if row is None or not row.active or row.role != INTEGRATION_ROLE:
        return None
    now = utcnow()
    if token_state(expires=row.expires_at, revoked=row.revoked_at, now=now) != TokenState.ACTIVE:
        return None
    if row.last_used_at is None or now - row.last_used_at >= _USE_RESOLUTION:
        async with db.write() as uow:
            await record_token_use(uow, row.id)
    return CurrentUser(
        id=row.user_id,
        email=row.email,
        full_name=row.full_name,
        role=row.role,
        scopes=frozenset(row.scopes.split()),
        channel=cast(Channel, row.channel),
    )


async def record_token_use(uow: WriteUnit, token_id: str) -> None:
    await uow.session.execute(
        update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow())
    )


async def token_scopes(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """App-wide guard: a token reaches only the routes its scopes name."""
    user = connection.scope.get("user")
    if not isinstance(user, CurrentUser) or user.scopes is None:
        return
    needed = handler.opt.get(TOKEN_SCOPE)
    if not isinstance(needed, str):
        raise PermissionDenied("API tokens cannot call this route.", code="token_route_closed")
    if not user.may(needed):
        raise PermissionDenied(
            f"This token does not have the {needed} scope.",
            code="token_scope_missing",
            details={"scope": needed},
        )
