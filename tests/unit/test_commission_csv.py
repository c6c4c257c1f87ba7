"""A statement's CSV export: text a spreadsheet would run stays text; clawbacks stay
negative numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from server.features.commission.schemas import EntryOut, StatementOut
from server.features.commission.statements import entries_csv


def _entry(**kw: Any) -> EntryOut:
    values: dict[str, Any] = {
        "id": "e1",
        "period": "2026-12",
        "role": "rep",
        "order_id": "o1",
        "order_number": "SO-000001",
        "source_type": "order_line",
        "source_id": "l1",
        "basis": "booked",
        "revenue_cents": 4000,
        "amount_cents": 400,
        "rate": "10",
        "plan_version": 1,
        "reason": "booked SO-000001",
        "created_at": datetime(2026, 12, 6, tzinfo=UTC),
    }
    values.update(kw)
    return EntryOut(**values)


def test_formula_like_text_is_quoted_and_clawbacks_are_negative_numbers() -> None:
    statement = StatementOut(
        rep_id="r1",
        rep_name="Rita Rep",
        period="2026-12",
        status="draft",
        amount_cents=-50,
        summary=None,  # type: ignore[arg-type]  # not part of the export
        entries=[
            _entry(reason='=HYPERLINK("http://evil.test")'),
            _entry(id="e2", amount_cents=-1050, revenue_cents=-10500, reason="-cancelled"),
        ],
    )
    rows = list(csv.DictReader(io.StringIO(entries_csv(statement))))
    assert rows[0]["reason"] == '\'=HYPERLINK("http://evil.test")'
    assert rows[1]["reason"] == "'-cancelled"
    assert (rows[1]["amount"], rows[1]["revenue"]) == ("-10.50", "-105.00")
    assert (rows[0]["amount"], rows[0]["revenue"]) == ("4.00", "40.00")
