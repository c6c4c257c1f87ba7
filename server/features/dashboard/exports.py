"""Each dashboard table as rows for a file: CSV (through the shared, formula-safe writer)
and XLSX (XlsxWriter), amounts in the currency's units with the currency in the header."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter

from server.domain.errors import ValidationFailed
from server.domain.money import from_cents
from server.features.dashboard.schemas import DashboardOut
from server.features.shared.csv_export import Cell, csv_text, safe_cell

__all__ = ["TABLES", "XLSX_MEDIA_TYPE", "table_csv", "table_rows", "table_xlsx"]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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


def table_csv(dashboard: DashboardOut, table: str) -> str:
    header, rows = table_rows(dashboard, table)
    return csv_text(header, rows)


def _xlsx_cell(value: Cell) -> str | int | float | bool | None:
    """What a worksheet stores: numbers as numbers (a cent amount is exact in a double),
    days as ISO text, other text through the same formula guard as the CSV."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, Decimal | float):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return safe_cell(value)


def table_xlsx(dashboard: DashboardOut, table: str) -> bytes:
    header, rows = table_rows(dashboard, table)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(table)
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, header, bold)
    for index, row in enumerate(rows, start=1):
        _write(sheet, index, [_xlsx_cell(cell) for cell in row])
    book.close()
    return out.getvalue()


def _write(sheet: Any, row: int, cells: Sequence[object]) -> None:
    for column, cell in enumerate(cells):
        if cell is None:
            continue
        if isinstance(cell, str):
            sheet.write_string(row, column, cell)
        else:
            sheet.write(row, column, cell)
