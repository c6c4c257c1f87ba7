"""CSRF protection for cookie sessions and the login form, bound to the session.

A forged cross-site request can only ride on credentials the browser attaches by itself,
i.e. cookies. Requests that carry no session cookie (API clients with a Bearer token)
cannot be forged that way and pass unchecked; the login form is always checked, so that
another site cannot sign a browser in to an account of its choosing.

Each token is a random value signed together with the id of the session it belongs to
(read from the session's own signed access token, or from the refresh token's prefix),
so a token taken from one session, or planted in a browser from another, does not pass
for a different session. Pages read the token from the `fs_csrf` cookie or the page
(`csrf_token()`), and a token that no longer fits the session is replaced on the next
safe request.
"""

from __future__ import annotations

import hmac
import secrets
from functools import lru_cache
from typing import Any

import jwt
from litestar.config.csrf import CSRFConfig
from litestar.connection import Request
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware._utils import should_bypass_middleware
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_hash
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from server.config import Settings
from server.security.auth import ACCESS_COOKIE, ALGORITHM, REFRESH_COOKIE
from server.security.sessions import SESSION_CLAIM

__all__ = ["CHECK_WITHOUT_SESSION", "SessionCookieCSRFMiddleware", "csrf_cookie", "csrf_token_for"]

# Handler option: check the token even on requests without a session cookie.
CHECK_WITHOUT_SESSION = "csrf_without_session"
_SESSION_COOKIES = (f"{ACCESS_COOKIE}=".encode(), f"{REFRESH_COOKIE}=".encode())
_RANDOM_HEX = 64
_SESSION_ID_LENGTH = 36


def _has_session_cookie(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"cookie" and any(c in value for c in _SESSION_COOKIES):
            return True
    return False


def _bearer_only(scope: Scope) -> bool:
    """A request that authenticates with an Authorization header and carries no session
    cookie: an API client, which a browser cannot be tricked into being (a page of another
    site cannot set that header), so it needs no CSRF token and is sent none."""
    headers = scope.get("headers", [])
    return any(name == b"authorization" for name, _ in headers) and not _has_session_cookie(scope)


def _checked_without_session(scope: Scope) -> bool:
    # Marked on the handler (the login form), so every spelling of its path is covered.
    handler = scope.get("route_handler")
    return bool(handler is not None and handler.opt.get(CHECK_WITHOUT_SESSION))


def _signature(secret: str, random_part: str, session_id: str) -> str:
    return generate_csrf_hash(token=f"{random_part}|{session_id}", secret=secret)


def csrf_token_for(secret: str, session_id: str) -> str:
    """A new token for the session (`""`: for a browser not signed in)."""
    random_part = secrets.token_hex(_RANDOM_HEX // 2)
    return random_part + _signature(secret, random_part, session_id)


def token_fits(secret: str, token: str, session_id: str) -> bool:
    random_part, signature = token[:_RANDOM_HEX], token[_RANDOM_HEX:]
    if len(random_part) != _RANDOM_HEX or not signature:
        return False
    return hmac.compare_digest(signature, _signature(secret, random_part, session_id))


def csrf_cookie(config: CSRFConfig, token: str, *, secure: bool) -> Cookie:
    return Cookie(
        key=config.cookie_name,
        value=token,
        path=config.cookie_path,
        secure=secure,
        httponly=config.cookie_httponly,
        samesite=config.cookie_samesite,
        domain=config.cookie_domain,
    )


class SessionCookieCSRFMiddleware(CSRFMiddleware):
    def __init__(self, app: ASGIApp, config: CSRFConfig, settings: Settings) -> None:
        super().__init__(app, config)
        self.settings = settings
        self._session_of_access_token = lru_cache(maxsize=4096)(self._decode_session_id)

    def _decode_session_id(self, access_token: str) -> str:
        # The signature is what makes the id trustworthy; expiry does not matter here
        # (an expired token authenticates nothing anyway).
        try:
            claims = jwt.decode(
                access_token,
                self.settings.secret_key,
                algorithms=[ALGORITHM],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={"verify_exp": False},
            )
        except jwt.InvalidTokenError:
            return ""
        extras = claims.get("extras")
        value = (extras if isinstance(extras, dict) else claims).get(SESSION_CLAIM)
        return value if isinstance(value, str) else ""

    def _session_id(self, request: Request[Any, Any, Any]) -> str:
        access = request.cookies.get(ACCESS_COOKIE)
        if access:
            return self._session_of_access_token(access)
        refresh = request.cookies.get(REFRESH_COOKIE) or ""
        prefix, dot, _ = refresh.partition(".")
        return prefix if dot and len(prefix) == _SESSION_ID_LENGTH else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or should_bypass_middleware(
            scope=scope,
            scopes=self.scopes,
            exclude_opt_key=self.config.exclude_from_csrf_key,
            exclude_path_pattern=self.exclude,
        ):
            await self.app(scope, receive, send)
            return
        safe = scope["method"] in self.config.safe_methods
        if safe and _bearer_only(scope):
            await self.app(scope, receive, send)
            return
        if not safe and not _checked_without_session(scope) and not _has_session_cookie(scope):
            await self.app(scope, receive, send)
            return

        request: Request[Any, Any, Any] = scope["litestar_app"].request_class(
            scope=scope, receive=receive
        )
        session_id = self._session_id(request)
        secret = self.config.secret
        cookie = request.cookies.get(self.config.cookie_name)
        fitting = cookie if cookie and token_fits(secret, cookie, session_id) else None
        state = ScopeState.from_scope(scope)
        if safe:
            token = state.csrf_token = fitting or csrf_token_for(secret, session_id)
            if fitting is None:
                secure = self.settings.secure_cookies or scope.get("scheme") == "https"
                send = self._sending_cookie(send, csrf_cookie(self.config, token, secure=secure))
            await self.app(scope, receive, send)
            return

        sent = request.headers.get(self.config.header_name)
        if not sent and request.content_type[0] in {
            RequestEncodingType.URL_ENCODED,
            RequestEncodingType.MULTI_PART,
        }:
            value = (await request.form()).get("_csrf_token")
            sent = value if isinstance(value, str) else None
        if not (sent and fitting and hmac.compare_digest(sent, fitting)):
            raise PermissionDeniedException("CSRF token verification failed")
        state.csrf_token = fitting
        await self.app(scope, receive, send)

    @staticmethod
    def _sending_cookie(send: Send, cookie: Cookie) -> Send:
        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                MutableScopeHeaders.from_message(message).add(
                    "set-cookie", cookie.to_header(header="")
                )
            await send(message)

        return send_wrapper
