"""Whether a request came from htmx, as Litestar's HTMX plugin reads its headers."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.plugins.htmx import HTMXRequest

__all__ = ["is_htmx"]


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """True for a request htmx sent (HX-Request: true); the app's requests are
    HTMXRequests (the plugin is registered in server/app.py)."""
    return isinstance(request, HTMXRequest) and bool(request.htmx)
