"""Access log: method, path, status, duration and user id; never headers or bodies.

Tokens travel in headers, cookies and bodies, and query strings can carry portal tokens,
so none of those are ever written to the log; nor is the token in a portal link's path
(`/p/<token>`, logged as `/p/[token]`).
"""

from __future__ import annotations

import logging
import time

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AccessLogMiddleware"]

log = logging.getLogger("fieldsales.access")


def loggable_path(path: str) -> str:
    """The path, with a portal link's token (the one segment after /p/) left out."""
    if path.startswith("/p/") and path.count("/") == 2 and len(path) > 3:
        return "/p/[token]"
    return path


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Below INFO nothing is written, so nothing is measured either (the level is looked
        # up per request: it can be changed while the server runs).
        if scope["type"] != ScopeType.HTTP or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            user = scope.get("user")
            log.info(
                "%s %s %s %.1fms user=%s",
                scope.get("method"),
                loggable_path(str(scope.get("path", ""))),
                status,
                (time.perf_counter() - started) * 1000,
                getattr(user, "id", "-"),
            )
