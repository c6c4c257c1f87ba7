"""HTTP API of accounts: /api/auth/* and /api/users."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException
from litestar.security.jwt import JWTCookieAuth, Token
from msgspec import UNSET
from sqlalchemy import select

from server.config import Settings
from server.db.engine import Database
from server.db.models import User
from server.db.types import utcnow
from server.features.accounts import services
from server.features.accounts.schemas import (
    LoginIn,
    RefreshIn,
    TokenOut,
    UserCreateIn,
    UserOut,
    UserUpdateIn,
)
from server.security import refresh_tokens
from server.security.auth import (
    ACCESS_COOKIE,
    ACCESS_TOKEN_TYPE,
    REFRESH_COOKIE,
    CurrentUser,
    requires_role,
)

__all__ = ["AuthController", "UserController", "issue_session"]

REFRESH_COOKIE_PATH = "/api/auth"


def user_out(user: User) -> UserOut:
    return UserOut(id=user.id, email=user.email, full_name=user.full_name, role=user.role, active=user.active)


def issue_session(
    request: Request[Any, Any, Any], settings: Settings, result: services.LoginResult,
    *, status_code: int = 200,
) -> Response[TokenOut]:
    """The token pair as JSON for API clients, and as HttpOnly cookies for browsers."""
    jwt_auth: JWTCookieAuth[CurrentUser, Token] = request.app.state.jwt_auth
    lifetime = timedelta(minutes=settings.access_token_minutes)
    access = jwt_auth.create_token(
        identifier=result.user.id,
        token_expiration=lifetime,
        token_issuer=settings.jwt_issuer,
        token_audience=settings.jwt_audience,
        token_extras={"typ": ACCESS_TOKEN_TYPE, "role": result.user.role},
    )
    secure = request.url.scheme == "https"
    refresh_age = int((result.refresh.expires_at - utcnow()).total_seconds())
    cookies = [
        Cookie(key=ACCESS_COOKIE, value=access, httponly=True, secure=secure, samesite="lax",
               path="/", max_age=int(lifetime.total_seconds())),
        Cookie(key=REFRESH_COOKIE, value=result.refresh.token, httponly=True, secure=secure,
               samesite="strict", path=REFRESH_COOKIE_PATH, max_age=refresh_age),
    ]
    body = TokenOut(
        access_token=access, refresh_token=result.refresh.token, token_type="Bearer",
        expires_in=int(lifetime.total_seconds()), user=user_out(result.user),
    )
    return Response(body, status_code=status_code, cookies=cookies, headers={"Cache-Control": "no-store"})


def clear_session_cookies() -> list[Cookie]:
    return [
        Cookie(key=ACCESS_COOKIE, value="", path="/", max_age=0, expires=0, httponly=True),
        Cookie(key=REFRESH_COOKIE, value="", path=REFRESH_COOKIE_PATH, max_age=0, expires=0, httponly=True),
    ]


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", exclude_from_auth=True, status_code=200)
    async def login(
        self, request: Request[Any, Any, Any], data: LoginIn, db: Database, settings: Settings
    ) -> Response[TokenOut]:
        """Exchange e-mail and password for an access token and a refresh token."""
        try:
            result = await services.login(
                db, email=data.email, password=data.password,
                refresh_lifetime=timedelta(days=settings.refresh_token_days),
            )
        except services.LoginFailed:
            raise NotAuthorizedException(
                detail="The e-mail or password is not correct.", extra={"code": "invalid_credentials"}
            ) from None
        return issue_session(request, settings, result)

    @post("/refresh", exclude_from_auth=True, status_code=200)
    async def refresh(
        self, request: Request[Any, Any, Any], db: Database, settings: Settings,
        data: RefreshIn | None = None,
    ) -> Response[TokenOut]:
        """Rotate a refresh token: the presented one is spent, a new pair is returned."""
        token = (data.refresh_token if data else None) or request.cookies.get(REFRESH_COOKIE)
        if not token:
            raise NotAuthorizedException(detail="No refresh token was sent.", extra={"code": "refresh_missing"})
        try:
            result = await services.refresh(
                db, token=token, lifetime=timedelta(days=settings.refresh_token_days)
            )
        except refresh_tokens.RefreshRefused as exc:
            raise NotAuthorizedException(detail=exc.message, extra={"code": exc.code}) from None
        return issue_session(request, settings, result)

    @post("/logout", exclude_from_auth=True, status_code=200)
    async def logout(
        self, request: Request[Any, Any, Any], db: Database, data: RefreshIn | None = None
    ) -> Response[dict[str, bool]]:
        """Revoke the session's refresh-token family and clear the browser's cookies."""
        token = (data.refresh_token if data else None) or request.cookies.get(REFRESH_COOKIE)
        await services.logout(db, token=token)
        return Response({"logged_out": True}, cookies=clear_session_cookies())

    @get("/me")
    async def me(
        self, request: Request[CurrentUser, Any, Any], db: Database, settings: Settings
    ) -> dict[str, str | int]:
        """Who the caller is, the discount they may grant without approval, and the credit
        limit of a customer onboarded without one (the phone warns before an order goes to
        approval or credit hold)."""
        user = request.user
        async with db.read() as session:
            row = await session.get(User, user.id)
        limit = row.discount_limit_percent if row is not None else 0
        return {
            "id": user.id,
            "email": user.email,
            "full_name": user.full_name,
            "role": user.role,
            "discount_limit_percent": f"{Decimal(str(limit if limit is not None else 0)):f}",
            "default_credit_limit_cents": settings.default_credit_limit_cents,
        }


class UserController(Controller):
    path = "/api/users"
    tags = ["users"]
    guards = [requires_role("admin")]

    @get("/")
    async def list_users(self, db: Database) -> list[UserOut]:
        async with db.read() as session:
            users = (await session.execute(select(User).order_by(User.email))).scalars().all()
        return [user_out(u) for u in users]

    @post("/")
    async def create_user(self, request: Request[CurrentUser, Any, Any], data: UserCreateIn, db: Database) -> UserOut:
        user = await services.create_user(
            db, email=data.email, full_name=data.full_name, role=data.role,
            password=data.password, actor_id=request.user.id,
        )
        return user_out(user)

    @patch("/{user_id:str}")
    async def update_user(
        self, request: Request[CurrentUser, Any, Any], user_id: str, data: UserUpdateIn, db: Database
    ) -> UserOut:
        user = await services.update_user(
            db, user_id=user_id, actor_id=request.user.id,
            full_name=None if data.full_name is UNSET else data.full_name,
            role=None if data.role is UNSET else data.role,
            active=None if data.active is UNSET else data.active,
        )
        return user_out(user)
