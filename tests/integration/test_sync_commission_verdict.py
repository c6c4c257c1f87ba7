"""The verdict of an order placed through sync says what the server credited the rep."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from server.db.models import CommissionEntry
from sync.client import SyncClient
from tests.billing_factories import Shop, open_shop
from tests.factories import login


async def _plan(client: Any, shop: Shop, basis: str) -> None:
    """10 % on EVEN (20.00 a unit), 5 % on the rest."""
    body = {
        "code": "FIELD",
        "name": "Field reps",
        "valid_from": "2020-01-01",
        "basis": basis,
        "default_rate": "5",
        "product_rates": {shop.even: "10"},
    }
    created = await client.post("/api/commission/plans", json=body, headers=shop.admin)
    assert created.status_code == 201, created.text


async def _placed_offline(client: Any, shop: Shop, lines: dict[str, int]) -> dict[str, Any]:
    phone = SyncClient(
        http=client, access_token=(await login(client, "rep1@corp.test"))["access_token"]
    )
    await phone.register()
    phone.enqueue(
        "order.place",
        {
            "customer_id": shop.customer["id"],
            "lines": [{"product_id": p, "quantity": q} for p, q in lines.items()],
        },
    )
    [outcome] = (await phone.push()).json()["outcomes"]
    assert outcome["status"] == "accepted", outcome
    return dict(outcome["result"])


async def _ledger_of(db: Any, order_id: str, rep_id: str) -> int:
    async with db.read() as unit:
        total = await unit.session.scalar(
            select(func.coalesce(func.sum(CommissionEntry.amount_cents), 0)).where(
                CommissionEntry.order_id == order_id, CommissionEntry.rep_id == rep_id
            )
        )
        return int(total)


async def test_the_verdict_shows_the_commission_credited_at_booking(client, db):
    shop = await open_shop(client, db)
    await _plan(client, shop, "booked")
    # 3 x 20.00 of EVEN at 10 % = 6.00; 3 x 3.33 of ODD at 5 % = 0.4995 -> 0.50.
    result = await _placed_offline(client, shop, {shop.even: 3, shop.odd: 3})
    assert result["commission"] == {"basis": "booked", "credited_cents": 650}
    # The figure is the rep's own ledger for the order, not an estimate.
    assert await _ledger_of(db, result["order_id"], shop.world.rep1.id) == 650


@pytest.mark.parametrize("basis", ["invoiced", "paid"])
async def test_a_plan_paying_later_credits_nothing_at_placement_and_says_when(client, db, basis):
    shop = await open_shop(client, db)
    await _plan(client, shop, basis)
    result = await _placed_offline(client, shop, {shop.even: 3})
    assert result["commission"] == {"basis": basis, "credited_cents": 0}
    assert await _ledger_of(db, result["order_id"], shop.world.rep1.id) == 0


async def test_without_a_plan_the_verdict_has_no_commission(client, db):
    shop = await open_shop(client, db)
    result = await _placed_offline(client, shop, {shop.even: 3})
    assert result["commission"] is None
    assert result["number"].startswith("SO-")
