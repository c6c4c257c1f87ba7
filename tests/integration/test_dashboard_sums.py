"""The dashboard's maintained day sums stay equal to a recomputation from the documents
through a random day of sales: orders placed (some waiting for approval), approved,
rejected, amended, cancelled, shipped, invoiced, paid and credited, all through the API."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from server.db.models import SalesCustomer, SalesCustomerDay, SalesDaySum
from server.db.summaries import recompute_customer_days_sql, recompute_sql
from tests.billing_factories import Shop, open_shop, ship
from tests.sales_factories import create_customer

STEPS = 70


def _rows(rows: Any) -> dict[tuple[str, str, str, str], tuple[int, int, int, int]]:
    """Key -> figures, days as text and keys whose figures are all zero left out (a day
    whose only order was cancelled keeps its row at zero)."""
    found = {}
    for day, territory, rep, currency, *figures in rows:
        values = tuple(int(x or 0) for x in figures)
        if any(values):
            found[(str(day)[:10], territory, rep, currency)] = values
    return found


async def _kept(db) -> dict[tuple[str, str, str, str], tuple[int, int, int, int]]:
    s = SalesDaySum
    async with db.read() as unit:
        rows = await unit.session.execute(
            select(
                s.day,
                s.territory_id,
                s.rep_id,
                s.currency,
                s.booked_cents,
                s.booked_orders,
                s.invoiced_cents,
                s.paid_cents,
            )
        )
        return _rows(rows.all())


async def _recomputed(db) -> dict[tuple[str, str, str, str], tuple[int, int, int, int]]:
    async with db.read() as unit:
        rows = await unit.session.execute(text(recompute_sql(unit.dialect_name)))
        return _rows(rows.all())


async def _kept_days(db) -> dict[tuple[str, str, str, str], int]:
    d, c = SalesCustomerDay, SalesCustomer
    async with db.read() as unit:
        days = await unit.session.execute(
            select(d.customer_id, d.day, d.territory_id, d.rep_id, d.booked_orders)
        )
        kept = {(c_, str(day)[:10], t, r): n for c_, day, t, r, n in days.all() if n}
        customers = await unit.session.execute(
            select(c.customer_id, c.territory_id, c.rep_id, c.booked_orders)
        )
        by_customer = {(c_, t, r): n for c_, t, r, n in customers.all() if n}
    # The customers' table counts exactly their ordering days' orders.
    totals: dict[tuple[str, str, str], int] = {}
    for (customer, _, territory, rep), n in kept.items():
        totals[(customer, territory, rep)] = totals.get((customer, territory, rep), 0) + n
    assert by_customer == totals
    return kept


async def _recomputed_days(db) -> dict[tuple[str, str, str, str], int]:
    async with db.read() as unit:
        rows = await unit.session.execute(text(recompute_customer_days_sql(unit.dialect_name)))
        return {(c, str(day)[:10], t, r): int(n) for c, day, t, r, n in rows.all()}


class _Sales:
    """A seeded schedule of what a sales team and its back office do to orders."""

    def __init__(self, client, shop: Shop, customers: list[str], seed: int) -> None:
        self.client, self.shop, self.customers = client, shop, customers
        self.random = random.Random(seed)
        self.orders: list[dict[str, Any]] = []
        self.shipped: list[dict[str, Any]] = []
        self.invoices: list[dict[str, Any]] = []
        self.answers: list[int] = []
        self.done: set[str] = set()  # the kinds of action that succeeded

    async def _post(self, path: str, body: dict[str, Any] | None = None, *, as_rep: bool = False):
        headers = self.shop.rep if as_rep else self.shop.admin
        answer = await self.client.post(path, json=body or {}, headers=headers)
        # Refusals (cancelling what has shipped, amending an invoiced order) are part of
        # the day; a server error is not.
        assert answer.status_code < 500, answer.text
        self.answers.append(answer.status_code)
        if answer.status_code < 300:
            self.done.add(path.rstrip("/").rsplit("/", 1)[-1])
        return answer

    def _order(self) -> dict[str, Any] | None:
        return self.random.choice(self.orders) if self.orders else None

    async def place(self) -> None:
        r = self.random
        discount = r.choice(["0", "0", "5", "20"])  # 20 % waits for a manager
        lines = [
            {"product_id": p, "quantity": r.randint(1, 6), "discount_percent": discount}
            for p in r.sample([self.shop.odd, self.shop.even], r.randint(1, 2))
        ]
        body = {
            "customer_id": r.choice(self.customers),
            "lines": lines,
            "shipping_cents": r.choice([0, 500]),
        }
        # The rep sells in their own territory; the back office for the other customer.
        own = body["customer_id"] == self.shop.customer["id"]
        answer = await self._post("/api/orders", body, as_rep=own)
        if answer.status_code == 201:
            self.orders.append(answer.json())

    async def decide(self) -> None:
        waiting = [o for o in self.orders if o["status"] == "pending_approval"]
        if waiting:
            order = self.random.choice(waiting)
            action = self.random.choice(["approve", "reject"])
            await self._post(f"/api/orders/{order['id']}/{action}", {"reason": "Checked"})

    async def amend(self) -> None:
        order = self._order()
        if order is None:
            return
        fresh = (
            await self.client.get(f"/api/orders/{order['id']}", headers=self.shop.admin)
        ).json()
        line = fresh["lines"][0]
        body = {
            "expected_revision": fresh["revision"],
            "lines": [{"line_id": line["id"], "quantity": self.random.randint(1, 9)}],
            "reason": "Customer called",
        }
        await self._post(f"/api/orders/{order['id']}/amend", body)

    async def cancel(self) -> None:
        order = self._order()
        if order is not None:
            await self._post(f"/api/orders/{order['id']}/cancel", {"reason": "Changed mind"})

    async def ship(self) -> None:
        order = self._order()
        if order is None:
            return
        fresh = (
            await self.client.get(f"/api/orders/{order['id']}", headers=self.shop.admin)
        ).json()
        if fresh["status"] not in ("confirmed", "in_fulfilment"):
            return
        left = [
            (x["id"], x["quantity_allocated"] - x["quantity_shipped"])
            for x in fresh["lines"]
            if x["quantity_allocated"] > x["quantity_shipped"]
        ]
        if left:
            await ship(self.client, self.shop, fresh, dict(left))
            self.done.add("shipments")
            self.shipped.append(fresh)

    async def invoice(self) -> None:
        if not self.shipped:
            return
        order = self.random.choice(self.shipped)
        answer = await self._post(f"/api/orders/{order['id']}/invoice")
        if answer.status_code == 201:
            self.invoices.append(answer.json())

    async def pay(self) -> None:
        r = self.random
        # Mostly a customer with an invoice (the payment is allocated), now and then one
        # without (it stays as credit).
        billed = [x["invoice"]["customer_id"] for x in self.invoices]
        body = {
            "customer_id": r.choice(billed if billed and r.random() < 0.8 else self.customers),
            "amount_cents": r.randint(100, 20_000),
            "method": "bank_transfer",
            "reference": "remittance",
            # Some payments are recorded late, on a day of the previous period.
            "received_on": (
                datetime.now(UTC).date() - timedelta(days=r.choice([0, 0, 3, 40]))
            ).isoformat(),
        }
        await self._post("/api/payments", body)

    async def credit(self) -> None:
        if not self.invoices:
            return
        invoice = self.random.choice(self.invoices)
        invoice_id = invoice["invoice"]["id"]
        lines = [x for x in invoice["lines"] if x["order_line_id"]]
        if lines:
            body = {
                "reason": "Agreed 1.00 off",
                "lines": [{"order_line_id": lines[0]["order_line_id"], "amount_cents": 100}],
            }
            await self._post(f"/api/invoices/{invoice_id}/credit-notes", body)

    async def step(self) -> None:
        actions = [
            (self.place, 5),
            (self.decide, 1),
            (self.amend, 2),
            (self.cancel, 1),
            (self.ship, 3),
            (self.invoice, 2),
            (self.pay, 2),
            (self.credit, 1),
        ]
        action = self.random.choices([a for a, _ in actions], [w for _, w in actions])[0]
        await action()


async def test_day_sums_equal_a_recomputation_after_a_random_day_of_sales(client, db):
    shop = await open_shop(client, db)
    other = await create_customer(
        client, shop.admin, "Bay Supplies", state="CA", postal="94105", city="San Francisco"
    )
    sales = _Sales(client, shop, [shop.customer["id"], other["id"]], seed=19)

    for step in range(STEPS):
        await sales.step()
        if step % 10 == 9:
            assert await _kept(db) == await _recomputed(db), f"after step {step + 1}"
            assert await _kept_days(db) == await _recomputed_days(db), f"after step {step + 1}"

    kept = await _kept(db)
    assert kept == await _recomputed(db)
    assert await _kept_days(db) == await _recomputed_days(db)
    # The schedule did what it is for: orders booked, invoiced and paid, and refusals met.
    figures = list(kept.values())
    assert sum(f[1] for f in figures) > 3
    assert sum(f[2] for f in figures) > 0 and sum(f[3] for f in figures) > 0
    assert any(400 <= code < 500 for code in sales.answers)
    assert {"orders", "amend", "cancel", "shipments", "invoice", "payments"} <= sales.done
    assert {"approve", "reject"} & sales.done and "credit-notes" in sales.done


async def test_day_sums_leave_out_a_cancelled_order(client, db):
    shop = await open_shop(client, db)
    sales = _Sales(client, shop, [shop.customer["id"]], seed=7)
    await sales.place()
    [order] = sales.orders
    assert await _kept(db) != {} or order["status"] != "confirmed"

    await sales._post(f"/api/orders/{order['id']}/cancel", {"reason": "Changed mind"})

    assert await _kept(db) == {} == await _recomputed(db)
    assert await _kept_days(db) == {} == await _recomputed_days(db)


async def test_day_sums_count_orders_pushed_from_a_phone_once_across_a_retry(client, db):
    from sync.client import LostResponse
    from tests.integration.test_sync_orders import _order, _phone, _shop

    shop = await _shop(client, db)
    phone = await _phone(client)
    for quantity in (1, 2, 3):
        phone.enqueue("order.place", _order(shop, quantity=quantity))
    phone.enqueue("order.place", _order(shop, product="no-such-product"))
    phone.lose_next_responses = 1
    try:
        await phone.push()
    except LostResponse:
        pass
    outcomes = (await phone.push()).json()["outcomes"]

    kept = await _kept(db)
    assert kept == await _recomputed(db)
    assert await _kept_days(db) == await _recomputed_days(db)
    accepted = [o for o in outcomes if o["status"] == "accepted"]
    assert len(accepted) == 3 and sum(f[1] for f in kept.values()) == 3
    # 6 widgets at 10.00: the net of the three orders, counted once.
    assert sum(f[0] for f in kept.values()) == 6_000
