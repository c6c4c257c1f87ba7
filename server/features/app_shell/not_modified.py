"""Conditional GET for static files: `If-None-Match` with the file's ETag answers 304.

The service worker revalidates every file it precaches (a new app version must never get an
older file from the HTTP cache), and right after a first login the page has just fetched
most of them: a 304 costs the headers, not the file again.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import AbstractMiddleware
from litestar.types import Message, Receive, Scope, Send

__all__ = ["NotModifiedMiddleware"]

# What a 304 must not carry: it has no body.
_BODY_HEADERS = ("content-length", "content-encoding", "content-type", "content-disposition")


def _tags(value: str) -> set[str]:
    return {t.strip().removeprefix("W/") for t in value.split(",") if t.strip()}


class NotModifiedMiddleware(AbstractMiddleware):
    scopes = {ScopeType.HTTP}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wanted = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"if-none-match"), None
        )
        if wanted is None or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        tags = _tags(wanted)
        unchanged = False

        async def answer(message: Message) -> None:
            nonlocal unchanged
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableScopeHeaders(message)
                etag = headers.get("etag")
                if etag is not None and ("*" in tags or etag.removeprefix("W/") in tags):
                    unchanged = True
                    for name in _BODY_HEADERS:
                        del headers[name]
                    message["status"] = 304
                    await send(message)
                    return
            if unchanged:
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, answer)
