"""Authentication and authorisation wiring, built on Litestar's JWT cookie backend.

One backend serves both kinds of client: browsers carry the access token in an HttpOnly
cookie, API clients in `Authorization: Bearer`. On every request the user is re-read, so a
deactivated user or a changed role stops working at once, not when the token expires.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AuthenticationResult
from litestar.security.jwt import JWTCookieAuth, JWTCookieAuthenticationMiddleware, Token
from sqlalchemy import bindparam, exists, select

from server.config import Settings
from server.db.engine import Database
from server.db.models import RefreshToken, RevokedSession, User
from server.domain.actor import INTEGRATION_ROLE, CurrentUser
from server.domain.api_tokens import looks_like_token
from server.security.api_tokens import integration_actor
from server.security.sessions import SESSION_CLAIM

__all__ = [
    "ACCESS_COOKIE",
    "ACCESS_TOKEN_TYPE",
    "REFRESH_COOKIE",
    "CurrentUser",
    "VerifiedToken",
    "build_jwt_auth",
    "requires_role",
    "session_named_by",
]

ACCESS_COOKIE = "fs_access"
REFRESH_COOKIE = "fs_refresh"
ACCESS_TOKEN_TYPE = "access"

# Built once: constructing the statement per request costs more than running it.
# The session's revocation is read in the same query: one round trip per request, as before.
_USER = select(
    User.id,
    User.email,
    User.full_name,
    User.role,
    User.active,
    exists().where(RevokedSession.session_id == bindparam("session_id")).label("session_ended"),
    # A session is a login's refresh-token family: a token naming one that this user never
    # had is forged (or minted with a leaked key), not merely old.
    exists()
    .where(RefreshToken.family_id == bindparam("session_id"), RefreshToken.user_id == User.id)
    .label("session_known"),
).where(User.id == bindparam("user_id"))
ALGORITHM = "HS256"

# Only these paths skip authentication by pattern; anchored, because Litestar treats
# `exclude` entries as unanchored regular expressions. Everything else that is public
# says so on its handler with `exclude_from_auth=True`.
PUBLIC_PATH_PATTERNS = ["^/static/", "^/schema"]


class VerifiedToken(Token):
    """A token whose verified form is remembered until it expires.

    Every request of a phone or browser carries the same access token for its whole
    lifetime, and checking its signature and claims again each time (and building the
    token from them) is a measurable share of a request. A token string is immutable, so
    once it has passed every check only its expiry can change the verdict, and that is
    checked again on every use. The token handed out is shared between the requests
    that carry it: nothing changes a token once it is decoded."""

    @classmethod
    def decode(
        cls,
        encoded_token: str,
        secret: str,
        algorithm: str,
        audience: str | Sequence[str] | None = None,
        issuer: str | Sequence[str] | None = None,
        require_claims: Sequence[str] | None = None,
        verify_exp: bool = True,
        verify_nbf: bool = True,
        strict_audience: bool = False,
    ) -> Any:
        key = (
            encoded_token,
            secret,
            algorithm,
            _frozen(audience),
            _frozen(issuer),
            _frozen(require_claims),
            verify_exp,
            verify_nbf,
            strict_audience,
        )
        known = _VERIFIED.get(key)
        if known is not None and known.exp.timestamp() > time.time():
            return known
        _VERIFIED.pop(key, None)
        token = super().decode(
            encoded_token,
            secret,
            algorithm,
            audience,
            issuer,
            require_claims,
            verify_exp,
            verify_nbf,
            strict_audience,
        )
        if verify_exp:
            if len(_VERIFIED) >= _VERIFIED_MAX:
                _VERIFIED.pop(next(iter(_VERIFIED)))  # the oldest
            _VERIFIED[key] = token
        return token


def _frozen(value: str | Sequence[str] | None) -> str | tuple[str, ...] | None:
    return value if value is None or isinstance(value, str) else tuple(value)


# Verified tokens by their string (and the checks they passed); the oldest go first.
_VERIFIED: dict[tuple[Any, ...], Any] = {}
_VERIFIED_MAX = 10_000


def build_jwt_auth(
    settings: Settings, db_getter: Callable[[], Database]
) -> JWTCookieAuth[CurrentUser, Token]:
    async def retrieve_user(
        token: Token, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> CurrentUser | None:
        if token.extras.get("typ") != ACCESS_TOKEN_TYPE:
            return None
        # Plain columns, no session: this runs on every request, and an ORM session with
        # its tracked object costs several times the query.
        session_id = token.extras.get(SESSION_CLAIM)
        if not isinstance(session_id, str):
            return None
        user = await db_getter().read_row(_USER, {"user_id": token.sub, "session_id": session_id})
        if user is None or not user.active or user.role != token.extras.get("role"):
            return None
        # An integration user signs in with its API token only, never a staff session.
        if user.role == INTEGRATION_ROLE:
            return None
        if user.session_ended or not user.session_known:
            return None
        return CurrentUser(id=user.id, email=user.email, full_name=user.full_name, role=user.role)

    class StaffOrIntegrationAuthentication(JWTCookieAuthenticationMiddleware):
        """A bearer API token signs in an integration user; anything else is a JWT."""

        async def authenticate_request(
            self, connection: ASGIConnection[Any, Any, Any, Any]
        ) -> AuthenticationResult:
            scheme, _, credential = connection.headers.get("authorization", "").partition(" ")
            credential = credential.strip()
            if scheme.lower() == "bearer" and looks_like_token(credential):
                user = await integration_actor(db_getter(), credential)
                if user is None:
                    raise NotAuthorizedException("The API token is unknown, expired or revoked.")
                return AuthenticationResult(user=user, auth=None)
            return await super().authenticate_request(connection)

    return JWTCookieAuth[CurrentUser, Token](
        authentication_middleware_class=StaffOrIntegrationAuthentication,
        retrieve_user_handler=retrieve_user,
        token_cls=VerifiedToken,
        token_secret=settings.secret_key,
        algorithm=ALGORITHM,
        key=ACCESS_COOKIE,
        exclude=PUBLIC_PATH_PATTERNS,
        default_token_expiration=timedelta(minutes=settings.access_token_minutes),
        accepted_audiences=[settings.jwt_audience],
        accepted_issuers=[settings.jwt_issuer],
        strict_audience=True,
        require_claims=["exp", "iat", "sub", "aud", "iss"],
        samesite="lax",
    )


def session_named_by(auth: JWTCookieAuth[CurrentUser, Token], encoded: str) -> str | None:
    """The session a valid access token names; None for anything that is not one.

    For routes that take no login but act on the caller's session when there is one
    (signing out with only the access token at hand)."""
    try:
        token = auth.token_cls.decode(
            encoded,
            secret=auth.token_secret,
            algorithm=auth.algorithm,
            audience=auth.accepted_audiences,
            issuer=auth.accepted_issuers,
            require_claims=auth.require_claims,
            verify_exp=auth.verify_expiry,
            verify_nbf=auth.verify_not_before,
            strict_audience=auth.strict_audience,
        )
    except NotAuthorizedException:
        return None
    if token.extras.get("typ") != ACCESS_TOKEN_TYPE:
        return None
    session_id = token.extras.get(SESSION_CLAIM)
    return session_id if isinstance(session_id, str) else None


def requires_role(
    *roles: str,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]:
    """A guard: only users whose role is in `roles` may call the handler."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        # Authentication skips OPTIONS, so no user is there to check; its automatic answer
        # names only the allowed methods, which every other route tells anyone too.
        if connection.scope.get("method") == "OPTIONS":
            return
        user = connection.scope.get("user")
        if not isinstance(user, CurrentUser):
            raise NotAuthorizedException()
        if user.role not in roles:
            raise PermissionDeniedException(detail="Your role does not allow this.")

    guard.__name__ = f"requires_role_{'_'.join(roles)}"
    return guard
