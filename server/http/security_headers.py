"""Baseline security headers on every response, and HSTS on those sent over https
(directly, or through a trusted proxy that says so).

Files under /static/ (scripts, styles, icons: never a document and never a worker's own
script, which is /sw.js) get only `nosniff`: a content security policy or framing rule
on them governs nothing, and a phone on a slow link pays for their bytes on every one of
the several dozen files of a first load. Their inline `Content-Disposition` goes too.
`Last-Modified` stays: without it (and with no max-age) a browser would revalidate every
module it had just fetched, a round trip each on a slow link, instead of reusing it.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeadersMiddleware"]

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
}


def _raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


_RAW = _raw(_HEADERS)
_STATIC_PREFIX = "/static/"
_STATIC_RAW = _raw({"X-Content-Type-Options": "nosniff"})
_STATIC_DROPPED = frozenset({b"content-disposition"})
# A year: browsers that once reached the app over https refuse plain http to it after.
_HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(_STATIC_PREFIX)
        wanted = _STATIC_RAW if static else _RAW
        if scope.get("scheme") == "https":
            wanted = [*wanted, _HSTS]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Raw header pairs, names lower-cased as ASGI servers and Litestar send
                # them: a header the response set itself is kept as it is.
                headers = list(message.get("headers") or ())
                if static:
                    headers = [pair for pair in headers if pair[0].lower() not in _STATIC_DROPPED]
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in wanted if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)
