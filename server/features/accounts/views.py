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
from server.features.accounts.routes import clear_session_cookies, issue_session
from server.security.auth import REFRESH_COOKIE, CurrentUser

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
    return Template("login.html", context={"user": None, "next_path": _safe_next(next) if next else ""})


@post("/login", exclude_from_auth=True, include_in_schema=False, media_type=MediaType.HTML)
async def login_submit(
    request: Request[Any, Any, Any],
    data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    db: Database, settings: Settings,
) -> Any:
    try:
        result = await services.login(
            db, email=data.email, password=data.password,
            refresh_lifetime=timedelta(days=settings.refresh_token_days),
        )
    except services.LoginFailed:
        return Template(
            "login.html", status_code=401,
            context={"user": None, "error": "The e-mail or password is not correct.",
                     "email": data.email, "next_path": _safe_next(data.next) if data.next else ""},
        )
    session = issue_session(request, settings, result)
    return Redirect(path=_landing(result.user.role, data.next), cookies=session.cookies, status_code=303)


@post("/logout", include_in_schema=False)
async def logout_submit(request: Request[Any, Any, Any], db: Database) -> Redirect:
    await services.logout(db, token=request.cookies.get(REFRESH_COOKIE))
    return Redirect(path="/login", cookies=clear_session_cookies(), status_code=303)


@get("/", include_in_schema=False)
async def home(request: Request[CurrentUser, Any, Any]) -> Template:
    return Template("home.html", context={"user": request.user})


web_routes = [login_page, login_submit, logout_submit, home]
