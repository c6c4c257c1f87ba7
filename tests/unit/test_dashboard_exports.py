from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from server.domain.dashboard import compare
from server.domain.errors import ValidationFailed
from server.features.dashboard.exports import TABLES, table_rows
from server.features.dashboard.schemas import (
    CustomerRow,
    DashboardOut,
    Figure,
    Headline,
    PeriodOut,
    Ratio,
    Snapshot,
)
from server.features.shared.csv_export import csv_text
from server.features.shared.table_export import xlsx_bytes
from tests.xlsx_reading import read_sheet

NONE = Figure.of(compare(0, 0))


def table_csv(dashboard: DashboardOut, table: str) -> str:
    return csv_text(*table_rows(dashboard, table))


def table_xlsx(dashboard: DashboardOut, table: str) -> bytes:
    return xlsx_bytes(table, *table_rows(dashboard, table))


def _dashboard(*customers: CustomerRow) -> DashboardOut:
    day = date(2026, 12, 1)
    blank = {"Figure": NONE, "Ratio": Ratio(None, None), "Snapshot": Snapshot(0, 0)}
    headline = Headline(**{name: blank[kind] for name, kind in Headline.__annotations__.items()})
    return DashboardOut(
        currency="EUR",
        period=PeriodOut("month", day, day, day, day),
        territory_id=None,
        rep_id=None,
        customer_id=None,
        figures=headline,
        territories=[],
        reps=[],
        customers=list(customers),
        orders=[],
        lapsed=[],
        revenue_over_time=[],
    )


def _customer(name: str, cents: int) -> CustomerRow:
    return CustomerRow("c1", "C-000001", name, Figure.of(compare(cents, 0)), 1, date(2026, 12, 2))


def test_csv_names_the_currency_and_writes_amounts_as_numbers():
    text = table_csv(_dashboard(_customer("Harbor", 123_456)), "customers")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][2] == "booked (EUR)"
    assert rows[1] == ["C-000001", "Harbor", "1234.56", "0.00", "1", "2026-12-02"]


def test_a_name_that_a_spreadsheet_would_run_stays_text_in_both_files():
    evil = _dashboard(_customer('=HYPERLINK("http://x")', 100))
    assert "'=HYPERLINK" in table_csv(evil, "customers")
    sheet = read_sheet(table_xlsx(evil, "customers"))
    assert sheet.formulas == 0
    assert sheet.rows[1][1] == '=HYPERLINK("http://x")'  # kept as typed, shown as text
    assert sheet.quoted == {'=HYPERLINK("http://x")'}


def test_every_table_exports_and_an_unknown_one_is_refused():
    for table in TABLES:
        assert table_csv(_dashboard(), table).count("\r\n") == 1  # the header alone
        assert table_xlsx(_dashboard(), table)[:2] == b"PK"
    with pytest.raises(ValidationFailed) as refused:
        table_csv(_dashboard(), "payroll")
    assert refused.value.code == "unknown_table"
