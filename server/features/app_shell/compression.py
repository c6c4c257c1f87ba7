"""Brotli (gzip for clients without it) for public, data-free responses only: static files
and the app shells.

The app's first load on a slow phone connection is mostly bytes. Responses that carry
secrets (pages with CSRF tokens, API answers) stay uncompressed, so compression can never
help an attacker guess a secret reflected next to their own input (BREACH).

Static files are compressed once per file version and kept: brotli at its best quality
takes about a second of CPU for all of the app's files, a price worth paying once, never
per request (anyone may ask for /static, so a per-request cost would be a way to burn the
server's CPU). The app shells go through Litestar's compression middleware.
"""

from __future__ import annotations

import asyncio
import gzip
from collections import OrderedDict
from typing import Any

import brotli
from litestar.config.compression import CompressionConfig
from litestar.enums import ScopeType
from litestar.middleware import DefineMiddleware
from litestar.middleware.compression import CompressionMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["PUBLIC_COMPRESSION", "CachedStaticCompression"]

_MINIMUM_SIZE = 512
_BROTLI_QUALITY = 11  # the app's files are 9 % smaller than at 5 to 9
# Above this size the best quality costs seconds (the API docs' bundle); those files are not
# part of a rep's first load, so they get the quality that costs about what gzip does.
_BEST_QUALITY_UP_TO = 256 * 1024
_FAST_QUALITY = 5
_GZIP_LEVEL = 6
_CACHED_FILES = 256

PUBLIC_COMPRESSION = DefineMiddleware(
    CompressionMiddleware,
    config=CompressionConfig(
        backend="brotli",
        minimum_size=_MINIMUM_SIZE,
        brotli_quality=5,
        brotli_gzip_fallback=True,
        gzip_compress_level=_GZIP_LEVEL,
    ),
)


def _encoding(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"accept-encoding":
            offered = {part.split(b";")[0].strip() for part in value.split(b",")}
            if b"br" in offered:
                return "br"
            if b"gzip" in offered:
                return "gzip"
    return None


def _compress(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        quality = _BROTLI_QUALITY if len(body) <= _BEST_QUALITY_UP_TO else _FAST_QUALITY
        return bytes(brotli.compress(body, quality=quality))
    return gzip.compress(body, compresslevel=_GZIP_LEVEL, mtime=0)


class CachedStaticCompression:
    """Compresses a static file's 200 answer once per (path, ETag, encoding) and serves the
    kept bytes after; anything else passes through untouched."""

    _cache: OrderedDict[tuple[str, bytes, str], bytes] = OrderedDict()

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        encoding = _encoding(scope) if scope["type"] == ScopeType.HTTP else None
        if encoding is None or method not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []
        complete = asyncio.Event()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    complete.set()

        async def until_complete() -> Message:
            # A streamed file listens for the client leaving until its stream ends; here the
            # client is this middleware, which has everything once the last chunk is in.
            await complete.wait()
            return {"type": "http.disconnect"}

        await self.app(scope, until_complete, capture)  # type: ignore[arg-type]
        body = b"".join(chunks)
        headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
        etag = next((v for k, v in headers if k == b"etag"), b"")
        already = any(k == b"content-encoding" for k, _ in headers)
        if start.get("status") != 200 or not etag or already or len(body) < _MINIMUM_SIZE:
            await send(start)  # type: ignore[arg-type]
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        key = (scope["path"], etag, encoding)
        packed = self._cache.get(key)
        if packed is None:
            packed = await asyncio.to_thread(_compress, body, encoding)
            self._cache[key] = packed
            while len(self._cache) > _CACHED_FILES:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        headers += [
            (b"content-encoding", encoding.encode()),
            (b"vary", b"accept-encoding"),
            (b"content-length", str(len(packed)).encode()),
        ]
        await send({**start, "headers": headers})  # type: ignore[arg-type]
        payload = b"" if method == "HEAD" else packed
        await send({"type": "http.response.body", "body": payload, "more_body": False})
