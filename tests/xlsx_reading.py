"""Reads back a one-sheet workbook as the tests need it: its rows of values, and whether a
cell holds a formula. XLSX is zipped XML; this reads it with the standard library."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

__all__ = ["Sheet", "read_sheet"]

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


@dataclass
class Sheet:
    name: str
    rows: list[list[str | float | None]]
    formulas: int  # cells holding a formula
    quoted: set[str]  # text cells shown with the quote-prefix style (as text even when edited)


def _column(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference)
    assert letters is not None
    index = 0
    for letter in letters.group():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def read_sheet(content: bytes) -> Sheet:
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        names = book.namelist()
        strings: list[str] = []
        if "xl/sharedStrings.xml" in names:
            shared = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            strings = ["".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t")) for si in shared]
        styles = ElementTree.fromstring(book.read("xl/styles.xml"))
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    cell_formats = styles.find("m:cellXfs", _NS)
    assert cell_formats is not None
    quoted_styles = {i for i, xf in enumerate(cell_formats) if xf.get("quotePrefix") == "1"}
    first = workbook.find("m:sheets/m:sheet", _NS)
    assert first is not None
    rows: list[list[str | float | None]] = []
    formulas, quoted = 0, set()
    for row in sheet.iterfind("m:sheetData/m:row", _NS):
        values: list[str | float | None] = []
        for cell in row.iterfind("m:c", _NS):
            column = _column(cell.get("r", "A"))
            values.extend([None] * (column - len(values)))
            if cell.find("m:f", _NS) is not None:
                formulas += 1
            raw = cell.find("m:v", _NS)
            kind = cell.get("t")
            value: str | float | None
            if kind == "s" and raw is not None:
                value = strings[int(raw.text or 0)]
            elif kind == "inlineStr":
                value = "".join(t.text or "" for t in cell.iter(f"{{{_NS['m']}}}t"))
            elif kind == "b" and raw is not None:
                value = "true" if raw.text == "1" else "false"
            else:
                value = None if raw is None else float(raw.text or 0)
            if isinstance(value, str) and int(cell.get("s", 0)) in quoted_styles:
                quoted.add(value)
            values.append(value)
        rows.append(values)
    return Sheet(first.get("name", ""), rows, formulas, quoted)
