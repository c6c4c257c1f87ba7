"""The sales day sums a write transaction changes, written once, just before its commit.

Services (through their stores) say what an order, an invoice or a payment adds to or
takes from a day's sums (`unit.sums.add`); the unit folds the additions by key and writes
one upsert per key (`x = x + delta`) at the end. Deltas rather than recomputed totals:
two transactions adding to the same day on PostgreSQL both count, each under the row's
lock, where recomputing would let the later commit overwrite the earlier one. Keys are
written in order, so two writers never wait for each other in a cycle.

`rebuild_sql` recomputes every row from the documents: the migration's backfill, the
benchmark's data set and the tests' reference use the same statements.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from sqlalchemy.dialects import postgresql, sqlite

from server.db.direct import Direct
from server.db.models import SalesCustomer, SalesCustomerDay, SalesDaySum
from server.db.models.base import table_of

__all__ = [
    "BOOKED_STATUSES",
    "CustomerDayKey",
    "SalesSums",
    "SumKey",
    "rebuild_sql",
    "recompute_customer_days_sql",
    "recompute_sql",
]

# Orders whose revenue is booked: confirmed and everything a confirmed order becomes.
# (A blanket order is an agreement, never booked: its call-offs are.)
BOOKED_STATUSES = ("confirmed", "in_fulfilment", "completed", "closed")
_FIGURES = ("booked_cents", "booked_orders", "invoiced_cents", "paid_cents")


class SumKey(NamedTuple):
    day: date
    territory_id: str
    rep_id: str  # '' for none
    currency: str


class CustomerDayKey(NamedTuple):
    customer_id: str
    day: date
    territory_id: str
    rep_id: str  # '' for none


_TABLE = table_of(SalesDaySum)
_DAYS = table_of(SalesCustomerDay)
_CUSTOMERS = table_of(SalesCustomer)


def _upsert(dialect_name: str, table: Any, keys: list[str], figures: tuple[str, ...]) -> Any:
    module: Any = postgresql if dialect_name == "postgresql" else sqlite
    statement = module.insert(table)
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: table.c[name] + statement.excluded[name] for name in figures},
    )


_UPSERTS = {
    name: (
        _upsert(name, _TABLE, ["day", "territory_id", "rep_id", "currency"], _FIGURES),
        _upsert(name, _DAYS, ["customer_id", "day", "territory_id", "rep_id"], ("booked_orders",)),
        _upsert(name, _CUSTOMERS, ["territory_id", "rep_id", "customer_id"], ("booked_orders",)),
    )
    for name in ("sqlite", "postgresql")
}


class SalesSums:
    """The transaction's additions to the day sums, in the order they were made (so a
    savepoint's rollback drops its own)."""

    def __init__(self) -> None:
        self._added: list[tuple[SumKey, tuple[int, int, int, int]]] = []
        self._days: list[tuple[CustomerDayKey, int]] = []

    def add(
        self, key: SumKey, *, booked: int = 0, orders: int = 0, invoiced: int = 0, paid: int = 0
    ) -> None:
        if booked or orders or invoiced or paid:
            self._added.append((key, (booked, orders, invoiced, paid)))

    def add_ordering_day(self, key: CustomerDayKey, orders: int) -> None:
        """A booked order more (or fewer) on a customer's day."""
        self._days.append((key, orders))

    def _mark(self) -> tuple[int, int]:
        return len(self._added), len(self._days)

    def _roll_back_to(self, mark: tuple[int, int]) -> None:
        del self._added[mark[0] :]
        del self._days[mark[1] :]

    async def _write(self, sql: Direct) -> None:
        if not self._added and not self._days:
            return
        folded: dict[SumKey, list[int]] = {}
        for key, values in self._added:
            total = folded.setdefault(key, [0, 0, 0, 0])
            for i, value in enumerate(values):
                total[i] += value
        days: dict[CustomerDayKey, int] = {}
        customers: dict[tuple[str, str, str], int] = {}
        for day_key, orders in self._days:
            days[day_key] = days.get(day_key, 0) + orders
            customer = (day_key.territory_id, day_key.rep_id, day_key.customer_id)
            customers[customer] = customers.get(customer, 0) + orders
        self._added.clear()
        self._days.clear()
        sums, day_sums, customer_sums = _UPSERTS[sql.dialect.name]
        rows = [
            {**key._asdict(), **dict(zip(_FIGURES, values, strict=True))}
            for key, values in sorted(folded.items())
            if any(values)
        ]
        if rows:
            await sql.execute_many(sums, rows)
        day_rows = [{**k._asdict(), "booked_orders": n} for k, n in sorted(days.items()) if n]
        if day_rows:
            await sql.execute_many(day_sums, day_rows)
        customer_rows = [
            {"territory_id": t, "rep_id": r, "customer_id": c, "booked_orders": n}
            for (t, r, c), n in sorted(customers.items())
            if n
        ]
        if customer_rows:
            await sql.execute_many(customer_sums, customer_rows)


