"""Refuses the NUL character in a request's text before anything reads it.

PostgreSQL cannot store NUL in text at all (every such write fails in the database), and on
SQLite it would be stored and then cut short by whatever displays it. No one types it, so a
request that carries it is refused whole: JSON carries it escaped (\\u0000), CSV and form
bodies raw, a query string as %00.

The sync push is the exception: there it is one phone's mutation among many, and refusing
the whole push would block that phone's outbox for good. The sync engine refuses such a
mutation on its own (`sync.engine`).
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from server.domain.errors import ValidationFailed

__all__ = ["NulTextGuard"]

_ESCAPED = b"\\u0000"
_RAW = b"\x00"


def _refused() -> ValidationFailed:
    return ValidationFailed("Text may not contain the NUL character.", code="invalid_text")


class NulTextGuard:
    def __init__(self, app: ASGIApp, *, exempt_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.exempt = frozenset(exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        query = scope["query_string"]
        if b"%00" in query or _RAW in query or "\x00" in scope["path"]:
            raise _refused()
        tail = b""

        async def checked_receive() -> ReceiveMessage:
            nonlocal tail
            message = await receive()
            body = message.get("body") or b""
            if isinstance(body, bytes) and body:
                # The end of the previous chunk too: an escape may be split between two.
                joined = tail + body
                if _ESCAPED in joined or _RAW in body:
                    raise _refused()
                tail = joined[-(len(_ESCAPED) - 1) :]
            return message

        await self.app(scope, checked_receive, send)
