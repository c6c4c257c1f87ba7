"""Reads what is left of a request body before a refusal is sent.

A request refused before its body was read (too large, no login) would otherwise be
answered while the client is still sending: the server then closes the connection with
the body unread, and the client meets a reset instead of the answer. So the rest of the
body is read and thrown away first, up to a bound past which the connection is left to
close.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

__all__ = ["DrainUnreadBody"]

# Past this many bytes a client is not waiting for an answer but sending a flood.
_DRAIN_AT_MOST = 64 * 1024 * 1024


def _announced_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class DrainUnreadBody:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        body_done = False

        async def tracked_receive() -> ReceiveMessage:
            nonlocal body_done
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def drain() -> None:
            announced = _announced_length(scope)
            if announced is not None and announced > _DRAIN_AT_MOST:
                return
            read = 0
            while not body_done and read <= _DRAIN_AT_MOST:
                message = await tracked_receive()
                body = message.get("body", b"")
                read += len(body) if isinstance(body, bytes) else 0

        async def send_after_draining(message: Message) -> None:
            if (
                message["type"] == "http.response.start"
                and message["status"] >= 400
                and not body_done
            ):
                await drain()
            await send(message)

        await self.app(scope, tracked_receive, send_after_draining)
