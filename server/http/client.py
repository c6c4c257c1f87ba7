"""What the server knows about the client of a request, through the trusted proxies only.

`ProxyHeadersMiddleware` (uvicorn's) rewrites the request's client address and scheme
from X-Forwarded-For and X-Forwarded-Proto, but only when the request comes from one of
FIELDSALES_FORWARDED_ALLOW_IPS; from anyone else those headers are ignored, so a client
cannot pick the address its login attempts are counted against.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.types import Scope

from server.config import Settings

__all__ = ["client_address", "is_https", "secure_cookies"]


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    client = connection.scope.get("client")
    return str(client[0]) if client else "unknown"


def is_https(scope: Scope) -> bool:
    return scope.get("scheme") == "https"


def secure_cookies(connection: ASGIConnection[Any, Any, Any, Any], settings: Settings) -> bool:
    return settings.secure_cookies or is_https(connection.scope)
