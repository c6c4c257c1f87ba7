"""The commission ledger follows each order through the order-to-cash cycle, exactly."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from server.db.models import (
    CommissionEntry,
    CommissionPlan,
    CommissionStatement,
    SalesOrder,
    TerritoryAssignment,
)
from server.db.types import new_id
from server.domain.commission import open_period, period_of
from server.features.commission.crediting import credit_commission
from tests.billing_factories import Shop, open_shop, place, ship


def _this_period() -> str:
    # Asked when the test runs, not at import: a run may cross midnight UTC.
    return period_of(date.today())


async def add_plan(db: Any, shop: Shop, basis: str, **extra: Any) -> None:
    """5 % by default, 10 % on the EVEN product."""
    async with db.write() as uow:
        uow.session.add(
            CommissionPlan(
                id=new_id(),
                code="FIELD",
                version=1,
                name="Field reps",
                valid_from=date.today() - timedelta(days=400),
                basis=basis,
                default_rate=Decimal("5"),
                category_rates={},
                product_rates={shop.even: "10"},
                tier_mode="none",
                tiers=[],
                manager_override_rate=extra.get("override", Decimal(0)),
            )
        )


async def ledger(db: Any, order_id: str) -> list[CommissionEntry]:
    async with db.read() as unit:
        rows = await unit.session.scalars(
            select(CommissionEntry)
            .where(CommissionEntry.order_id == order_id)
            .order_by(CommissionEntry.created_at, CommissionEntry.entry_key)
        )
        return list(rows)


async def earned(db: Any, order_id: str, rep_id: str) -> int:
    return sum(e.amount_cents for e in await ledger(db, order_id) if e.rep_id == rep_id)


def _share(cents: int, rate: int, paid: int, total: int) -> int:
    exact = Decimal(cents) * rate / 100 * paid / total
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def _pay(client: Any, shop: Shop, amount: int) -> None:
    body = {
        "customer_id": shop.customer["id"],
        "amount_cents": amount,
        "method": "bank_transfer",
        "reference": "remittance",
        "received_on": date.today().isoformat(),
    }
    response = await client.post("/api/payments", json=body, headers=shop.admin)
    assert response.status_code == 201, response.text


async def _return_one_even(db: Any, shop: Shop, invoice_id: str, line_id: str) -> None:
    from server.features.billing.credit_notes import CreditRequest, issue_credit_note

    async with db.write() as uow:
        await issue_credit_note(
            uow,
            shop.world.admin.id,
            invoice_id=invoice_id,
            kind="return",
            reason="one came back",
            lines=[CreditRequest(line_id, quantity=1)],
        )


def _line(order: dict[str, Any], product_id: str) -> str:
    return str(next(x["id"] for x in order["lines"] if x["product_id"] == product_id))


@pytest.mark.parametrize("basis", ["booked", "invoiced", "paid"])
async def test_an_order_earns_through_invoice_payments_and_a_return_on_each_basis(
    client, db, basis
):
    shop = await open_shop(client, db)
    await add_plan(db, shop, basis)
    rep = shop.world.rep1.id
    # 3 x 3.33 at 5 % (9.99 -> 0.4995 -> 0.50) and 2 x 20.00 at 10 % (4.00): 4.50 in all.
    order = await place(client, shop, {shop.odd: 3, shop.even: 2}, shipping_cents=500)
    total = order["totals"]["total_cents"]
    expect = {"booked": 450, "invoiced": 0, "paid": 0}[basis]
    assert await earned(db, order["id"], rep) == expect

    await ship(client, shop, order, {_line(order, shop.odd): 3, _line(order, shop.even): 2})
    invoiced = await client.post(f"/api/orders/{order['id']}/invoice", headers=shop.admin)
    assert invoiced.status_code == 201, invoiced.text
    invoice = invoiced.json()["invoice"]
    assert invoice["total_cents"] == total  # the shipping and tax earn nothing
    expect = {"booked": 450, "invoiced": 450, "paid": 0}[basis]
    assert await earned(db, order["id"], rep) == expect

    await _pay(client, shop, 1000)
    partly = _share(999, 5, 1000, total) + _share(4000, 10, 1000, total)
    expect = {"booked": 450, "invoiced": 450, "paid": partly}[basis]
    assert await earned(db, order["id"], rep) == expect

    await _pay(client, shop, total - 1000)
    assert await earned(db, order["id"], rep) == 450

    # One EVEN unit returned: 20.00 at 10 % taken back, on every basis.
    await _return_one_even(db, shop, invoice["id"], _line(order, shop.even))
    entries = await ledger(db, order["id"])
    assert await earned(db, order["id"], rep) == 250
    assert entries[-1].amount_cents == -200 and "credit note" in entries[-1].reason
    assert {e.period for e in entries} == {_this_period()}
    assert {e.basis for e in entries} == {basis}

    # Recomputing adds nothing, however often.
    for _ in range(2):
        async with db.write() as uow:
            assert await credit_commission(uow, order["id"], reason="recompute") == 0
    assert len(await ledger(db, order["id"])) == len(entries)


async def test_a_part_payment_earning_exactly_half_a_cent_rounds_it_up(client, db):
    shop = await open_shop(client, db)
    await add_plan(db, shop, "paid")
    rep = shop.world.rep1.id
    # 2 x 3.33 (6.66 net, 0.67 tax) and 0.07 shipping: 7.40. Paying 1.00 pays 5/37 of it,
    # so the line's paid revenue is exactly 0.90 and its 5 % exactly half a cent.
    order = await place(client, shop, {shop.odd: 2}, shipping_cents=7)
    await ship(client, shop, order, {_line(order, shop.odd): 2})
    invoiced = await client.post(f"/api/orders/{order['id']}/invoice", headers=shop.admin)
    assert invoiced.status_code == 201, invoiced.text
    assert invoiced.json()["invoice"]["total_cents"] == 740

    await _pay(client, shop, 100)

    entries = await ledger(db, order["id"])
    assert [(e.revenue_cents, e.amount_cents) for e in entries] == [(90, 5)]
    await _pay(client, shop, 640)
    assert await earned(db, order["id"], rep) == 33  # 5 % of 6.66, paid in full


async def test_a_cancelled_order_takes_back_what_it_earned(client, db):
    shop = await open_shop(client, db)
    await add_plan(db, shop, "booked", override=Decimal("1"))
    order = await place(client, shop, {shop.even: 2})
    manager = shop.world.manager.id
    assert await earned(db, order["id"], shop.world.rep1.id) == 400
    assert await earned(db, order["id"], manager) == 40  # 1 % of 40.00
    cancelled = await client.post(
        f"/api/orders/{order['id']}/cancel", json={"reason": "changed mind"}, headers=shop.rep
    )
    assert cancelled.status_code == 200, cancelled.text
    assert await earned(db, order["id"], shop.world.rep1.id) == 0
    assert await earned(db, order["id"], manager) == 0
    assert sorted(e.amount_cents for e in await ledger(db, order["id"])) == [-400, -40, 40, 400]


async def test_a_realignment_after_the_order_does_not_move_its_commission(client, db):
    shop = await open_shop(client, db)
    await add_plan(db, shop, "invoiced")
    order = await place(client, shop, {shop.even: 1})
    world = shop.world
    # The North territory goes to rep2 from today: rep1's assignment ends.
    async with db.write() as uow:
        await uow.session.execute(
            update(TerritoryAssignment)
            .where(TerritoryAssignment.user_id == world.rep1.id)
            .values(valid_to=date.today())
        )
        uow.session.add(
            TerritoryAssignment(
                id=new_id(),
                territory_id=world.north,
                user_id=world.rep2.id,
                role="owner",
                valid_from=date.today(),
            )
        )
    await ship(client, shop, order, {_line(order, shop.even): 1})
    invoiced = await client.post(f"/api/orders/{order['id']}/invoice", headers=shop.admin)
    assert invoiced.status_code == 201, invoiced.text
    assert {e.rep_id for e in await ledger(db, order["id"])} == {world.rep1.id}
    assert await earned(db, order["id"], world.rep1.id) == 200


async def test_a_credit_after_the_period_was_approved_lands_in_the_open_period(client, db):
    shop = await open_shop(client, db)
    await add_plan(db, shop, "booked")
    rep = shop.world.rep1.id
    order = await place(client, shop, {shop.even: 2})
    await ship(client, shop, order, {_line(order, shop.even): 2})
    invoice = (await client.post(f"/api/orders/{order['id']}/invoice", headers=shop.admin)).json()
    async with db.write() as uow:
        uow.session.add(
            CommissionStatement(
                id=new_id(), rep_id=rep, period=_this_period(), status="approved", amount_cents=400
            )
        )
    await _return_one_even(db, shop, invoice["invoice"]["id"], _line(order, shop.even))
    entries = await ledger(db, order["id"])
    later = open_period(_this_period(), [_this_period()])
    assert [(e.period, e.amount_cents) for e in entries] == [(_this_period(), 400), (later, -200)]
    assert f"(period {_this_period()} is locked)" in entries[-1].reason


async def test_concurrent_recomputes_of_one_order_never_double_an_entry(client, db):
    shop = await open_shop(client, db)
    order = await place(client, shop, {shop.odd: 3, shop.even: 2})
    # The plan arrives after the order: each recompute below finds everything to append.
    await add_plan(db, shop, "booked")

    async def recompute() -> int:
        async with db.write() as uow:
            # The order lock every caller holds, as in the services.
            await uow.session.execute(
                select(SalesOrder.id).where(SalesOrder.id == order["id"]).with_for_update()
            )
            return await credit_commission(uow, order["id"], reason="recompute")

    appended = await asyncio.gather(*(recompute() for _ in range(6)))
    assert sorted(appended) == [0, 0, 0, 0, 0, 2]
    assert await earned(db, order["id"], shop.world.rep1.id) == 450
