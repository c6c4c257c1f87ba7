"""The API docs page loads only this server's own files, under its own security policy."""

from __future__ import annotations

import re


async def test_api_docs_page_loads_only_pinned_files_from_this_server(client):
    page = await client.get("/schema")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    html = page.text
    assert "<style" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)  # nothing inline
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    assert any(
        re.search(r"/vendor/swagger-ui-\d+\.\d+\.\d+/", a) for a in assets
    )  # a pinned version
    for asset in assets:
        assert (await client.get(asset)).status_code == 200, asset
    spec = await client.get(re.search(r'data-openapi-url="([^"]+)"', html).group(1))
    assert spec.status_code == 200 and spec.json()["openapi"].startswith("3.")
