"""Litestar's rate limit, on the login endpoints only.

Litestar's `RateLimitMiddleware` decides per request whether to count it, and builds a
`Request` to ask; on an API where every other request is an order or a sync push that is
work for nothing. So the limiter only ever sees the requests it may throttle.
"""

from __future__ import annotations

from collections.abc import Collection

from litestar.enums import ScopeType
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.types import ASGIApp, Receive, Scope, Send

__all__ = ["LoginThrottle"]


class LoginThrottle:
    def __init__(self, app: ASGIApp, *, config: RateLimitConfig, paths: Collection[str]) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.limited = config.middleware(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["method"] == "POST" and scope["path"] in self.paths:
            await self.limited(scope, receive, send)
        else:
            await self.app(scope, receive, send)
