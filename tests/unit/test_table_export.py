"""The one writer of every table export: CSV and XLSX say the same thing, and neither hands
a spreadsheet a formula to run."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

from server.features.shared.table_export import XLSX_MEDIA_TYPE, export_response, xlsx_bytes
from tests.xlsx_reading import read_sheet

HEADER = ["number", "customer", "placed", "total", "paid"]
EVIL = '=HYPERLINK("http://evil.test","x")'


def test_xlsx_keeps_numbers_as_numbers_and_days_as_text():
    sheet = read_sheet(
        xlsx_bytes(
            "orders",
            HEADER,
            [["SO-1", "Harbor", date(2026, 12, 2), Decimal("1234.56"), True], ["SO-2", None]],
        )
    )
    assert sheet.name == "orders"
    assert sheet.rows[0] == HEADER
    assert sheet.rows[1] == ["SO-1", "Harbor", "2026-12-02", 1234.56, "true"]
    assert sheet.rows[2] == ["SO-2"]


def test_text_that_looks_like_a_formula_is_stored_as_that_text_and_never_runs():
    rows = [
        [f"SO-{i}", text, None, Decimal(-5), None]
        for i, text in enumerate(
            [EVIL, "+1+1", "-2", "@SUM(A1)", "42", "http://example.test", "plain"]
        )
    ]
    sheet = read_sheet(xlsx_bytes("orders", HEADER, rows))
    assert sheet.formulas == 0
    names = [row[1] for row in sheet.rows[1:]]
    # Exactly what was stored: no apostrophe added, "42" not turned into a number.
    assert names == [EVIL, "+1+1", "-2", "@SUM(A1)", "42", "http://example.test", "plain"]
    assert sheet.quoted == {EVIL, "+1+1", "-2", "@SUM(A1)"}
    assert [row[3] for row in sheet.rows[1:]] == [-5.0] * 7  # a negative amount stays a number


def test_both_formats_answer_the_same_rows_as_a_download():
    rows = [["SO-1", EVIL, datetime(2026, 12, 2, 9, 30, tzinfo=UTC), Decimal("10.00"), False]]
    as_csv = export_response("csv", "orders", HEADER, rows)
    as_xlsx = export_response("xlsx", "orders", HEADER, rows)
    assert as_csv.headers["content-disposition"] == 'attachment; filename="orders.csv"'
    assert as_xlsx.headers["content-disposition"] == 'attachment; filename="orders.xlsx"'
    assert as_xlsx.media_type == XLSX_MEDIA_TYPE
    assert isinstance(as_csv.content, str) and isinstance(as_xlsx.content, bytes)
    written = list(csv.reader(io.StringIO(as_csv.content)))
    assert written[1] == ["SO-1", f"'{EVIL}", "2026-12-02T09:30:00+00:00", "10.00", "false"]
    assert read_sheet(as_xlsx.content).rows[1] == [
        "SO-1",
        EVIL,
        "2026-12-02T09:30:00+00:00",
        10.0,
        "false",
    ]
