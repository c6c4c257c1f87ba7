"""Portal links through the real API, and a customer's browser that opens them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = ["create_link", "open_link", "token_of"]


async def create_link(
    client: httpx.AsyncClient, headers: dict[str, str], **target: str
) -> dict[str, Any]:
    response = await client.post("/api/portal-links", json=target, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def token_of(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[1]


async def open_link(customer: httpx.AsyncClient, url: str) -> httpx.Response:
    """The customer follows the link: the answer is the redirect to the clean URL."""
    return await customer.get(urlsplit(url).path)
