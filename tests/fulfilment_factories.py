"""Shipping through the real API, for the tests of everything after an order is placed."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["deliver", "place", "ship"]


async def place(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    customer_id: str,
    lines: list[tuple[str, int]],
    **extra: Any,
) -> dict[str, Any]:
    """A placed order (201), its answer as the API gave it."""
    body = {
        "customer_id": customer_id,
        "lines": [{"product_id": p, "quantity": q} for p, q in lines],
        **extra,
    }
    response = await client.post("/api/orders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def ship(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    order_id: str,
    warehouse_id: str | None,
    lines: list[tuple[str, int]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A shipment packed and dispatched (200/201), as the API answered."""
    body: dict[str, Any] = {"warehouse_id": warehouse_id, **extra}
    if lines is not None:
        body["lines"] = [{"line_id": line_id, "quantity": q} for line_id, q in lines]
    response = await client.post(f"/api/orders/{order_id}/shipments", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def deliver(
    client: httpx.AsyncClient, admin: dict[str, str], shipment_id: str, on: str | None = None
) -> dict[str, Any]:
    body = {} if on is None else {"delivered_on": on}
    response = await client.post(f"/api/shipments/{shipment_id}/deliver", json=body, headers=admin)
    assert response.status_code == 200, response.text
    return dict(response.json())
