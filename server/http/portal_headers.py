"""Headers of every answer under /p (the customer portal), whatever answers it.

Portal pages show a customer's documents to whoever holds the link: nothing of them is
kept by the browser's or a proxy's cache, and no page passes its URL on in a Referer
(a tracking link to a carrier's site must not learn the portal's addresses)."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["PortalHeaders"]

_SET = [(b"referrer-policy", b"no-referrer"), (b"cache-control", b"no-store")]
_NAMES = {name for name, _ in _SET}


def _is_portal(path: str) -> bool:
    return path == "/p" or path.startswith("/p/")


class PortalHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not _is_portal(scope.get("path", "")):
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers") or () if k.lower() not in _NAMES
                ]
                message["headers"] = [*headers, *_SET]
            await send(message)

        await self.app(scope, receive, send_wrapper)
