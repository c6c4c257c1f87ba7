"""The browsable API docs at /schema: Swagger UI, served from this package.

The viewer's files are vendored (pwa/static/vendor/swagger-ui-*), so the page loads nothing
from another origin, works without internet, and runs under the app's own Content Security
Policy: no inline script or style, its settings passed in data attributes.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

__all__ = ["SWAGGER_UI_DIR", "ApiDocsRenderPlugin"]

SWAGGER_UI_DIR = "/static/vendor/swagger-ui-5.35.0"


class ApiDocsRenderPlugin(OpenAPIRenderPlugin):
    def __init__(self, *, path: str = "/swagger", csrf_cookie: str, csrf_header: str) -> None:
        super().__init__(
            path=path, favicon='<link rel="icon" href="/static/icons/icon-192.png">', style=""
        )
        self.csrf_cookie = csrf_cookie
        self.csrf_header = csrf_header

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema.get("info", {}).get("title", "API")))
        spec_url = escape(self.get_openapi_json_route(request))
        return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{self.favicon}
<link rel="stylesheet" href="{SWAGGER_UI_DIR}/swagger-ui.css">
</head>
<body>
<div id="api-docs" data-openapi-url="{spec_url}" data-csrf-cookie="{escape(self.csrf_cookie)}"
     data-csrf-header="{escape(self.csrf_header)}"></div>
<script src="{SWAGGER_UI_DIR}/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
""".encode()
