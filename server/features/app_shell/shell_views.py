"""App shell pages, the service worker and the web app manifest.

Every /app page is a data-free shell: the same HTML for every user, no CSRF token, no
names. That is what lets the service worker cache it once and serve it with no signal;
the page's modules render the rep's data from the phone's local store. The shells are
therefore public like /static, and so are the worker and the manifest.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, get
from litestar.response import Template

from server.features.app_shell.compression import PUBLIC_COMPRESSION
from server.features.app_shell.not_modified import NotModifiedMiddleware
from server.features.app_shell.precache import PWA_DIR, cache_version, shell_etag, static_urls

__all__ = ["SHELL_PAGES"]

_NO_CACHE = {"Cache-Control": "no-cache"}
_SW_SOURCE = PWA_DIR / "templates" / "app" / "sw.js"
_MANIFEST_URL = "/manifest.webmanifest"


def _shell(template: str, path: str, name: str) -> Any:
    @get(
        path,
        name=name,
        exclude_from_auth=True,
        include_in_schema=False,
        middleware=[NotModifiedMiddleware, PUBLIC_COMPRESSION],
    )
    async def page() -> Template:
        return Template(template, headers={**_NO_CACHE, "ETag": shell_etag()})

    return page


_PAGES = [
    _shell("app/home.html", "/app", "app_home"),
    _shell("app/customers.html", "/app/customers", "app_customers"),
    _shell("app/customer.html", "/app/customers/view", "app_customer"),
    _shell("app/customer_new.html", "/app/customers/new", "app_customer_new"),
    _shell("app/catalog.html", "/app/catalog", "app_catalog"),
    _shell("app/outbox.html", "/app/outbox", "app_outbox"),
    _shell("app/orders.html", "/app/orders", "app_orders"),
    _shell("app/commission.html", "/app/commission", "app_commission"),
]


def shell_page_paths(request: Request[Any, Any, Any]) -> list[str]:
    """Every /app page registered in the app (the builder's too), for precaching."""
    paths = {r.path for r in request.app.routes if r.path == "/app" or r.path.startswith("/app/")}
    return sorted(p for p in paths if "{" not in p)


@get("/sw.js", exclude_from_auth=True, include_in_schema=False, middleware=[PUBLIC_COMPRESSION])
async def service_worker(request: Request[Any, Any, Any]) -> Response[str]:
    """The worker at the root, so its scope covers /app. Never cached by HTTP: the browser
    must see a new version as soon as the app changes."""
    precache = [*shell_page_paths(request), *static_urls(), _MANIFEST_URL]
    config: dict[str, Any] = {"precache": precache}
    config["version"] = cache_version(json.dumps(config, sort_keys=True).encode())
    source = _SW_SOURCE.read_text(encoding="utf-8").replace(
        "self.__SW_CONFIG__", json.dumps(config), 1
    )
    return Response(
        source,
        media_type="text/javascript; charset=utf-8",
        headers={**_NO_CACHE, "Service-Worker-Allowed": "/"},
    )


@get(_MANIFEST_URL, exclude_from_auth=True, include_in_schema=False)
async def manifest() -> Response[dict[str, Any]]:
    icons = [
        {
            "src": "/static/icons/icon-192.png",
            "sizes": "192x192",
            "type": "image/png",
            "purpose": "any",
        },
        {
            "src": "/static/icons/icon-512.png",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "any",
        },
        {
            "src": "/static/icons/maskable-192.png",
            "sizes": "192x192",
            "type": "image/png",
            "purpose": "maskable",
        },
        {
            "src": "/static/icons/maskable-512.png",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    body = {
        "name": "Fieldsales",
        "short_name": "Fieldsales",
        "id": "/app",
        "start_url": "/app",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": "#0b5cad",
        "background_color": "#f4f6f9",
        "description": "Customers, catalog, quotes and orders, online or offline.",
        "icons": icons,
    }
    return Response(body, media_type="application/manifest+json", headers=_NO_CACHE)


SHELL_PAGES: list[Any] = [*_PAGES, service_worker, manifest]