def _day_sql(dialect_name: str, column: str) -> str:
    """The UTC day of a timestamp column, as the dialect stores a date."""
    if dialect_name == "postgresql":
        return f"CAST(({column} AT TIME ZONE 'UTC') AS DATE)"
    return f"date({column})"


def recompute_sql(dialect_name: str) -> str:
    """The day sums as the documents give them now (day, territory, rep, currency, then
    the four figures): booked orders by the day they were placed, invoices by their issue
    day, allocations by the payment's day, all by the order's territory, rep and
    currency, blanket orders left out. The upkeep keeps to the same rules."""
    booked = ", ".join(f"'{s}'" for s in BOOKED_STATUSES)
    placed_day = _day_sql(dialect_name, "o.placed_at")
    return f"""
        SELECT day, territory_id, rep_id, currency,
               SUM(b), SUM(n), SUM(i), SUM(p)
        FROM (
            SELECT {placed_day} AS day, o.territory_id AS territory_id,
                   COALESCE(o.rep_id, '') AS rep_id, o.currency AS currency,
                   o.net_cents AS b, 1 AS n, 0 AS i, 0 AS p
            FROM sales_orders o
            WHERE o.status IN ({booked}) AND o.order_type <> 'blanket'
            UNION ALL
            SELECT v.issued_on, o.territory_id, COALESCE(o.rep_id, ''), o.currency,
                   0, 0, v.total_cents, 0
            FROM invoices v JOIN sales_orders o ON o.id = v.order_id
            WHERE o.order_type <> 'blanket'
            UNION ALL
            SELECT p.received_on, o.territory_id, COALESCE(o.rep_id, ''), o.currency,
                   0, 0, 0, a.amount_cents
            FROM payment_allocations a
            JOIN payments p ON p.id = a.payment_id
            JOIN invoices v ON v.id = a.invoice_id
            JOIN sales_orders o ON o.id = v.order_id
            WHERE o.order_type <> 'blanket'
        ) AS documents
        GROUP BY day, territory_id, rep_id, currency
    """


def recompute_customer_days_sql(dialect_name: str) -> str:
    """The customers' ordering days as the booked orders give them now (customer, day,
    territory, rep, booked orders)."""
    booked = ", ".join(f"'{s}'" for s in BOOKED_STATUSES)
    day = _day_sql(dialect_name, "o.placed_at")
    return f"""
        SELECT o.customer_id, {day} AS day, o.territory_id, COALESCE(o.rep_id, '') AS rep_id,
               COUNT(*)
        FROM sales_orders o
        WHERE o.status IN ({booked}) AND o.order_type <> 'blanket'
        GROUP BY o.customer_id, {day}, o.territory_id, COALESCE(o.rep_id, '')
    """


def rebuild_sql(dialect_name: str) -> list[str]:
    """Statements that empty the maintained sums and recompute them from the documents:
    the migration's backfill, and the benchmark's data set."""
    return [
        "DELETE FROM sales_day_sums",
        "INSERT INTO sales_day_sums (day, territory_id, rep_id, currency, booked_cents, "
        f"booked_orders, invoiced_cents, paid_cents) {recompute_sql(dialect_name)}",
        "DELETE FROM sales_customer_days",
        "INSERT INTO sales_customer_days (customer_id, day, territory_id, rep_id, "
        f"booked_orders) {recompute_customer_days_sql(dialect_name)}",
        "DELETE FROM sales_customers",
        "INSERT INTO sales_customers (territory_id, rep_id, customer_id, booked_orders) "
        "SELECT territory_id, rep_id, customer_id, SUM(booked_orders) "
        "FROM sales_customer_days GROUP BY territory_id, rep_id, customer_id",
    ]
