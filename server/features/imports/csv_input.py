"""Reading an uploaded CSV file and checking its cells, collecting every problem.

Row numbers: the header is row 0 and row 1 is the first line after it, so in a
spreadsheet row n is line n + 1. Blank lines are skipped but keep their number. A problem
with the file as a whole (encoding, header) is reported on row 0.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterator
from decimal import Decimal

import msgspec

from server.domain.errors import ValidationFailed
from server.domain.money import to_cents
from server.domain.text import has_control_characters

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "CsvTable",
    "ImportRejected",
    "RowError",
    "RowReader",
    "read_csv",
]

MAX_ROWS = 20_000
# The largest upload an import endpoint reads: room for MAX_ROWS rows of about 800 bytes
# (every column filled at its longest), far above the app's general body limit, which a
# file of a few thousand customers already passes.
MAX_FILE_BYTES = 16 * 1024 * 1024
_MONEY = re.compile(r"^\d{1,10}(\.\d{1,2})?$")  # 12, 12.5, 12.50; no sign, no symbol, no exponent
_INTEGER = re.compile(r"^\d{1,9}$")
_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}


class RowError(msgspec.Struct):
    row: int  # 0 = the header or the file as a whole; 1 = the first data row
    column: str  # "" when the problem is not one cell's
    code: str
    message: str


class ImportRejected(ValidationFailed):
    """The file has problems: nothing was written, and every problem is listed."""

    code = "import_rejected"

    def __init__(self, errors: list[RowError]) -> None:
        rows = len({e.row for e in errors})
        super().__init__(
            f"{len(errors)} problem(s) in {rows} row(s); nothing was imported. Fix them and send "
            "the whole file again.",
            details={
                "error_count": len(errors),
                "errors": [msgspec.to_builtins(e) for e in errors],
            },
        )


class CsvTable(msgspec.Struct):
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number, cells by column)
    errors: list[RowError]  # rows that could not be split; checked rows add theirs here


def read_csv(raw: bytes, *, required: Collection[str], optional: Collection[str]) -> CsvTable:
    """Decode and split the file; refuse a bad file or header outright (row 0 errors).

    Rows with the wrong number of fields are recorded in `errors` and left out, so that the
    caller still checks every other row and reports all problems in one answer."""
    try:
        text = raw.decode("utf-8-sig")  # spreadsheets often prepend a byte order mark
    except UnicodeDecodeError:
        raise ImportRejected([RowError(0, "", "not_utf8", "the file is not UTF-8 text")]) from None
    records: Iterator[list[str]] = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(records, None)
        if not header or not any(cell.strip() for cell in header):
            raise ImportRejected([RowError(0, "", "empty_file", "the file has no header line")])
        columns = [cell.strip().lower() for cell in header]
        errors = _header_errors(columns, required, optional)
        if errors:
            raise ImportRejected(errors)
        rows: list[tuple[int, dict[str, str]]] = []
        for number, record in enumerate(records, start=1):
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(columns):
                errors.append(
                    RowError(
                        number,
                        "",
                        "wrong_field_count",
                        f"expected {len(columns)} fields like the header, found {len(record)}",
                    )
                )
                continue
            rows.append((number, dict(zip(columns, record, strict=True))))
            if len(rows) > MAX_ROWS:
                raise ImportRejected(
                    [RowError(0, "", "too_many_rows", f"at most {MAX_ROWS} rows per file")]
                )
    except csv.Error as exc:
        raise ImportRejected(
            [RowError(0, "", "malformed_csv", f"the file is not valid CSV: {exc}")]
        ) from None
    if not rows and not errors:
        raise ImportRejected([RowError(0, "", "no_rows", "the file has a header but no data rows")])
    return CsvTable(columns=columns, rows=rows, errors=errors)


def _header_errors(
    columns: list[str], required: Collection[str], optional: Collection[str]
) -> list[RowError]:
    errors = [
        RowError(0, c, "missing_column", f"the column {c} is required")
        for c in required
        if c not in columns
    ]
    known = set(required) | set(optional)
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            errors.append(
                RowError(0, column, "duplicate_column", f"the column {column} appears twice")
            )
        elif column not in known:
            # Refused rather than ignored: a misspelt 'base_prise' must not silently drop prices.
            errors.append(RowError(0, column, "unknown_column", f"unknown column {column!r}"))
        seen.add(column)
    return errors


class RowReader:
    """Reads one row's cells; a bad cell records an error and reads as None."""

    def __init__(self, row: int, cells: dict[str, str], errors: list[RowError]) -> None:
        self.row, self.cells, self.errors = row, cells, errors

    def error(self, column: str, code: str, message: str) -> None:
        self.errors.append(RowError(self.row, column, code, message))

    def raw(self, column: str) -> str:
        return self.cells.get(column, "").strip()

    def text(
        self,
        column: str,
        *,
        required: bool = False,
        max_length: int = 200,
        pattern: str | None = None,
        default: str = "",
        line_breaks_allowed: bool = False,
    ) -> str | None:
        value = self.raw(column)
        if not value:
            if required:
                self.error(column, "required", f"{column} is required")
                return None
            return default
        if len(value) > max_length:
            self.error(column, "too_long", f"{column} is longer than {max_length} characters")
            return None
        if has_control_characters(value, line_breaks_allowed=line_breaks_allowed):
            self.error(column, "invalid_text", f"{column} holds a control character")
            return None
        if pattern and not re.fullmatch(pattern, value):
            self.error(column, "invalid_format", f"{column} {value!r} has an invalid format")
            return None
        return value

    def integer(self, column: str, *, default: int, minimum: int = 0) -> int | None:
        value = self.raw(column)
        if not value:
            return default
        if not _INTEGER.fullmatch(value):
            self.error(column, "not_an_integer", f"{column} must be a whole number, got {value!r}")
            return None
        number = int(value)
        if number < minimum:
            self.error(column, "too_small", f"{column} must be at least {minimum}, got {number}")
            return None
        return number

    def money(self, column: str, *, default: int | None) -> int | None:
        """A currency amount like 12.50 as integer cents; more than 2 decimals is refused
        rather than rounded, because a price list with fractional cents is a typo."""
        value = self.raw(column)
        if not value:
            return default
        if not _MONEY.fullmatch(value):
            self.error(
                column, "invalid_amount", f"{column} must be an amount like 12.50, got {value!r}"
            )
            return None
        return to_cents(Decimal(value))

    def boolean(self, column: str, *, default: bool) -> bool | None:
        value = self.raw(column).lower()
        if not value:
            return default
        if value in _TRUE or value in _FALSE:
            return value in _TRUE
        self.error(column, "not_a_boolean", f"{column} must be true or false, got {value!r}")
        return None

    def choice(self, column: str, choices: Collection[str], *, default: str) -> str | None:
        value = self.raw(column).lower()
        if not value:
            return default
        if value not in choices:
            self.error(
                column,
                "invalid_choice",
                f"{column} must be one of {', '.join(choices)}, got {value!r}",
            )
            return None
        return value
