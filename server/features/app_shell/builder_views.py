"""The quote and order builder shells: `/app/orders/new` and `/app/quotes/new`.

One template serves both, told apart by a mode that depends on the path only, so each page
is the same for every user and the service worker can precache it. The customer comes in
the query string (`?customer_id=`) and is read by builder.js from the phone's store, which
is why one cached page serves every customer, including one onboarded offline.
"""

from __future__ import annotations

from typing import Any, Literal

from litestar import get
from litestar.response import Template

from server.features.app_shell.compression import PUBLIC_COMPRESSION
from server.features.app_shell.not_modified import NotModifiedMiddleware
from server.features.app_shell.precache import shell_etag

__all__ = ["BUILDER_PAGES"]

_NO_CACHE = {"Cache-Control": "no-cache"}


def _builder(mode: Literal["order", "quote"], path: str) -> Any:
    @get(
        path,
        name=f"app_{mode}_builder",
        exclude_from_auth=True,
        include_in_schema=False,
        middleware=[NotModifiedMiddleware, PUBLIC_COMPRESSION],
    )
    async def page() -> Template:
        headers = {**_NO_CACHE, "ETag": shell_etag()}
        return Template("app/order_builder.html", context={"mode": mode}, headers=headers)

    return page


BUILDER_PAGES: list[Any] = [
    _builder("order", "/app/orders/new"),
    _builder("quote", "/app/quotes/new"),
]
