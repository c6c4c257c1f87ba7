"""HTTP API of accounts: /api/auth/* and /api/users."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException, NotAuthorizedException, TooManyRequestsException
from litestar.security.jwt import JWTCookieAuth, Token

from server.config import Settings
from server.db.engine import Database
from server.db.models import User
from server.db.types import utcnow
from server.features.accounts import services
from server.features.accounts.schemas import (
    LoginIn,
    RefreshIn,
    TokenOut,
    UserOut,
)
from server.http.client import client_address, secure_cookies
from server.security import login_limits, refresh_tokens
from server.security.auth import (
    ACCESS_COOKIE,
    ACCESS_TOKEN_TYPE,
    REFRESH_COOKIE,
    CurrentUser,
    session_named_by,
)
from server.security.csrf import csrf_cookie, csrf_token_for
from server.security.login_limits import DEVICE_TOKEN_DAYS
from server.security.sessions import SESSION_CLAIM

__all__ = ["AuthController", "issue_session", "login_client", "login_limits_of", "user_out"]

REFRESH_COOKIE_PATH = "/api/auth"
DEVICE_COOKIE = "fs_device"


def user_out(user: User) -> UserOut:
    limit = user.discount_limit_percent
    return UserOut(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        active=user.active,
        discount_limit_percent=f"{Decimal(str(limit if limit is not None else 0)):f}",
    )


def issue_session(
    request: Request[Any, Any, Any],
    settings: Settings,
    result: services.LoginResult,
    *,
    status_code: int = 200,
    new_session: bool = True,
) -> Response[TokenOut]:
    """The token pair as JSON for API clients, and as HttpOnly cookies for browsers.

    A new session also gets a CSRF token bound to it (the one the browser held before
    belonged to no session), and the device token that lets this client past the
    account's back-off after failed logins (server/domain/login_limits.py)."""
    jwt_auth: JWTCookieAuth[CurrentUser, Token] = request.app.state.jwt_auth
    lifetime = timedelta(minutes=settings.access_token_minutes)
    access = jwt_auth.create_token(
        identifier=result.user.id,
        token_expiration=lifetime,
        token_issuer=settings.jwt_issuer,
        token_audience=settings.jwt_audience,
        token_extras={
            "typ": ACCESS_TOKEN_TYPE,
            "role": result.user.role,
            SESSION_CLAIM: result.refresh.family_id,
        },
    )
    secure = secure_cookies(request, settings)
    refresh_age = int((result.refresh.expires_at - utcnow()).total_seconds())
    cookies = [
        Cookie(
            key=ACCESS_COOKIE,
            value=access,
            httponly=True,
            secure=secure,
            samesite="lax",
            path="/",
            max_age=int(lifetime.total_seconds()),
        ),
        Cookie(
            key=REFRESH_COOKIE,
            value=result.refresh.token,
            httponly=True,
            secure=secure,
            samesite="strict",
            path=REFRESH_COOKIE_PATH,
            max_age=refresh_age,
        ),
    ]
    if new_session:
        csrf_config: CSRFConfig = request.app.state.csrf_config
        token = csrf_token_for(csrf_config.secret, result.refresh.family_id)
        cookies.append(csrf_cookie(csrf_config, token, secure=secure))
    if result.device_token:
        cookies.append(
            Cookie(
                key=DEVICE_COOKIE,
                value=result.device_token,
                httponly=True,
                secure=secure,
                samesite="strict",
                path="/",
                max_age=DEVICE_TOKEN_DAYS * 86_400,
            )
        )
    body = TokenOut(
        access_token=access,
        refresh_token=result.refresh.token,
        token_type="Bearer",
        expires_in=int(lifetime.total_seconds()),
        user=user_out(result.user),
        device_token=result.device_token,
    )
    return Response(
        body, status_code=status_code, cookies=cookies, headers={"Cache-Control": "no-store"}
    )


def login_client(
    request: Request[Any, Any, Any], device_token: str | None = None
) -> services.LoginClient:
    return services.LoginClient(
        address=client_address(request),
        device_token=device_token or request.cookies.get(DEVICE_COOKIE),
    )


