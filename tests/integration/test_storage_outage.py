"""A full disk answers 503 with Retry-After and a log line, writes nothing half, and the
server recovers by itself when space returns.

The full disk is SQLite's own: `PRAGMA max_page_count` on the writer connection caps the
file where it is, and SQLite then fails the next write that needs a page with
SQLITE_FULL ("database or disk is full"), exactly as on a full file system.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import text

from server.db.engine import Database
from tests.factories import bearer, login, seed_world
from tests.sales_factories import (
    add_product,
    count_orders,
    create_customer,
    seed_catalog,
    set_stock,
)


async def _cap_writer(db: Database, pages: int | None) -> None:
    async with db.write() as uow:
        if pages is None:
            pages = int(await uow.session.scalar(text("PRAGMA page_count")) or 0)
        await uow.session.execute(text(f"PRAGMA max_page_count = {pages}"))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_full_disk_answers_503_then_recovers(client, db, backend, caplog):
    await seed_world(db)
    catalog = await seed_catalog(db)
    widget = await add_product(db, catalog, "WID-1", price_cents=1000)
    await set_stock(db, catalog.warehouse_ids[0], widget, 1000)
    manager = bearer(await login(client, "manager@corp.test"))
    customer = await create_customer(client, manager, "Harbor View Bistro")
    body: dict[str, Any] = {
        "customer_id": customer["id"],
        "lines": [{"product_id": widget, "quantity": 1}],
        "notes": "x" * 3000,  # needs new pages soon
    }
    before = await count_orders(db)

    await _cap_writer(db, None)
    caplog.set_level(logging.ERROR, logger="fieldsales.errors")
    answers = [await client.post("/api/orders", json=body, headers=manager) for _ in range(6)]
    full = [a for a in answers if a.status_code == 503]
    assert full, [a.status_code for a in answers]
    assert all(a.status_code in (201, 503) for a in answers)
    assert full[0].json()["code"] == "storage_unavailable"
    assert "disk is full" in full[0].json()["detail"]
    assert full[0].headers["retry-after"] == "30"
    assert any("storage unavailable (the disk is full)" in r.getMessage() for r in caplog.records)
    accepted = [a for a in answers if a.status_code == 201]
    # every order the clients were told of is stored, and nothing else
    assert await count_orders(db) == before + len(accepted)
    async with db.read() as unit:
        assert await unit.session.scalar(text("PRAGMA integrity_check")) == "ok"

    await _cap_writer(db, 1_073_741_823)  # space is back
    again = await client.post("/api/orders", json=body, headers=manager)
    assert again.status_code == 201, again.text
    assert await count_orders(db) == before + len(accepted) + 1
