"""Each dashboard table as a header and rows for a file (written as CSV or XLSX by
`shared/table_export.py`), amounts in the currency's units with the currency in the header."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from server.domain.errors import ValidationFailed
from server.domain.money import from_cents
from server.features.dashboard.schemas import DashboardOut
from server.features.shared.csv_export import Cell

__all__ = ["TABLES", "Rows", "table_rows"]

Rows = tuple[list[str], list[list[Cell]]]


def _money(cents: int | None) -> Decimal | None:
    return None if cents is None else from_cents(int(cents))


def _territories(d: DashboardOut) -> Rows:
    c = d.currency
    header = ["territory", f"booked ({c})", f"previous ({c})", "change %", "orders"]
    rows: list[list[Cell]] = [
        [
            r.name,
            _money(r.booked_cents.current),
            _money(r.booked_cents.previous),
            r.booked_cents.change_percent,
            r.orders,
        ]
        for r in d.territories
    ]
    return header, rows


def _reps(d: DashboardOut) -> Rows:
    c = d.currency
    header = ["rep", f"booked ({c})", f"previous ({c})", "orders", f"target ({c})", "attainment %"]
    rows: list[list[Cell]] = [
        [
            r.name,
            _money(r.booked_cents.current),
            _money(r.booked_cents.previous),
            r.orders,
            _money(r.target_cents),
            r.attainment_percent,
        ]
        for r in d.reps
    ]
    return header, rows


def _customers(d: DashboardOut) -> Rows:
    c = d.currency
    header = ["number", "customer", f"booked ({c})", f"previous ({c})", "orders", "last order"]
    rows: list[list[Cell]] = [
        [
            r.number,
            r.name,
            _money(r.booked_cents.current),
            _money(r.booked_cents.previous),
            r.orders,
            r.last_order_on,
        ]
        for r in d.customers
    ]
    return header, rows


def _orders(d: DashboardOut) -> Rows:
    c = d.currency
    header = ["order", "placed", "status", "rep", f"net ({c})", f"total ({c})"]
    rows: list[list[Cell]] = [
        [r.number, r.placed_on, r.status, r.rep, _money(r.net_cents), _money(r.total_cents)]
        for r in d.orders
    ]
    return header, rows


def _lapsed(d: DashboardOut) -> Rows:
    header = ["number", "customer", "last order", "usual interval (days)", "days since"]
    rows: list[list[Cell]] = [
        [r.number, r.name, r.last_order_on, Decimal(r.usual_interval_days), r.days_since]
        for r in d.lapsed
    ]
    return header, rows


def _revenue(d: DashboardOut) -> Rows:
    header = ["from", f"booked ({d.currency})"]
    rows: list[list[Cell]] = [[p.start, _money(p.booked_cents)] for p in d.revenue_over_time]
    return header, rows


TABLES: dict[str, Callable[[DashboardOut], Rows]] = {
    "territories": _territories,
    "reps": _reps,
    "customers": _customers,
    "orders": _orders,
    "lapsed": _lapsed,
    "revenue": _revenue,
}


def table_rows(dashboard: DashboardOut, table: str) -> Rows:
    build = TABLES.get(table)
    if build is None:
        raise ValidationFailed(
            f"There is no dashboard table '{table}'.",
            code="unknown_table",
            details={"allowed": sorted(TABLES)},
        )
    return build(dashboard)