def login_limits_of(settings: Settings) -> login_limits.LoginLimits:
    return login_limits.LoginLimits(
        attempts_per_address_per_minute=settings.login_rate_limit,
        secret=settings.secret_key,
    )


def clear_session_cookies() -> list[Cookie]:
    return [
        Cookie(key=ACCESS_COOKIE, value="", path="/", max_age=0, expires=0, httponly=True),
        Cookie(
            key=REFRESH_COOKIE,
            value="",
            path=REFRESH_COOKIE_PATH,
            max_age=0,
            expires=0,
            httponly=True,
        ),
    ]


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", exclude_from_auth=True, status_code=200)
    async def login(
        self, request: Request[Any, Any, Any], data: LoginIn, db: Database, settings: Settings
    ) -> Response[TokenOut]:
        """Exchange e-mail and password for an access token and a refresh token."""
        # Another site's form can post JSON-looking text, but not as application/json:
        # without this it could sign the browser in to an account of its choosing.
        if request.content_type[0] != "application/json":
            raise HTTPException(
                status_code=415,
                detail="Send the login as application/json.",
                extra={"code": "unsupported_media_type"},
            )
        try:
            result = await services.login(
                db,
                email=data.email,
                password=data.password,
                refresh_lifetime=timedelta(days=settings.refresh_token_days),
                client=login_client(request, data.device_token),
                limits=login_limits_of(settings),
            )
        except login_limits.LoginThrottled as exc:
            raise TooManyRequestsException(
                detail=exc.message,
                headers={"Retry-After": str(exc.retry_after)},
                extra={"code": exc.code},
            ) from None
        except services.LoginFailed:
            raise NotAuthorizedException(
                detail="The e-mail or password is not correct.",
                extra={"code": "invalid_credentials"},
            ) from None
        return issue_session(request, settings, result)

    @post("/refresh", exclude_from_auth=True, status_code=200)
    async def refresh(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        settings: Settings,
        data: RefreshIn | None = None,
    ) -> Response[TokenOut]:
        """Rotate a refresh token: the presented one is spent, a new pair is returned."""
        token = (data.refresh_token if data else None) or request.cookies.get(REFRESH_COOKIE)
        if not token:
            raise NotAuthorizedException(
                detail="No refresh token was sent.", extra={"code": "refresh_missing"}
            )
        try:
            result = await services.refresh(
                db, token=token, lifetime=timedelta(days=settings.refresh_token_days)
            )
        except refresh_tokens.RefreshRefused as exc:
            raise NotAuthorizedException(detail=exc.message, extra={"code": exc.code}) from None
        return issue_session(request, settings, result, new_session=False)

    @post("/logout", exclude_from_auth=True, status_code=200)
    async def logout(
        self, request: Request[Any, Any, Any], db: Database, data: RefreshIn | None = None
    ) -> Response[dict[str, bool]]:
        """Revoke the session's refresh-token family and clear the browser's cookies. The
        session is the refresh token's, or else the one the caller's access token names."""
        token = (data.refresh_token if data else None) or request.cookies.get(REFRESH_COOKIE)
        session_id = None if token else _session_of_caller(request)
        async with db.write() as uow:
            await services.logout(uow, token=token, session_id=session_id)
        return Response({"logged_out": True}, cookies=clear_session_cookies())

    @get("/me")
    async def me(
        self, request: Request[CurrentUser, Any, Any], db: Database, settings: Settings
    ) -> dict[str, str | int]:
        """Who the caller is, the discount they may grant without approval, and the credit
        limit of a customer onboarded without one (the phone warns before an order goes to
        approval or credit hold)."""
        user = request.user
        async with db.read() as unit:
            row = await unit.session.get(User, user.id)
        limit = row.discount_limit_percent if row is not None else 0
        return {
            "id": user.id,
            "email": user.email,
            "full_name": user.full_name,
            "role": user.role,
            "discount_limit_percent": f"{Decimal(str(limit if limit is not None else 0)):f}",
            "default_credit_limit_cents": settings.default_credit_limit_cents,
        }


def _session_of_caller(request: Request[Any, Any, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    encoded = credentials.strip() if scheme.lower() == "bearer" else ""
    encoded = encoded or request.cookies.get(ACCESS_COOKIE, "")
    return session_named_by(request.app.state.jwt_auth, encoded) if encoded else None
