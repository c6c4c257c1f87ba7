"""CSRF protection for cookie sessions only.

A forged cross-site request can only ride on credentials the browser attaches by itself,
i.e. cookies. Requests that carry no session cookie (API clients with a Bearer token, a
login form) cannot be forged that way, so Litestar's CSRF check is applied exactly when a
session cookie is present.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Receive, Scope, Send

from server.security.auth import ACCESS_COOKIE, REFRESH_COOKIE

__all__ = ["SessionCookieCSRFMiddleware"]

_SESSION_COOKIES = (f"{ACCESS_COOKIE}=".encode(), f"{REFRESH_COOKIE}=".encode())


def _has_session_cookie(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"cookie" and any(c in value for c in _SESSION_COOKIES):
            return True
    return False


class SessionCookieCSRFMiddleware(CSRFMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == ScopeType.HTTP
            and scope.get("method") not in self.config.safe_methods
            and not _has_session_cookie(scope)
        ):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
