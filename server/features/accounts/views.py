"""HTML pages of accounts: login, logout, home."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import MediaType, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from msgspec import Struct

from server.config import Settings
from server.db.engine import Database
from server.features.accounts import services
from server.features.accounts.routes import (
    clear_session_cookies,
    issue_session,
    login_client,
    login_limits_of,
)
from server.security import login_limits
from server.security.auth import REFRESH_COOKIE, CurrentUser
from server.security.csrf import CHECK_WITHOUT_SESSION

__all__ = ["web_routes"]


class LoginForm(Struct):
    email: str = ""
    password: str = ""
    next: str = ""


def _safe_next(path: str) -> str:
    # Only same-site paths: an open redirect after login is a phishing tool.
    return path if path.startswith("/") and not path.startswith("//") else "/"


def _landing(role: str, next_path: str) -> str:
    # Reps live in the offline app; other roles, and any explicit destination, as asked.
    if not next_path:
        return "/app" if role == "rep" else "/"
    return _safe_next(next_path)


@get("/login", exclude_from_auth=True, include_in_schema=False)
async def login_page(next: str = "") -> Template:
    return Template(
        "login.html", context={"user": None, "next_path": _safe_next(next) if next else ""}
    )


# Checked for CSRF although no session exists yet: another site must not sign a browser
# in to an account of its choosing.
@post(
    "/login",
    exclude_from_auth=True,
    include_in_schema=False,
    media_type=MediaType.HTML,
    opt={CHECK_WITHOUT_SESSION: True},
)
async def login_submit(
    request: Request[Any, Any, Any],
    data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    db: Database,
    settings: Settings,
) -> Any:
    next_path = _safe_next(data.next) if data.next else ""
    try:
        result = await services.login(
            db,
            email=data.email,
            password=data.password,
            refresh_lifetime=timedelta(days=settings.refresh_token_days),
            client=login_client(request),
            limits=login_limits_of(settings),
        )
    except login_limits.LoginThrottled as exc:
        return Template(
            "login.html",
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
            context={
                "user": None,
                "error": exc.message,
                "email": data.email,
                "next_path": next_path,
            },
        )
    except services.LoginFailed:
        return Template(
            "login.html",
            status_code=401,
            context={
                "user": None,
                "error": "The e-mail or password is not correct.",
                "email": data.email,
                "next_path": next_path,
            },
        )
    session = issue_session(request, settings, result)
    return Redirect(
        path=_landing(result.user.role, data.next), cookies=session.cookies, status_code=303
    )


@post("/logout", include_in_schema=False)
async def logout_submit(request: Request[Any, Any, Any], db: Database) -> Redirect:
    async with db.write() as uow:
        await services.logout(uow, token=request.cookies.get(REFRESH_COOKIE))
    return Redirect(path="/login", cookies=clear_session_cookies(), status_code=303)


@get("/", include_in_schema=False)
async def home(request: Request[CurrentUser, Any, Any]) -> Template:
    return Template("home.html", context={"user": request.user})


web_routes = [login_page, login_submit, logout_submit, home]
